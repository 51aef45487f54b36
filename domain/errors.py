"""Errors the domain raises. Every message says what is wrong and how to fix it.

Invariant: no message ever contains a victim's identifying data (name, identity number,
address, phone). Messages name cases by their pseudonymous id, events by version, fields by
name, and never echo the value of a personal field.
"""

from __future__ import annotations


class SocaiError(Exception):
    """Base of every error socai reports to a person.

    ``hint`` tells the reader how to fix it; the CLI prints it under the message.
    """

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


class RuleViolation(SocaiError):
    """A command asks for a step the rules forbid; nothing was written.

    ``code`` is a stable machine-readable name (e.g. ``"after_closure"``) that tests and
    downstream tools can match on; the message is for people.
    """

    def __init__(self, code: str, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code


class InvalidInput(RuleViolation):
    """A value is malformed (wrong type, unknown code, negative money...)."""

    def __init__(self, field: str, message: str, *, hint: str = "") -> None:
        super().__init__("invalid_input", f"{field}: {message}", hint=hint)
        self.field = field


class NotFound(SocaiError):
    """The case, programme or event named does not exist."""


class ConcurrentWriteConflict(SocaiError):
    """Two writers changed the same aggregate; this write lost and nothing was written.

    The message names the aggregate and the version the writer started from, so the writer
    can reload and retry.
    """


class NotAllowed(SocaiError):
    """The policy refuses this user this action (on this case or unit); nothing was written
    but the refusal itself, which is kept in the access log. The message names the role and
    scope that would allow it."""
