"""State behind a small interface: records of a kind, by id, in SQLite (standard library).

In memory by default; a file when a path is given. Every operation runs in one transaction
(``BEGIN IMMEDIATE`` ... ``COMMIT``), so a process killed mid-operation leaves either all of its
writes or none, and a file store reads back whole after a restart. One connection serves all
threads, serialised by a lock: operations are short, and serialising them is what makes the
emulator's invariants (one alias per address, unique addresses per instance) hold under
concurrency without a second copy of them in SQL.

A state file is checked when it is opened (:class:`StateFileError` names it, says what is wrong and
what to do): it must be empty, or an SQLite database that is whole (not shorter than its header
says) and holds this emulator's ``records`` table and nothing else. New files are stamped with
:data:`APPLICATION_ID`. A record that no longer decodes (a file edited by hand) is reported once, as a
:class:`StateRecordWarning` naming its kind and id, and is treated as absent: the rest of the store
keeps serving, and the next write of that id replaces it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
import threading
import warnings
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
_COLUMNS = ["kind", "id", "parent", "seq", "data"]

#: ``PRAGMA application_id`` of the state files this emulator creates ("CEML").
APPLICATION_ID = 0x43454D4C
_MAGIC = b"SQLite format 3\x00"
_HEADER_BYTES = 100
_FIX = "give --state (or Emulator.create(state=...)) a new file name, which the emulator creates, or delete this file"


class StateFileError(ValueError):
    """A state file the emulator cannot use; the message names the file, the problem and the fix."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"state file {path}: {problem}; {_FIX}")
        self.path = path
        self.problem = problem


class StateRecordWarning(UserWarning):
    """A stored record that does not decode; it is treated as absent (reported once per record)."""


def _check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database, or is shorter than its header says (truncated)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            header = file.read(_HEADER_BYTES)
    except OSError as exc:
        raise StateFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not header:
        return  # an empty file: new state
    if not header.startswith(_MAGIC[: len(header)]):
        raise StateFileError(path, "not an SQLite database (its first bytes are not 'SQLite format 3')")
    if len(header) < _HEADER_BYTES:
        raise StateFileError(path, f"an SQLite database truncated to {size} bytes (shorter than its header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The header's page count is valid when its "version valid for" equals the change counter; with a
    # write-ahead log beside the file, a checkpoint cut short may have written the header first.
    wal = path.with_name(path.name + "-wal")
    logged = wal.is_file() and wal.stat().st_size > 0
    if header[92:96] == header[24:28] and pages * page_size > size and not logged:
        raise StateFileError(
            path, f"an SQLite database truncated to {size} bytes (its header says {pages} pages of {page_size})"
        )


def _check_schema(path: Path, db: sqlite3.Connection) -> None:
    """Refuse an SQLite database that holds anything but this emulator's ``records`` table."""
    app = db.execute("PRAGMA application_id").fetchone()[0]
    if app not in (0, APPLICATION_ID):
        raise StateFileError(path, f"an SQLite database of another application (application_id {app:#x})")
    tables = sorted(
        name
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    )
    if not tables:
        return
    columns = [row[1] for row in db.execute("PRAGMA table_info(records)")] if tables == ["records"] else []
    if columns != _COLUMNS:
        found = f"table records with columns {', '.join(columns)}" if columns else f"tables {', '.join(tables)}"
        raise StateFileError(
            path, f"an SQLite database but not this emulator's state: it holds {found} (expected: table records)"
        )


class Transaction:
    """Reads and writes inside one store transaction."""

    def __init__(self, connection: sqlite3.Connection, store: Store | None = None) -> None:
        self._db = connection
        self._store = store

    def _decode(self, kind: str, ident: str, text: object) -> dict[str, Any] | None:
        """A record's data, or ``None`` (reported once) when it does not decode to a JSON object
        within the budgets of :mod:`pytest_connect_email.limits`."""
        try:
            if not isinstance(text, str):  # a BLOB or a number written into the file by hand
                raise ValueError(f"stored as {type(text).__name__}, not text")
            value = limits.loads(text, f"record {kind}/{ident}")
        except (ValueError, RecursionError) as exc:
            problem = f"is not JSON within the budgets ({exc})"
        else:
            if type(value) is dict:
                return value
            problem = f"is JSON {type(value).__name__}, not an object"
        if self._store is not None:
            self._store.report(kind, ident, problem)
        return None

    def get(self, kind: str, ident: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data FROM records WHERE kind = ? AND id = ?", (kind, ident)).fetchone()
        return None if row is None else self._decode(kind, ident, row[0])

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
        decoded = [(ident, self._decode(kind, ident, data)) for ident, data in rows.fetchall()]
        return [(ident, data) for ident, data in decoded if data is not None]

    def delete_children(self, parent: str) -> int:
        return self._db.execute("DELETE FROM records WHERE parent = ?", (parent,)).rowcount


class Store:
    """SQLite-backed record store; ``path=None`` keeps everything in memory."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        #: Records found not to decode, by (kind, id): what is wrong with each (see :meth:`report`).
        self.corrupt_records: dict[tuple[str, str], str] = {}
        self._lock = threading.RLock()
        if self.path is not None and self.path.exists():
            _check_header(self.path)
        target = ":memory:" if self.path is None else str(self.path)
        try:
            self._db = sqlite3.connect(
                target, check_same_thread=False, isolation_level=None, timeout=limits.STATE_LOCK_TIMEOUT
            )
        except sqlite3.Error as exc:
            raise StateFileError(self.path or Path(target), f"cannot be opened ({exc})") from None
        try:
            self._open()
        except StateFileError:
            self._db.close()
            raise
        except sqlite3.Error as exc:
            self._db.close()
            assert self.path is not None  # an in-memory database is always readable
            problem = (
                f"is locked by another process for over {limits.STATE_LOCK_TIMEOUT:g} s"
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
                else f"an SQLite database that cannot be read ({exc})"
            )
            raise StateFileError(self.path, problem) from None

    def _open(self) -> None:
        if self.path is not None:
            _check_schema(self.path, self._db)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        if self.path is not None and self._db.execute("PRAGMA application_id").fetchone()[0] == 0:
            self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def report(self, kind: str, ident: str, problem: str) -> None:
        """Warn, once per record, that a stored record does not decode and is treated as absent; the
        records reported so far are in :attr:`corrupt_records`."""
        if (kind, ident) in self.corrupt_records:
            return
        self.corrupt_records[kind, ident] = problem
        where = "the in-memory state" if self.path is None else f"state file {self.path}"
        quoted = ident.replace("'", "''")
        message = (
            f"{where}: record {kind}/{ident} {problem}; it is treated as absent until it is written again "
            f"(to drop it: DELETE FROM records WHERE kind = '{kind}' AND id = '{quoted}')"
        )
        try:
            warnings.warn(message, StateRecordWarning, stacklevel=2)
        except Warning:  # warnings made errors (-W error): the report must not turn the call into a 500
            print(f"StateRecordWarning: {message}", file=sys.stderr)

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """One transaction; ``write=False`` for reads, which the store lock alone keeps consistent."""
        with self._lock:
            if not write:
                yield Transaction(self._db, self)
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._db, self)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def reset(self) -> None:
        """Forget every record (a fresh state, as a new in-memory store has), in one transaction; the
        store keeps its identity, connection and file. Microseconds in memory: one ``DELETE``."""
        with self.transaction():
            self._db.execute("DELETE FROM records")
        self.corrupt_records.clear()

    def close(self) -> None:
        with self._lock:
            self._db.close()
