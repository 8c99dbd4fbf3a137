"""Backups: one dated archive of the database and the instance files, and its restore.

An archive ``pageone-backup-<UTC time>.tar.gz`` holds:
- ``manifest.json``: format, time, database kind, schema revision, row counts per table, and the
  size and SHA-256 of every other member;
- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the app writes) or
  ``database.pgdump`` (``pg_dump --format=custom`` in the snapshot the row counts were read in);
- ``instance/…``: the instance folder (the secret key that decrypts stored credentials, …),
  without the database itself and without the backups.

The archive holds every secret of the instance: it is written owner-only (0600).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import Flask
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL

from core.db import utcnow

logger = logging.getLogger(__name__)
ARCHIVE_FORMAT = 1
PREFIX = "pageone-backup-"
SUFFIX = ".tar.gz"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
TOOL_TIMEOUT = 3600


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason an operator can act on."""


@dataclass
class RestoreResult:
    revision_in_archive: str | None
    revision_now: str | None
    tables: int
    rows: int
    files: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump and pg_restore, and the environment carrying its password (a
    password on the command line would show in the process list)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client of the server's major "
            "version (Debian: postgresql-client)."
        )
    return path


def _row_counts(connection: Any) -> dict[str, int]:
    counts = {}
    for table in sorted(inspect(connection).get_table_names()):
        counts[table] = connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
    return counts


def _revision(connection: Any) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _dump_sqlite(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    source = sqlite3.connect(engine.url.database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1) under a read lock: the copy is the database at one instant, while
        # the web and the worker go on writing through the WAL.
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    reader = create_engine(f"sqlite:///{target}")
    try:
        with reader.connect() as connection:
            return _revision(connection), _row_counts(connection)
    finally:
        reader.dispose()


def _dump_postgres(engine: Engine, target: Path) -> tuple[str | None, dict[str, int]]:
    uri, env = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        # pg_dump reads the snapshot the counts are read in: the manifest says what the dump holds.
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _row_counts(connection)
        revision = _revision(connection)
        done = subprocess.run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={uri}",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
        connection.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[-2000:]}")
    return revision, counts


def _instance_files(app: Flask, skip: list[Path]) -> list[tuple[Path, str]]:
    root = Path(app.instance_path)
    if not root.is_dir():
        return []
    skip = [path.resolve() for path in skip]
    found = []
    for path in sorted(root.rglob("*")):
        resolved = path.resolve()
        if not path.is_file() or any(resolved == s or s in resolved.parents for s in skip):
            continue
        if path.name.endswith(("-wal", "-shm", "-journal", ".partial")):
            continue
        found.append((path, "instance/" + path.relative_to(root).as_posix()))
    return found


def make_backup(app: Flask, to_dir: str | Path | None = None, now: datetime | None = None) -> Path:
    """Write one archive of the database and the instance files into ``to_dir``; its path."""
    engine: Engine = app.extensions["pageone.db"]
    now = now or utcnow()
    target_dir = Path(to_dir or app.config["BACKUP_DIR"]).resolve()
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}{SUFFIX}"
    final = target_dir / name
    if final.exists():
        raise BackupError(f"{final} exists already; wait a second or choose another folder")
    dialect = engine.dialect.name
    skip = [target_dir]
    if dialect == "sqlite":
        skip.append(Path(engine.url.database))
    elif dialect != "postgresql":
        raise BackupError(f"backups know SQLite and PostgreSQL, not {dialect}")
    with tempfile.TemporaryDirectory(dir=target_dir, prefix=".backup-") as work:
        member = SQLITE_MEMBER if dialect == "sqlite" else PG_MEMBER
        dump = Path(work) / member
        dump_of = _dump_sqlite if dialect == "sqlite" else _dump_postgres
        revision, counts = dump_of(engine, dump)
        members = [(dump, member), *_instance_files(app, skip)]
        manifest = {
            "format": ARCHIVE_FORMAT,
            "created_at": now.isoformat().replace("+00:00", "Z"),
            "database": dialect,
            "schema_revision": revision,
            "tables": counts,
            "files": {
                arcname: {"size": path.stat().st_size, "sha256": _sha256(path)}
                for path, arcname in members
            },
        }
        partial = target_dir / (name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            for path, arcname in members:
                tar.add(path, arcname=arcname, recursive=False)
        os.replace(partial, final)
    logger.info(
        "backup written: %s (%s, revision %s, %d tables, %d rows)",
        final,
        dialect,
        revision,
        len(counts),
        sum(counts.values()),
    )
    return final


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            handle = tar.extractfile("manifest.json")
            if handle is None:
                raise KeyError("manifest.json")
            manifest = json.load(handle)
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{archive} is not a PageOne backup: {exc}") from exc
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"{archive} has archive format {manifest.get('format')}, not 1")
    return manifest


