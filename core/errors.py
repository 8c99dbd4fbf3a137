"""The errors every feature raises for a request it refuses, answered the same way everywhere:
a page shows the reasons, the JSON API answers 422 (404 for :class:`NotFound`)."""

from __future__ import annotations


class Refused(Exception):
    """A request the product refuses, with the reasons a person can act on."""

    def __init__(self, *errors: str) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


class NotFound(Refused):
    """The thing asked for does not exist, or the user may not see it (never said which)."""
