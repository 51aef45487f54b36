"""The ledger's own refusal: what it cannot do and how to fix it.

The ledger imports nothing of the application, so it does not raise the domain's
``SocaiError``; the command line reports a :class:`LedgerError` the same way (``error:`` plus
``hint:``, exit status 2). A failed *verification* of a proof or checkpoint is a different
thing, :class:`infra.ledger.verifier.VerificationError`, raised by the standalone verifier.

Invariant: messages name positions, sizes, key ids and files, never stored content.
"""

from __future__ import annotations


class LedgerError(Exception):
    """The ledger cannot do what was asked (missing key, no checkpoint, bad proof input);
    ``hint`` tells the reader how to fix it."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint
