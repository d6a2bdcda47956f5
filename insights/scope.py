"""What an analysis looks at: a window of time, optional tags, services and teams, and the
incidents it must leave out because the viewer may not see them.

The app decides who may see what (`app.visibility`) and hands the result over as plain
data: the ids of the few restricted incidents hidden from this viewer. Every frame an
analysis reads drops those incidents' notes, events, people and tags before anything
is counted, so a hidden incident contributes nothing to any figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime


def hour_of(moment: datetime) -> int:
    """Hours since 1970-01-01 UTC: the bucket counts per tag are kept in (as
    `app.tag_hours` keeps them)."""
    return int(moment.timestamp()) // 3600


@dataclass(frozen=True)
class Scope:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    tags: tuple[str, ...] = ()  # canonical tag keys; empty: all tags
    services: tuple[str, ...] = ()  # service names; empty: all services
    teams: tuple[str, ...] = ()  # assignment groups of incidents; empty: all teams
    priorities: tuple[int, ...] = ()  # incident priorities (1 = P1); empty: all
    incidents: tuple[str, ...] = ()  # incident numbers; empty: all incidents
    hidden_incidents: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a scope's times must be aware (UTC)")
        if self.end <= self.start:
            raise ValueError("a scope ends after it starts")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    def widened(self, start: datetime) -> Scope:
        """The same scope reaching back to `start` (a trailing baseline before the window)."""
        return replace(self, start=min(start, self.start))

    @property
    def key(self) -> tuple:
        """What a cached result depends on (besides the data)."""
        return (
            self.start.isoformat(),
            self.end.isoformat(),
            self.tags,
            self.services,
            self.teams,
            self.priorities,
            self.incidents,
            tuple(sorted(self.hidden_incidents)),
        )