def _extract_checked(archive: Path, manifest: dict[str, Any], into: Path) -> None:
    """Unpack every member the manifest lists and check its size and SHA-256."""
    expected = manifest["files"]
    with tarfile.open(archive, "r:gz") as tar:
        names = {m.name for m in tar.getmembers() if m.isfile()} - {"manifest.json"}
        if names != set(expected):
            raise BackupError(
                "the archive's files differ from its manifest: "
                f"missing {sorted(set(expected) - names)}, extra {sorted(names - set(expected))}"
            )
        tar.extractall(into, members=[tar.getmember(n) for n in names], filter="data")
    for name, facts in expected.items():
        path = into / name
        if path.stat().st_size != facts["size"] or _sha256(path) != facts["sha256"]:
            raise BackupError(f"{name} does not match its checksum: the archive is damaged")


def _check_revision(app: Flask, revision: str | None) -> None:
    from core.cli import alembic_config

    script = ScriptDirectory.from_config(alembic_config(app))
    for rev in (revision or "").split(","):
        if not rev:
            continue
        try:
            if script.get_revision(rev) is None:
                raise CommandError(rev)
        except CommandError as exc:
            raise BackupError(
                f"the archive's schema revision {rev} is unknown to this PageOne: it was made by "
                "a newer release; restore it with that release or newer"
            ) from exc


def _check_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}); "
            "restore only into an empty database"
        )


def _check_files(app: Flask, unpacked: Path, manifest: dict[str, Any], replace: bool) -> None:
    for name in manifest["files"]:
        if not name.startswith("instance/"):
            continue
        existing = Path(app.instance_path) / name.removeprefix("instance/")
        if existing.exists() and not replace and _sha256(existing) != _sha256(unpacked / name):
            raise BackupError(
                f"{existing} exists and differs from the archive's copy; move it away or "
                "restore with --replace-files"
            )


def restore_backup(
    app: Flask, archive: str | Path, *, replace_files: bool = False
) -> RestoreResult:
    """Put an archive back into this instance's empty database and instance folder, then
    migrate it to the newest schema."""
    from core.cli import alembic_config

    archive = Path(archive)
    manifest = read_manifest(archive)
    engine: Engine = app.extensions["pageone.db"]
    dialect = engine.dialect.name
    if manifest["database"] != dialect:
        raise BackupError(
            f"the archive holds a {manifest['database']} database and this instance uses "
            f"{dialect}; restore it into a {manifest['database']} database"
        )
    _check_revision(app, manifest.get("schema_revision"))
    _check_empty(engine)
    with tempfile.TemporaryDirectory(prefix="pageone-restore-") as work:
        unpacked = Path(work)
        _extract_checked(archive, manifest, unpacked)
        _check_files(app, unpacked, manifest, replace_files)
        if dialect == "sqlite":
            _restore_sqlite(engine, unpacked / SQLITE_MEMBER)
        else:
            _restore_postgres(engine, unpacked / PG_MEMBER)
        with engine.connect() as connection:
            counts = _row_counts(connection)
        for table, rows in manifest["tables"].items():
            if counts.get(table) != rows:
                raise BackupError(
                    f"table {table} has {counts.get(table)} rows after the restore, the archive "
                    f"said {rows}"
                )
        files = 0
        for name in manifest["files"]:
            if name.startswith("instance/"):
                dest = Path(app.instance_path) / name.removeprefix("instance/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(unpacked / name, dest)
                os.chmod(dest, 0o600)
                files += 1
    command.upgrade(alembic_config(app), "head")
    with engine.connect() as connection:
        now_revision = _revision(connection)
    logger.info(
        "restored %s: revision %s, now %s",
        archive.name,
        manifest.get("schema_revision"),
        now_revision,
    )
    return RestoreResult(
        manifest.get("schema_revision"), now_revision, len(counts), sum(counts.values()), files
    )


def _restore_sqlite(engine: Engine, dump: Path) -> None:
    engine.dispose()
    target = Path(engine.url.database)
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    source = sqlite3.connect(dump)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()


def _restore_postgres(engine: Engine, dump: Path) -> None:
    uri, env = _libpq(engine.url)
    done = subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={uri}",
            str(dump),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[-2000:]}")


def archives_in(folder: Path) -> list[Path]:
    """The backups in a folder, oldest first (their names sort by time)."""
    return sorted(p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; the ones deleted."""
    old = archives_in(folder)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def scheduled_backup_job(app: Flask) -> Path | None:
    """The worker's backup: one archive when the newest is older than BACKUP_EVERY_HOURS, then
    only BACKUP_KEEP are kept."""
    hours = app.config.get("BACKUP_EVERY_HOURS", 0)
    if hours <= 0:
        return None
    folder = Path(app.config["BACKUP_DIR"])
    existing = archives_in(folder) if folder.is_dir() else []
    now = utcnow()
    if existing:
        age = now.timestamp() - existing[-1].stat().st_mtime
        if age < hours * 3600 * 0.95:
            return None
    try:
        path = make_backup(app, folder, now)
    except BackupError:
        logger.exception("scheduled backup failed")
        return None
    for gone in prune(folder, app.config.get("BACKUP_KEEP", 7)):
        logger.info("old backup deleted: %s", gone.name)
    return path
