"""Start a throw-away Redis server for the tests (Debian's redis-server, loopback only)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.loopback import free_port, wait_until_listening


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("Redis is not installed; `make test` installs it (apt-get).")
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="i2i-redis-"))
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(port, process, "redis-server", timeout=20)
    except RuntimeError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return RedisServer(port, process, folder)
