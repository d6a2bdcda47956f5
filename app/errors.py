"""The one exception a domain function raises when it refuses a request."""

from __future__ import annotations


class Refused(Exception):
    """A request the rules do not allow. `message` is shown to the person as it is."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(Refused):
    status = 404


class Forbidden(Refused):
    status = 403


class Conflict(Refused):
    status = 409
