"""What every response of the web carries, and the checks on what comes in (bảo mật).

- Headers: a Content-Security-Policy that allows this server only (``default-src 'self'``,
  no inline script or style, no frames, forms posted only here), ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff`` and ``Cache-Control:
  no-store`` (a page may hold what only its reader may see).
- CSRF: each form carries a token derived from the session (HMAC of the session's token id
  under a key of this server process), compared in constant time; before login, from a
  random pre-session cookie. A POST without the right token is refused (403) before anything
  is read or written.
- Redirects after login go to a local path only (no ``//host``, no scheme, no backslash).
- Login attempts are limited per client address, on top of the service's own backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none';"
    " frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware: adds :data:`HEADERS` to every HTTP response (pages, files, errors)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.encode(), value.encode())
                    for name, value in HEADERS.items()
                    if name.encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class Csrf:
    """CSRF tokens (mã chống giả mạo yêu cầu) bound to a session or a pre-session value."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def token(self, bound_to: str) -> str:
        return hmac.new(self._key, bound_to.encode(), hashlib.sha256).hexdigest()

    def valid(self, bound_to: str | None, given: str | None) -> bool:
        """Whether ``given`` is the token of ``bound_to`` (constant-time comparison)."""
        if not bound_to or not given:
            return False
        return hmac.compare_digest(self.token(bound_to).encode(), given.encode())


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this server, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(c) < 0x20 or c in "\\" for c in target) or ":" in target.split("?", 1)[0]:
        return default
    return target


class LoginLimiter:
    """At most ``attempts`` logins per client address in ``window`` seconds (thread-safe).
    The access service's backoff slows attempts on one user; this slows one client trying
    many users."""

    def __init__(self, attempts: int = 10, window: float = 300.0) -> None:
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str, now: float | None = None) -> int:
        """Seconds the client must wait before another attempt (0: go on; the attempt is
        counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                return int(seen[0] + self.window - now) + 1
            seen.append(now)
            return 0
