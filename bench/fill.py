"""Fill an I2I database in bulk with synthetic notes, fast (bench/ only, not the product).

Writes straight into the tables the app reads, with the same derived rows the app would
write (versions, tags with canonical ids, spellings, mentions), so feeds behave as in use.
Text is drawn from a Zipf vocabulary; tags from a Zipf tag list; times spread over 90 days.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta

WORDS = """
login vpn slow timeout reset password user portal database replica lag disk
full cpu memory restart deploy rollback cache dns certificate expired queue backlog
printer email outlook teams badge access denied network switch firewall patch ticket
caller escalated vendor storage backup restore job failed retry alert paging oncall
shift handover ward patient records pharmacy lab results slow
""".split()  # noqa: SIM905 - easier to edit as prose


def _zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (k**s) for k in range(1, n + 1)]


def _sql_time(moment: datetime) -> str:
    """The text form SQLAlchemy stores UTC datetimes in on SQLite (compared as strings)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill_sqlite(
    path: str,
    *,
    notes: int,
    users: int = 2000,
    tags: int = 5000,
    seed: int = 1,
    days: int = 90,
    progress=print,
) -> dict[str, int]:
    rng = random.Random(seed)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    now = datetime.now(UTC).replace(tzinfo=None)
    start = now - timedelta(days=days)
    con.executemany(
        "INSERT INTO users (id, username, display_name, password_hash, role, active,"
        " created_at, unread_count) VALUES (?, ?, ?, NULL, 'responder', 1, ?, 0)",
        [(i, f"user{i:05d}", f"User {i}", _sql_time(start)) for i in range(1, users + 1)],
    )
    tag_names = [f"tag{i:05d}" for i in range(1, tags + 1)]
    con.executemany(
        "INSERT INTO hashtags (id, key, display, use_count, note_count) VALUES (?, ?, ?, 0, 0)",
        [
            (
                i,
                name,
                name,
            )
            for i, name in enumerate(tag_names, 1)
        ],
    )
    con.executemany(
        "INSERT INTO tag_spellings (hashtag_id, spelling, first_used_at, use_count)"
        " VALUES (?, ?, ?, 0)",
        [(i, name, _sql_time(start)) for i, name in enumerate(tag_names, 1)],
    )
    word_weights = _zipf_weights(len(WORDS))
    tag_weights = _zipf_weights(tags)
    tag_ids = list(range(1, tags + 1))
    span = (now - start).total_seconds()
    batch = 50_000
    started = time.perf_counter()
    for first in range(1, notes + 1, batch):
        note_rows, version_rows, tag_rows, mention_rows = [], [], [], []
        for note_id in range(first, min(first + batch, notes + 1)):
            when = _sql_time(start + timedelta(seconds=span * note_id / notes))
            author = rng.randint(1, users)
            words = rng.choices(WORDS, word_weights, k=rng.randint(8, 25))
            chosen = set(rng.choices(tag_ids, tag_weights, k=rng.choice((0, 1, 1, 2, 3))))
            text = " ".join(words) + "".join(f" #{tag_names[t - 1]}" for t in chosen)
            if rng.random() < 0.1:
                mentioned = rng.randint(1, users)
                text += f" @user{mentioned:05d}"
                mention_rows.append((note_id, mentioned, when))
            note_rows.append((note_id, author, text, when, when))
            version_rows.append((note_id, text, when))
            tag_rows.extend((note_id, t, t, when) for t in chosen)
        con.executemany(
            "INSERT INTO notes (id, author_id, text, posted_at, sort_at, reply_count)"
            " VALUES (?, ?, ?, ?, ?, 0)",
            note_rows,
        )
        con.executemany(
            "INSERT INTO note_versions (note_id, version, text, written_at) VALUES (?, 1, ?, ?)",
            version_rows,
        )
        con.executemany(
            "INSERT INTO note_tags (note_id, hashtag_id, tag_id, sort_at) VALUES (?, ?, ?, ?)",
            tag_rows,
        )
        con.executemany(
            "INSERT OR IGNORE INTO mentions (note_id, user_id, sort_at) VALUES (?, ?, ?)",
            mention_rows,
        )
        done = min(first + batch - 1, notes)
        rate = done / (time.perf_counter() - started)
        progress(f"  {done:>9,} notes written ({rate:,.0f}/s)")
    progress("  counting tags and people...")
    con.execute(
        "UPDATE hashtags SET use_count = (SELECT count(*) FROM note_tags"
        " WHERE note_tags.tag_id = hashtags.id),"
        " last_used_at = (SELECT max(sort_at) FROM note_tags WHERE tag_id = hashtags.id)"
    )
    con.execute("UPDATE hashtags SET note_count = use_count")
    con.execute(
        "INSERT INTO tag_authors (tag_id, user_id, note_count) SELECT nt.tag_id, n.author_id,"
        " count(*) FROM note_tags nt JOIN notes n ON n.id = nt.note_id GROUP BY 1, 2"
    )
    hour = "CAST(strftime('%s', n.sort_at) AS INTEGER) / 3600"  # as app.tag_hours counts
    con.execute(
        "INSERT INTO tag_hours (tag_id, hour, author_id, incident_id, notes)"
        f" SELECT nt.tag_id, {hour}, n.author_id, COALESCE(n.incident_id, 0), count(*)"
        " FROM note_tags nt JOIN notes n ON n.id = nt.note_id GROUP BY 1, 2, 3, 4"
    )
    # Who follows whom: each person follows 20 people and 5 tags (popular tags more often),
    # so that posting fans out to a realistic audience. Their home feeds fill as notes arrive.
    follows = set()
    for user in range(1, users + 1):
        for other in rng.sample(range(1, users + 1), 20):
            if other != user:
                follows.add((user, "user", other))
        for tag in rng.choices(tag_ids, tag_weights, k=5):
            follows.add((user, "tag", tag))
    con.executemany(
        "INSERT INTO follows (follower_id, target_type, target_id, created_at) VALUES (?, ?, ?, ?)",
        [(*row, _sql_time(start)) for row in follows],
    )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return {"notes": notes, "users": users, "tags": tags}
