"""The ITIL 4 rules of an incident record as plain data: statuses and their legal moves,
priority from impact × urgency, SLA targets and clocks.

Nothing here touches Flask or a database, so the app's incident records, the simulator
and the analysis apply the same rules. What an organisation configures (its priority
matrix, its SLA targets) travels as a `Policy`, read once at the edge (`app.config`) and
passed in; `DEFAULT_POLICY` is what ServiceNow ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.errors import Refused

STATUSES = ("new", "in_progress", "on_hold", "resolved", "closed", "cancelled")
OPEN = ("new", "in_progress", "on_hold")
# Legal status moves (DESIGN §4): new → in_progress ↔ on_hold → resolved → closed;
# resolved may reopen; any open status may be cancelled.
MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"in_progress", "cancelled"}),
    "in_progress": frozenset({"on_hold", "resolved", "cancelled"}),
    "on_hold": frozenset({"in_progress", "resolved", "cancelled"}),
    "resolved": frozenset({"closed", "in_progress"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
RESOLUTION_CODES = (
    "Solved (Work Around)",
    "Solved (Permanently)",
    "Solved Remotely (Work Around)",
    "Solved Remotely (Permanently)",
    "Not Solved (Not Reproducible)",
    "Not Solved (Too Costly)",
    "Closed/Resolved by Caller",
)

Matrix = tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]
# Priority by impact (rows 1–3) and urgency (columns 1–3), as ServiceNow ships it.
DEFAULT_PRIORITY_MATRIX: Matrix = ((1, 2, 3), (2, 3, 4), (3, 4, 5))
# Respond-by and resolve-by per priority.
DEFAULT_SLA_TARGETS: dict[int, tuple[timedelta, timedelta]] = {
    1: (timedelta(minutes=15), timedelta(hours=4)),
    2: (timedelta(hours=1), timedelta(hours=8)),
    3: (timedelta(hours=4), timedelta(hours=24)),
    4: (timedelta(hours=8), timedelta(hours=72)),
    5: (timedelta(hours=24), timedelta(hours=120)),
}
# Once a clock has less than this share of its time left, the incident is at risk.
AT_RISK_SHARE = 0.25


def check_scale(name: str, value: int) -> int:
    """Impact and urgency are 1 (high), 2 (medium) or 3 (low)."""
    if value not in (1, 2, 3):
        raise Refused(f"{name} is 1 (high), 2 (medium) or 3 (low).")
    return value


def check_move(number: str, current: str, target: str) -> None:
    """Refuse a status move ITIL does not allow, saying which moves are allowed."""
    if target not in MOVES:
        raise Refused(f"Unknown status {target!r}.")
    if target not in MOVES[current]:
        allowed = ", ".join(sorted(MOVES[current])) or "none: it is final"
        raise Refused(
            f"{number} is {current.replace('_', ' ')}; it cannot move to "
            f"{target.replace('_', ' ')} (allowed: {allowed.replace('_', ' ')})."
        )


def steps_to(current: str, target: str) -> list[str] | None:
    """The moves that reach `target`: one, or through in progress from new (typing
    "/status resolved" on a new incident starts work on it, then resolves it)."""
    if target in MOVES.get(current, ()):
        return [target]
    if current == "new" and target in MOVES["in_progress"]:
        return ["in_progress", target]
    return None


@dataclass(frozen=True)
class SlaClock:
    """Respond-by and resolve-by for an incident at a moment: time left, or breached."""

    respond_by: datetime
    resolve_by: datetime
    responded: bool
    resolved: bool
    respond_left: timedelta
    resolve_left: timedelta
    respond_target: timedelta
    resolve_target: timedelta

    @property
    def respond_breached(self) -> bool:
        return self.respond_left < timedelta(0)

    @property
    def resolve_breached(self) -> bool:
        return self.resolve_left < timedelta(0)

    def closing(self, share: float = AT_RISK_SHARE) -> list[str]:
        """Which running clocks ("respond", "resolve") have less than `share` of their time
        left and have not been breached by more than that share yet."""
        running = []
        if not self.responded and _near(self.respond_left, self.respond_target, share):
            running.append("respond")
        if not self.resolved and _near(self.resolve_left, self.resolve_target, share):
            running.append("resolve")
        return running


def _near(left: timedelta, target: timedelta, share: float) -> bool:
    return -target * share < left < target * share


@dataclass(frozen=True)
class Policy:
    """What an organisation configures about incidents: its priority matrix and SLA targets."""

    priority_matrix: Matrix = DEFAULT_PRIORITY_MATRIX
    sla_targets: dict[int, tuple[timedelta, timedelta]] = field(
        default_factory=lambda: dict(DEFAULT_SLA_TARGETS)
    )

    def __hash__(self) -> int:
        return hash((self.priority_matrix, tuple(sorted(self.sla_targets.items()))))

    def priority(self, impact: int, urgency: int) -> int:
        """P1 (highest) to P5 from impact and urgency, each 1 (high) to 3 (low)."""
        check_scale("Impact", impact)
        check_scale("Urgency", urgency)
        return self.priority_matrix[impact - 1][urgency - 1]

    def targets(self, priority: int) -> tuple[timedelta, timedelta]:
        """Respond-by and resolve-by for a priority."""
        return self.sla_targets[priority]

    @property
    def longest_resolve(self) -> timedelta:
        return max(resolve for _, resolve in self.sla_targets.values())

    def clock(
        self,
        priority: int,
        registered_at: datetime,
        acknowledged_at: datetime | None,
        resolved_at: datetime | None,
        now: datetime,
    ) -> SlaClock:
        """The SLA clocks: they start at registration and stop at acknowledgement and at
        resolution."""
        respond, resolve = self.targets(priority)
        return SlaClock(
            respond_by=registered_at + respond,
            resolve_by=registered_at + resolve,
            responded=acknowledged_at is not None,
            resolved=resolved_at is not None,
            respond_left=registered_at + respond - (acknowledged_at or now),
            resolve_left=registered_at + resolve - (resolved_at or now),
            respond_target=respond,
            resolve_target=resolve,
        )


DEFAULT_POLICY = Policy()


def matrix_text(matrix: Matrix) -> str:
    """A matrix as `I2I_PRIORITY_MATRIX` writes it: "1 2 3 / 2 3 4 / 3 4 5"."""
    return " / ".join(" ".join(str(p) for p in row) for row in matrix)


def matrix_from_records(records: list[tuple[int, int, int]]) -> Matrix | None:
    """The matrix a source system's records follow, from (impact, urgency, priority)
    triples: each cell takes the priority most records give it (cells no record shows keep
    the default). None when records disagree about a cell too often to call it a matrix
    (more than 1 in 20 of a cell's records)."""
    cells: dict[tuple[int, int], dict[int, int]] = {}
    for impact, urgency, priority in records:
        counts = cells.setdefault((impact, urgency), {})
        counts[priority] = counts.get(priority, 0) + 1
    rows = [list(row) for row in DEFAULT_PRIORITY_MATRIX]
    for (impact, urgency), counts in cells.items():
        priority, most = max(counts.items(), key=lambda item: (item[1], -item[0]))
        if sum(counts.values()) - most > sum(counts.values()) / 20:
            return None
        rows[impact - 1][urgency - 1] = priority
    return tuple(tuple(row) for row in rows)  # type: ignore[return-value]
