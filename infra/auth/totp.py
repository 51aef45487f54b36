"""The second factor (yếu tố xác thực thứ hai): time-based one-time passwords, RFC 6238.

``pyotp`` computes the codes (30-second steps, 6 digits, HMAC-SHA1: what authenticator apps
expect). A code is accepted for the current step or the one before or after (clock drift),
and only for a step later than the last one used (no replay).
"""

from __future__ import annotations

from datetime import datetime

import pyotp

#: Steps either side of now that a code may belong to (RFC 6238 §5.2: one is recommended).
DRIFT_STEPS = 1
ISSUER = "socai"


def new_secret() -> str:
    """A fresh base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def matching_step(secret: str, code: str, at: datetime, after_step: int) -> int | None:
    """The time step ``code`` belongs to, if it is valid at ``at`` and later than
    ``after_step`` (the last step used); None otherwise."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    text = code.strip()
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if step > after_step and pyotp.utils.strings_equal(text, totp.generate_otp(step)):
            return step
    return None
