"""Start a throw-away PostgreSQL server for the tests (Debian's binaries, loopback only).

pytest-postgresql cannot be used here: PostgreSQL refuses to run as root, which is who
runs CI, so when root the server runs as the `postgres` account via runuser.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.loopback import free_port


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed; `make test` installs it (apt-get).")
    return Path(found[-1]).parent


@dataclass
class PostgresServer:
    port: int
    data_dir: Path
    run_as: list[str]
    bin_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str) -> None:
        subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            ],
            check=True,
            capture_output=True,
        )

    keep: bool = False  # a cluster of its own folder (benchmarks) outlives the server

    def stop(self) -> None:
        subprocess.run(
            [
                *self.run_as,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast" if self.keep else "immediate",
                "stop",
            ],
            capture_output=True,
        )
        if not self.keep:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start(root: Path | None = None) -> PostgresServer:
    """A server on loopback. Without `root`, a throw-away cluster tuned for tests (no fsync);
    with `root`, the cluster kept in that folder (made on first use), as durable as I2I's
    SQLite default (fsync on, commits not waited for), for benchmarks."""
    bin_dir = _bin_dir()
    keep = root is not None
    root = Path(root) if keep else Path(tempfile.mkdtemp(prefix="i2i-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    if not (data / "PG_VERSION").exists():
        _initdb(run_as, bin_dir, data)
    port = free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
    if keep:
        options += (
            "-c synchronous_commit=off -c shared_buffers=2GB -c effective_cache_size=8GB "
            "-c work_mem=16MB -c max_wal_size=4GB"
        )
    else:
        options += "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(port, data, run_as, bin_dir, keep)
    server.psql("SELECT 1")  # pg_ctl -w returned once the server accepts connections
    return server


def _initdb(run_as: list[str], bin_dir: Path, data: Path) -> None:
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
