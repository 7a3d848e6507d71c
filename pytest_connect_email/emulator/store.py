"""State behind a small interface: records of a kind, by id, in SQLite (standard library).

In memory by default; a file when a path is given. Every operation runs in one transaction
(``BEGIN IMMEDIATE`` ... ``COMMIT``), so a process killed mid-operation leaves either all of its
writes or none, and a file store reads back whole after a restart. One connection serves all
threads, serialised by a lock: operations are short, and serialising them is what makes the
emulator's invariants (one alias per address, unique addresses per instance) hold under
concurrency without a second copy of them in SQL.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_connect_email import limits

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS records_by_parent ON records (kind, parent, seq);
"""


class Transaction:
    """Reads and writes inside one store transaction."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM records WHERE kind = ? AND id = ?", (kind, ident)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def exists(self, kind: str, ident: str) -> bool:
        """Whether there is a record of ``kind`` by ``ident`` (without reading it)."""
        return self._db.execute("SELECT 1 FROM records WHERE kind = ? AND id = ?", (kind, ident)).fetchone() is not None

    def put(self, kind: str, ident: str, data: dict[str, Any], parent: str = "") -> None:
        text = json.dumps(data, sort_keys=True, ensure_ascii=False)
        updated = self._db.execute(
            "UPDATE records SET data = ?, parent = ? WHERE kind = ? AND id = ?", (text, parent, kind, ident)
        ).rowcount
        if not updated:
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM records").fetchone()[0]
            self._db.execute(
                "INSERT INTO records (kind, id, parent, seq, data) VALUES (?, ?, ?, ?, ?)",
                (kind, ident, parent, seq, text),
            )

    def delete(self, kind: str, ident: str) -> bool:
        return self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, ident)).rowcount > 0

    def find(self, kind: str, parent: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Records of a kind (under one parent when given), oldest first."""
        if parent is None:
            rows = self._db.execute("SELECT id, data FROM records WHERE kind = ? ORDER BY seq", (kind,))
        else:
            rows = self._db.execute(
                "SELECT id, data FROM records WHERE kind = ? AND parent = ? ORDER BY seq", (kind, parent)
            )
        return [(ident, dict(json.loads(data))) for ident, data in rows.fetchall()]

    def delete_children(self, parent: str) -> int:
        return self._db.execute("DELETE FROM records WHERE parent = ?", (parent,)).rowcount


class Store:
    """SQLite-backed record store; ``path=None`` keeps everything in memory."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        target = ":memory:" if self.path is None else str(self.path)
        self._db = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None, timeout=limits.STATE_LOCK_TIMEOUT
        )
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """One transaction; ``write=False`` for reads, which the store lock alone keeps consistent."""
        with self._lock:
            if not write:
                yield Transaction(self._db)
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
