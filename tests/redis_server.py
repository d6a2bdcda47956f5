"""Start a throw-away Redis server for the tests (Debian's redis-server, loopback only)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="i2i-redis-"))
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return RedisServer(port, process, folder)
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
