"""Baseline: socai's tables as the release before schema versions created them.

Frozen history: these statements are the exact DDL of commit dac064a (``infra/ledger/chain.py``,
``infra/key_check.py``, ``streams/positions.py``), all ``IF NOT EXISTS``, so that a store made
by that release — which created each table lazily, and may lack some (``ledger_log`` before
origins, ``socai_key_check`` before the key check, the relay's table before a first relay) —
ends up with every one of them, and a new store gets them before the library opens it. Never
edit this file; change the schema in a new revision.

Revision ID: 0001_baseline
Revises: (none)
"""

from __future__ import annotations

from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

SQLITE = (
    "CREATE TABLE IF NOT EXISTS ledger_chain (position INTEGER PRIMARY KEY,"
    " leaf_index INTEGER NOT NULL UNIQUE, prev_position INTEGER NOT NULL,"
    " recorded_at TEXT NOT NULL, leaf_hash BLOB NOT NULL, chain_hash BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS ledger_node_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " size INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_checkpoints (tree_size INTEGER PRIMARY KEY,"
    " document TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_log (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " origin TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS socai_key_check (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " algorithm TEXT NOT NULL, check_value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS socai_stream_relay_positions (relay_name VARCHAR(64) NOT NULL,"
    " position BIGINT NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY (relay_name))",
)

POSTGRES = (
    "CREATE TABLE IF NOT EXISTS ledger_chain (position bigint PRIMARY KEY,"
    " leaf_index bigint NOT NULL UNIQUE, prev_position bigint NOT NULL,"
    " recorded_at text NOT NULL, leaf_hash bytea NOT NULL, chain_hash bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_nodes (level int NOT NULL, idx bigint NOT NULL,"
    " hash bytea NOT NULL, PRIMARY KEY (level, idx))",
    "CREATE TABLE IF NOT EXISTS ledger_node_state (id int PRIMARY KEY CHECK (id = 1),"
    " size bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_checkpoints (tree_size bigint PRIMARY KEY,"
    " document text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS ledger_log (id int PRIMARY KEY CHECK (id = 1),"
    " origin text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS socai_key_check (id int PRIMARY KEY CHECK (id = 1),"
    " algorithm text NOT NULL, check_value text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS socai_stream_relay_positions (relay_name VARCHAR(64) NOT NULL,"
    " position BIGINT NOT NULL, updated_at TIMESTAMP WITH TIME ZONE NOT NULL,"
    " PRIMARY KEY (relay_name))",
)


def upgrade() -> None:
    statements = SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("socai never drops ledger tables: restore a backup instead")
