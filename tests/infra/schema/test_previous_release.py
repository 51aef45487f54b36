"""A store made by the previous release (before schema versions) opens, migrates, verifies
and gives the same reports — on SQLite and on PostgreSQL.

The fixtures in ``fixtures/v0`` were written by the code of commit dac064a with its own
``socai demo`` (``fixtures/make_previous_release.py`` says how): a SQLite store with the
projection tables that release built from it, the same scenario on PostgreSQL as a
``pg_dump`` (gzipped: a frozen dump is data, not code to read or diff), the stores' AES key
and the public key their checkpoints are signed under.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from domain.reference.units import NATIONAL_CODE, AdminMap
from infra.audit_store import ledger_tables
from infra.projection_db import projections_engine, runner_for
from infra.schema.store import SchemaMismatch, head, state_of
from infra.services.socai import Socai
from infra.settings import Settings
from projections.funding_sql import FundingQueries
from projections.registry import all_projections
from projections.rollup import compute_rollup
from tests.infra.cli.support import script_token
from tests.infra.cli.test_cli import NO_USER, socai

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "fixtures" / "v0"
YEARS = tuple(range(2016, 2027))
DIMENSIONS = ("programme", "line", "source")


@dataclass(frozen=True)
class OldStore:
    url: str
    key: Path

    def settings(self) -> Settings:
        return Settings.load(self.url, str(self.key))

    def cli(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``socai`` on the store; once it is migrated, as the tests' registered user (the
        previous release had no users: the current one's administrator registers one)."""
        signed_in = args[0] not in NO_USER and state_of(self.settings()).status == "current"
        token = {"SOCAI_TOKEN": script_token(self.url, str(self.key))} if signed_in else {}
        return socai(self.url, "--key-file", str(self.key), *args, env={**token, **(env or {})})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> OldStore:
    key = tmp_path / "store.key"
    shutil.copyfile(FIXTURE / "store.key", key)
    if request.param == "sqlite":
        shutil.copyfile(FIXTURE / "store.sqlite", tmp_path / "store.db")
        shutil.copyfile(FIXTURE / "store.sqlite.projections", tmp_path / "store.db.projections.db")
        return OldStore(f"sqlite:///{tmp_path / 'store.db'}", key)
    url = request.getfixturevalue("pg_url")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            gzip.decompress((FIXTURE / "store.postgres.sql.gz").read_bytes()).decode()
        )
    return OldStore(url, key)


def reports(engine: sa.Engine) -> tuple[object, ...]:
    """The rollup form (both maps, the nation, every year) and the funding reconciliation."""
    return (
        compute_rollup(engine, AdminMap.OLD, NATIONAL_CODE, YEARS),
        compute_rollup(engine, AdminMap.NEW, NATIONAL_CODE, YEARS),
        FundingQueries(engine).reconcile(DIMENSIONS),
    )


def ledger_rows(store: OldStore) -> tuple[object, ...]:
    """The log's identity and every signed checkpoint, verbatim."""
    with ledger_tables(store.settings()) as tables:
        return tables.origin(), tuple(tables.checkpoint_documents()), tables.head()


def fingerprint(store: OldStore) -> str:
    """Everything in the store's database, to prove a refusal changed nothing."""
    engine = sa.create_engine(store.settings().store.sqlalchemy_url())
    digest = hashlib.sha256()
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for name in sorted(inspector.get_table_names()):
            digest.update(name.encode())
            rows = connection.exec_driver_sql(f"SELECT * FROM {name}").all()
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(row.encode())
    engine.dispose()
    return digest.hexdigest()


def test_a_previous_release_store_migrates_verifies_and_reports_the_same(
    old_store: OldStore, caplog: pytest.LogCaptureFixture
) -> None:
    settings = old_store.settings()
    before_reports = reports(projections_engine(settings))
    before_ledger = ledger_rows(old_store)  # the audit tools read an older store as it is
    assert before_ledger[1], "the fixture holds signed checkpoints"
    unchanged = fingerprint(old_store)

    # this code refuses to run on it until it is migrated, and changes nothing meanwhile
    with pytest.raises(SchemaMismatch, match="made before schema versions") as refused:
        Socai(settings)
    assert refused.value.hint and "socai migrate" in refused.value.hint
    refused_cli = old_store.cli("case", "list")
    assert refused_cli.returncode == 2
    assert "socai migrate" in refused_cli.stderr
    assert fingerprint(old_store) == unchanged

    check = old_store.cli("migrate", "--check")
    assert check.returncode == 1, check.stderr
    migrated = old_store.cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"to {head()}" in migrated.stdout
    assert "identity socai adopted from the default" in migrated.stdout
    assert state_of(settings).status == "current"

    verified = old_store.cli("audit", "verify", "--public-key", str(FIXTURE / "signing.pub.pem"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert ledger_rows(old_store) == before_ledger  # origin and checkpoints untouched

    app = Socai(settings)
    try:
        assert (app.store.identity.store_id, app.store.identity.how) == ("socai", "adopted")
        engine = projections_engine(settings)
        with caplog.at_level(logging.WARNING, logger="socai.projections"):
            runner_for(app.log, engine).run()
        rebuilt = {r.args[0] for r in caplog.records if "definition changed" in r.getMessage()}
        # built before digests: rebuilt; proceedings is newer than that release, so built fresh
        assert rebuilt == {p.name for p in all_projections()} - {"proceedings"}
        assert reports(engine) == before_reports
    finally:
        app.close()
    for args in (
        ("rollup", "--unit", NATIONAL_CODE, "--years", "2016-2026", "--map", "old"),
        ("finance", "reconcile"),
    ):
        result = old_store.cli(*args)
        assert result.returncode == 0, result.stderr


def test_a_previous_release_store_adopts_the_identity_it_was_published_under(
    old_store: OldStore,
) -> None:
    migrated = old_store.cli("migrate", env={"SOCAI_STORE_ID": "dong-thap"})
    assert migrated.returncode == 0, migrated.stderr
    assert "identity dong-thap adopted from SOCAI_STORE_ID" in migrated.stdout
    app = Socai(old_store.settings())
    try:
        assert app.store.identity.store_id == "dong-thap"
    finally:
        app.close()
    again = old_store.cli("migrate", "--store-id", "other")
    assert again.returncode == 2
    assert "keeps its identity for life" in again.stderr
