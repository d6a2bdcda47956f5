"""What an import reports: created, updated, skipped (with reasons), and the first
problems by where they are (a line, a file, an incident)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# A progress bar's constructor: (items, length, label) → a context manager that iterates
# the items and takes `update(steps)` (click.progressbar in the CLI).
Progress = Callable[[Iterable, int, str], object]
MAX_PROBLEMS = 50


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "line 12: why", first ones only
    notices: list[str] = field(default_factory=list)  # what the importer noticed, not refused
    refused: int = 0  # records refused as bad (not "already imported"): the run failed them

    def skip(self, reason: str, where: str | None = None, detail: str = "") -> None:
        """Count a skipped record; `where` ("line 12", a file name) lists it as a problem
        and counts it as refused."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        if where is not None:
            self.refused += 1
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(f"{where}: {reason}{': ' + detail if detail else ''}")

    def __str__(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        text = f"created {self.created}, updated {self.updated}, skipped: {skipped}"
        more = self.refused - len(self.problems)
        tail = [f"… and {more} more refused"] if more > 0 else []
        return "\n".join([text, *self.notices, *self.problems, *tail])


class NoProgress:
    """What a progress bar gives when nobody watches: the items, and updates that do nothing."""

    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __iter__(self):
        return iter(self.items)

    def update(self, steps: int) -> None:
        pass


def progress_or_none(progress: Progress | None) -> Progress:
    return progress or (lambda items, length, label: NoProgress(items))
