"""Locust users for bench/load.py: responders posting notes and colleagues reading.

bench/load.py starts Locust with this file and the environment variable I2I_LOAD_PLAN,
the path of a JSON file naming the accounts, their password, tags and words to use, and
the folder where this file writes what it saw:
  * acked-<pid>.txt: the id of every note the site acknowledged (201), one a line, written
    as each acknowledgement arrives (so a crash of Locust itself loses none);
  * outcomes-<pid>.json: responses by status class, connection errors, answers per
    second, and the response time of every request but the sign-ins (the run's latency
    figures: 250 sign-ins at once are password hashing, not what people wait for).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

from locust import FastHttpUser, between, events, task

PLAN = json.loads(Path(os.environ["I2I_LOAD_PLAN"]).read_text())
OUT = Path(PLAN["out"])
CSRF_FORM = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HTMX = re.compile(r'"X-CSRFToken": "([^"]+)"')
NOTE_ID = re.compile(r'id="note-(\d+)"')
POSTERS = itertools.cycle(PLAN["posters"])
READERS = itertools.cycle(PLAN["readers"])
acked = (OUT / f"acked-{os.getpid()}.txt").open("a", buffering=1)
outcomes: Counter = Counter()
per_second: Counter = Counter()
times: list[float] = []  # milliseconds, every request but "sign in"
START = time.time()


@events.request.add_listener
def _count(name="", response_time=0.0, response=None, exception=None, **_) -> None:
    if name != "sign in":
        times.append(round(response_time, 1))
    status = getattr(response, "status_code", 0) or 0
    if exception is not None and status == 0:
        outcomes["connection error"] += 1
    else:
        outcomes[f"{status // 100}xx"] += 1
        if status < 500:
            per_second[int(time.time() - START)] += 1


@events.quitting.add_listener
def _write(**_) -> None:
    acked.close()
    (OUT / f"outcomes-{os.getpid()}.json").write_text(
        json.dumps({"outcomes": outcomes, "answered_per_second": per_second, "times": times})
    )


class Colleague(FastHttpUser):
    abstract = True

    def sign_in(self, username: str) -> None:
        page = self.client.get("/login", name="sign in")
        token = CSRF_FORM.search(page.text).group(1)
        form = {"username": username, "password": PLAN["password"], "csrf_token": token}
        home = self.client.post("/login", data=form, name="sign in")
        self.token = CSRF_HTMX.search(home.text).group(1)


class Poster(Colleague):
    """A responder in an incident: a short note every few seconds, now and then a reply."""

    fixed_count = PLAN["poster_count"]
    wait_time = between(*PLAN["poster_wait"])

    def on_start(self) -> None:
        self.sign_in(next(POSTERS))
        self.mine: list[int] = []

    @task(5)
    def post(self) -> None:
        tags = " ".join(f"#{t}" for t in random.sample(PLAN["tags"], 2))
        text = f"{' '.join(random.sample(PLAN['words'], 6))} {tags}"
        self._post({"text": text})

    @task(1)
    def reply(self) -> None:
        if self.mine:
            self._post(
                {
                    "text": f"update: {random.choice(PLAN['words'])}",
                    "reply_to": random.choice(self.mine),
                }
            )

    def _post(self, form: dict) -> None:
        headers = {"HX-Request": "true", "X-CSRFToken": self.token}
        with self.client.post(
            "/notes", data=form, headers=headers, name="post a note", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}")
                return
            note_id = int(NOTE_ID.search(response.text).group(1))
            acked.write(f"{note_id}\n")
            self.mine = [*self.mine[-20:], note_id]


class Reader(Colleague):
    """A colleague following along: home, everything, a tag, a search, a person, a thread."""

    fixed_count = PLAN["reader_count"]
    wait_time = between(*PLAN["reader_wait"])

    def on_start(self) -> None:
        self.sign_in(next(READERS))

    @task(6)
    def home(self) -> None:
        self.client.get("/", name="home feed")

    @task(2)
    def everything(self) -> None:
        self.client.get("/all", name="all notes")

    @task(3)
    def tag(self) -> None:
        self.client.get(f"/tags/{random.choice(PLAN['tags'])}", name="tag feed")

    @task(2)
    def search(self) -> None:
        query = " ".join(random.sample(PLAN["words"], random.choice((1, 1, 2))))
        self.client.get("/search", params={"q": query}, name="search")

    @task(1)
    def person(self) -> None:
        self.client.get(f"/u/{random.choice(PLAN['posters'])}", name="person feed")

    @task(1)
    def thread(self) -> None:
        self.client.get(f"/notes/{random.randint(1, PLAN['top_note'])}", name="a note")
