"""Rate-limit counters that every worker of one machine shares: a small SQLite file.

Flask-Limiter's memory storage counts per process, so two gunicorn workers would allow
twice the sign-in attempts. With REDIS_URL (several machines) the counters live in Redis;
without it they live in `<I2I_INSTANCE_DIR>/ratelimits.sqlite`, registered with the
`limits` library as the storage scheme `i2i-sqlite://`. Each count is one atomic
statement (an upsert that restarts an expired window), so workers never lose an attempt.
Only fixed windows are offered (Flask-Limiter's default strategy, the one I2I uses).
"""

from __future__ import annotations

import random
import sqlite3
import time
from contextlib import closing

from limits.storage import Storage

SCHEME = "i2i-sqlite"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters"
    " (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires_at REAL NOT NULL)"
)
# One statement: a new key, or an expired window, starts at `amount`; a live one adds it.
INCREMENT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :expires)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN excluded.count ELSE count + excluded.count END,
    expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END
RETURNING count
"""


def uri_for(instance_dir: str) -> str:
    return f"{SCHEME}:///{instance_dir}/ratelimits.sqlite"


class SQLiteStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the processes of a machine."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.path = (uri or "").removeprefix(f"{SCHEME}://")
        with closing(self._connect()) as connection, connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10, isolation_level=None)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        values = {"key": key, "amount": amount, "expires": now + expiry, "now": now}
        with closing(self._connect()) as connection:
            if random.random() < 0.01:  # now and then, forget windows long over
                connection.execute("DELETE FROM counters WHERE expires_at < ?", (now - 3600,))
            return connection.execute(INCREMENT, values).fetchone()[0]

    def get(self, key: str) -> int:
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
            ).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        with closing(self._connect()) as connection:
            row = connection.execute(
                "SELECT expires_at FROM counters WHERE key = ?", (key,)
            ).fetchone()
        return row[0] if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            with closing(self._connect()) as connection:
                connection.execute("SELECT 1")
            return True
        except sqlite3.Error:
            return False

    def reset(self) -> int | None:
        with closing(self._connect()) as connection:
            return connection.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        with closing(self._connect()) as connection:
            connection.execute("DELETE FROM counters WHERE key = ?", (key,))
