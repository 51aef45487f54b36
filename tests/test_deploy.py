"""The deployment files name real commands and options, one relay, health on the workers."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.main import app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("socai-*.service"))
runner = CliRunner()


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def _socai_args(line: str) -> list[str]:
    words = shlex.split(line.replace("%i", "1"))
    assert words[0].endswith("/socai"), line
    return words[1:]


def _compose_commands() -> dict[str, list[str]]:
    """Each service's ``command:`` (a flow list of strings), by service."""
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    commands: dict[str, list[str]] = {}
    service = None
    for line in text.split("\nservices:\n", 1)[1].splitlines():
        if match := re.match(r"^  (\w+):\s*(#.*)?$", line):
            service = match[1]
        elif (match := re.match(r"^    command: \[(.*)\]$", line)) and service:
            commands[service] = [w.strip().strip('"') for w in match[1].split(",")]
    return commands


def _known(args: list[str]) -> bool:
    """Whether socai accepts these arguments (checked with --help: nothing runs)."""
    if args == ["serve"]:
        return True  # the web placeholder (socai[web] adds the command)
    options = [a for a in args if a.startswith("--")]
    command = [a for a in args if not a.startswith("-")][:2]
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return all(option in result.output for option in options)


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_unit_runs_a_real_command_as_the_socai_user(unit):
    parser = _unit(unit)
    service = parser["Service"]
    assert service["User"] == "socai"
    lines = unit.read_text(encoding="utf-8").splitlines()
    assert "EnvironmentFile=/etc/socai/socai.env" in lines
    if unit.name == "socai-relay.service":  # the relay acts as a stream_service user
        assert "EnvironmentFile=/etc/socai/relay.env" in lines
    assert _known(_socai_args(service["ExecStart"])), service["ExecStart"]
    assert "WantedBy" in parser["Install"]


def test_compose_runs_real_commands_one_relay_and_healthy_workers():
    commands = _compose_commands()
    assert set(commands) == {"topics", "relay", "worker", "web"}
    for args in commands.values():
        assert _known(args), args
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    relay = text.split("  relay:")[1].split("\n  worker:")[0]
    assert "deploy: {replicas: 1}" in relay
    assert "SOCAI_TOKEN: ${SOCAI_RELAY_TOKEN" in relay
    assert "--health-port" in commands["worker"]
    assert "8081/health" in text
    for service in ("postgres:", "kafka:"):
        assert f"\n  {service}" in text
    assert "SOCAI_CIPHER_KEY: ${SOCAI_CIPHER_KEY:?" in text  # never a key in the file


def test_the_relay_unit_restarts_so_a_standby_takes_over():
    service = _unit(DEPLOY / "systemd" / "socai-relay.service")["Service"]
    assert service["Restart"] == "always"
    assert "--follow" in service["ExecStart"]


def test_deploy_doc_names_every_file_and_the_lock_and_health_pieces():
    doc = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    for needle in (
        "deploy/compose.yaml",
        "pg_try_advisory_lock",
        "GET /health",
        "GET /lag",
        "socai status --format json",
        "What to scale when",
        "SOCAI_TOPIC_MIN_INSYNC",
    ):
        assert needle in doc
    for unit in UNITS:
        assert unit.stem in doc, unit.name
