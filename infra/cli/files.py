"""Files named on the command line: read as UTF-8 JSON, or refused with what is wrong.

Every way a file given to ``--from-json`` or ``verify-proof`` can be unusable — missing, a
folder, unreadable, not UTF-8, not JSON, nested beyond reason — is one refusal with the path,
the reason and a hint (exit 2, nothing written), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.errors import InvalidInput

#: Largest JSON file the CLI reads (bytes): fields of one command or one proof are small.
MAX_JSON_FILE_BYTES = 16 * 1024 * 1024


def read_json_file(path: Path, option: str) -> Any:
    """The JSON value in ``path`` (the file given to ``option``)."""
    try:
        if path.stat().st_size > MAX_JSON_FILE_BYTES:
            raise InvalidInput(option, f"{path} is larger than {MAX_JSON_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(option, f"{path} does not exist") from None
    except IsADirectoryError:
        raise InvalidInput(option, f"{path} is a folder, not a JSON file") from None
    except PermissionError:
        raise InvalidInput(option, f"{path} cannot be read (permission denied)") from None
    except UnicodeDecodeError as error:
        raise InvalidInput(
            option,
            f"{path} is not UTF-8 text (byte {error.start + 1} cannot be read)",
            hint="save the file as UTF-8 (Excel: 'CSV UTF-8'; editors: encoding UTF-8)",
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise InvalidInput(option, f"{path} is nested too deeply to be read") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            option,
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno})",
            hint="check the file with a JSON validator; it must hold one JSON value",
        ) from None
