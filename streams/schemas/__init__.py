"""The published JSON Schemas of the public event types, one file per type
(``<type>.json``). They are the contracts downstream teams code against: regenerate them with
``socai streams schemas --write`` after changing a contract; a breaking change is refused
unless the change gets a new type version (``.v2``)."""

from pathlib import Path

SCHEMA_DIR = Path(__file__).parent
