"""Settings: where the event store lives and where its encryption key comes from.

One setting chooses the store: ``SOCAI_STORE`` (or ``socai --store``), either
``sqlite:///PATH`` (the embedded default, ``sqlite:///./socai.db``) or a
``postgresql://USER:PASSWORD@HOST:PORT/DBNAME`` URL for several writers.

The AES key that encrypts events at rest comes from ``SOCAI_CIPHER_KEY`` (base64) or from a key
file (``SOCAI_KEY_FILE``; by default ``PATH.key`` beside a SQLite store, ``./socai.key`` for
PostgreSQL). Key files are never committed (``*.key`` is git-ignored).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from sqlalchemy import URL

from domain.errors import SocaiError

DEFAULT_STORE = "sqlite:///./socai.db"


class SettingsError(SocaiError):
    """A setting is missing or malformed."""


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A parsed store URL. ``kind`` is ``"sqlite"`` or ``"postgresql"``."""

    raw: str
    kind: str
    sqlite_path: Path | None = None
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = ""
    dbname: str = ""

    def sqlalchemy_url(self) -> URL:
        """The SQLAlchemy URL of this store's database."""
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            return URL.create("sqlite", database=str(self.sqlite_path))
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password or None,
            host=self.host,
            port=self.port,
            database=self.dbname,
        )

    @classmethod
    def parse(cls, raw: str) -> StoreURL:
        text = raw.strip()
        if text.startswith("sqlite:///"):
            path = text[len("sqlite:///") :]
            if not path:
                raise SettingsError(
                    f"store URL {raw!r} has no file path", hint="use sqlite:///./socai.db"
                )
            return cls(raw=text, kind="sqlite", sqlite_path=Path(path))
        if text.startswith(("postgresql://", "postgres://")):
            url = urlparse(text)
            dbname = url.path.lstrip("/")
            if not (url.hostname and dbname and url.username):
                raise SettingsError(
                    f"PostgreSQL URL must name user, host and database: {_redact(text)}",
                    hint="postgresql://socai:PASSWORD@127.0.0.1:5432/socai",
                )
            return cls(
                raw=text,
                kind="postgresql",
                host=url.hostname,
                port=url.port or 5432,
                user=unquote(url.username),
                password=unquote(url.password or ""),
                dbname=dbname,
            )
        raise SettingsError(
            f"store URL {_redact(text)!r} is neither sqlite:/// nor postgresql://",
            hint="e.g. sqlite:///./socai.db or postgresql://user:pw@127.0.0.1:5432/socai",
        )

    @property
    def display(self) -> str:
        """The URL with any password hidden: safe for logs and messages."""
        return _redact(self.raw)

    def default_key_file(self) -> Path:
        if self.sqlite_path is not None:
            return self.sqlite_path.with_name(self.sqlite_path.name + ".key")
        return Path("socai.key")


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    store: StoreURL
    key_file: Path
    cipher_key: str | None  # from the environment; wins over the key file

    @classmethod
    def load(cls, store: str | None = None, key_file: str | None = None) -> Settings:
        url = StoreURL.parse(store or os.environ.get("SOCAI_STORE") or DEFAULT_STORE)
        key_path = key_file or os.environ.get("SOCAI_KEY_FILE")
        return cls(
            store=url,
            key_file=Path(key_path) if key_path else url.default_key_file(),
            cipher_key=os.environ.get("SOCAI_CIPHER_KEY") or None,
        )
