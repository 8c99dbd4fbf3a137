"""Backups of a running instance under writes, restored into a fresh one: every table's rows
come back as they were at one instant, the instance files with them, older archives are
migrated forward, and a damaged archive or a non-empty database is refused."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from app import create_app
from core.cli import alembic_config
from core.crypto import decrypt_json, encrypt_json
from core.db import Base
from core.models import AuditEntry, Role
from core.ops.backup import BackupError, make_backup, prune, read_manifest, restore_backup
from core.ops.web import schema_heads
from core.tenants import Brand
from planner.models import Channel, Post
from planner.reviews.models import Review
from tests.conftest import postgres_url

WRITTEN = ("posts", "audit_log")


def instance_app(url: str, instance: Path, secret: str = "instance-secret") -> Flask:
    app = create_app({"TESTING": True, "SECRET_KEY": secret, "DATABASE_URL": url})
    app.instance_path = str(instance)
    instance.mkdir(parents=True, exist_ok=True)
    return app


def empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def second_postgres_database(url: str) -> str:
    """A database beside the test one on the same server, for the restore."""
    base = create_engine(url, isolation_level="AUTOCOMMIT")
    name = base.url.database + "_restore"
    with base.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    other = base.url.set(database=name).render_as_string(hide_password=False)
    base.dispose()
    empty_postgres(other)
    return other


def seed(app: Flask) -> int:
    """A brand, a channel with credentials, a review; the channel id."""
    with Session(app.extensions["pageone.db"]) as session:
        from core.models import User

        user = User(email="a@example.com", name="A", role=Role.ADMIN.value, password_hash="x")
        brand = Brand(slug="acme", name="Acme", timezone="Europe/Berlin")
        channel = Channel(
            brand=brand,
            platform="mastodon",
            name="m",
            credentials_encrypted=encrypt_json({"access_token": "tok-123456789"}, app.config),
        )
        session.add_all([user, brand, channel])
        session.flush()
        session.add(
            Review(
                brand_id=brand.id,
                source="google",
                external_id="r1",
                rating=5,
                text="Lovely",
                author="Maria",
                created_at=datetime.now(UTC),
                content_hash="h",
            )
        )
        session.commit()
        return channel.id


class Writer(threading.Thread):
    """The running instance: one post and its audit entry per transaction, as fast as it can."""

    def __init__(self, app: Flask, channel_id: int) -> None:
        super().__init__(daemon=True)
        self.engine = app.extensions["pageone.db"]
        self.channel_id = channel_id
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with Session(self.engine) as session:
                    post = Post(channel_id=self.channel_id, text=f"post {self.written}")
                    session.add(post)
                    session.flush()
                    session.add(
                        AuditEntry(
                            actor="writer",
                            action="post.created",
                            object_type="post",
                            object_id=post.id,
                        )
                    )
                    session.commit()
                self.written += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while self.written < count and time.monotonic() < deadline and self.error is None:
            time.sleep(0.01)
        assert self.error is None, self.error
        assert self.written >= count


def table_rows(engine) -> dict[str, list[tuple]]:
    rows = {}
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        for table in Base.metadata.sorted_tables:
            if table.name in names:
                order = list(table.primary_key.columns)
                rows[table.name] = [
                    tuple(r) for r in connection.execute(select(table).order_by(*order))
                ]
        rows["alembic_version"] = [
            tuple(r) for r in connection.execute(text("SELECT version_num FROM alembic_version"))
        ]
    return rows


def backup_under_writes(source: Flask, to: Path) -> tuple[Path, Writer]:
    with source.app_context():
        command.upgrade(alembic_config(source), "head")
    channel_id = seed(source)
    (Path(source.instance_path) / "media").mkdir()
    (Path(source.instance_path) / "media" / "logo.png").write_bytes(b"\x89PNG fake logo")
    (Path(source.instance_path) / "secret_key").write_text("the-instance-secret")
    writer = Writer(source, channel_id)
    writer.start()
    try:
        writer.wait_for(20)
        archive = make_backup(source, to)
        writer.wait_for(writer.written + 20)  # the writes went on during and after the backup
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None, writer.error
    return archive, writer


def assert_restored_at_one_instant(source: Flask, target: Flask, writer: Writer) -> None:
    before = table_rows(source.extensions["pageone.db"])
    after = table_rows(target.extensions["pageone.db"])
    assert set(after) == set(before)
    for name, rows in before.items():
        if name in WRITTEN:
            # The writes up to the backup's instant, none after, none missing in between.
            assert after[name] == rows[: len(after[name])], name
        else:
            assert after[name] == rows, name
    posts, entries = len(after["posts"]), len(after["audit_log"])
    assert posts == entries, "every post came back with the audit entry of its transaction"
    assert 20 <= posts < writer.written


def assert_instance_files_back(source: Flask, target: Flask) -> None:
    for name in ("media/logo.png", "secret_key"):
        original = (Path(source.instance_path) / name).read_bytes()
        assert (Path(target.instance_path) / name).read_bytes() == original


def test_sqlite_backup_under_writes_restores_every_row(tmp_path):
    source = instance_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a")
    archive, writer = backup_under_writes(source, tmp_path / "backups")
    assert archive.stat().st_mode & 0o077 == 0, "the archive holds secrets: owner-only"
    manifest = read_manifest(archive)
    (head,) = schema_heads(source)
    assert manifest["database"] == "sqlite" and manifest["schema_revision"] == head
    assert {"database.sqlite3", "instance/media/logo.png", "instance/secret_key"} == set(
        manifest["files"]
    )

    target = instance_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b")
    result = restore_backup(target, archive)

    assert result.revision_now == head and result.files == 2
    assert_restored_at_one_instant(source, target, writer)
    assert_instance_files_back(source, target)
    with target.app_context():
        engine = target.extensions["pageone.db"]
        with Session(engine) as session:
            channel = session.scalars(select(Channel)).one()
            assert decrypt_json(channel.credentials_encrypted, source.config) == {
                "access_token": "tok-123456789"
            }
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(target, archive)


@pytest.mark.postgres
def test_postgres_backup_under_writes_restores_every_row(tmp_path):
    url = postgres_url()
    empty_postgres(url)
    source = instance_app(url, tmp_path / "a")
    archive, writer = backup_under_writes(source, tmp_path / "backups")
    manifest = read_manifest(archive)
    assert manifest["database"] == "postgresql" and "database.pgdump" in manifest["files"]

    target = instance_app(second_postgres_database(url), tmp_path / "b")
    restore_backup(target, archive)

    assert_restored_at_one_instant(source, target, writer)
    assert_instance_files_back(source, target)
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(target, archive)
    for app in (source, target):
        app.extensions["pageone.db"].dispose()


def test_an_older_archive_is_migrated_forward(tmp_path):
    source = instance_app(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "a")
    with source.app_context():
        command.upgrade(alembic_config(source), "0012")
    engine = source.extensions["pageone.db"]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO brands (slug, name, timezone, grace_minutes, requires_approval, "
                "requires_two_people, ical_token, created_at) VALUES "
                "('old', 'Old Brand', 'UTC', 60, 0, 0, 'tok', '2025-01-01 00:00:00')"
            )
        )
    archive = make_backup(source, tmp_path / "backups")
    assert read_manifest(archive)["schema_revision"] == "0012"

    target = instance_app(f"sqlite:///{tmp_path / 'new.db'}", tmp_path / "b")
    result = restore_backup(target, archive)

    assert (result.revision_in_archive, result.revision_now) == ("0012", *schema_heads(target))
    with target.extensions["pageone.db"].connect() as connection:
        assert connection.execute(text("SELECT name FROM brands")).scalars().all() == ["Old Brand"]
        assert "worker_heartbeats" in inspect(connection).get_table_names()


def test_a_damaged_or_foreign_archive_is_refused(tmp_path):
    source = instance_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a")
    with source.app_context():
        command.upgrade(alembic_config(source), "head")
    (tmp_path / "a" / "notes.txt").write_text("hello")
    archive = make_backup(source, tmp_path / "backups")

    # The same archive with one instance file changed, its manifest kept.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(damaged, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "instance/notes.txt":
                data = b"HELLO"
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    target = instance_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b")
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(target, damaged)
    with target.extensions["pageone.db"].connect() as connection:
        assert inspect(connection).get_table_names() == [], "nothing was restored"

    # An archive from a newer release: its schema revision is unknown here.
    newer = tmp_path / "newer.tar.gz"
    manifest = read_manifest(archive)
    manifest["schema_revision"] = "9999"
    with tarfile.open(archive) as old, tarfile.open(newer, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == "manifest.json":
                data = json.dumps(manifest).encode()
                member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="newer release"):
        restore_backup(target, newer)
    with pytest.raises(BackupError, match="not a PageOne backup"):
        restore_backup(target, tmp_path / "a" / "notes.txt")


def test_backup_and_restore_commands(tmp_path):
    source = instance_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a")
    runner = source.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["ops", "backup", "--to", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    archive = Path(result.output.split("Backup written: ")[1].strip())
    assert archive.parent == (tmp_path / "out").resolve()

    target = instance_app(f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "b")
    result = target.test_cli_runner().invoke(args=["ops", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    (head,) = schema_heads(target)
    assert f"schema {head} -> {head}" in result.output
    again = target.test_cli_runner().invoke(args=["ops", "restore", str(archive)])
    assert again.exit_code == 1 and "not empty" in again.output


def test_scheduled_backups_keep_the_newest(tmp_path):
    from core.ops.backup import archives_in, scheduled_backup_job

    source = instance_app(f"sqlite:///{tmp_path / 'a.db'}", tmp_path / "a")
    with source.app_context():
        command.upgrade(alembic_config(source), "head")
    folder = tmp_path / "scheduled"
    source.config.update(BACKUP_DIR=str(folder), BACKUP_EVERY_HOURS=0)
    assert scheduled_backup_job(source) is None and not folder.exists(), "off by default"
    source.config.update(BACKUP_EVERY_HOURS=24, BACKUP_KEEP=2)
    first = scheduled_backup_job(source)
    assert first is not None and scheduled_backup_job(source) is None, "not due again yet"
    now = datetime.now(UTC)
    for hours in (72, 48):  # two older archives, as if made on the days before
        old = folder / f"pageone-backup-{(now - timedelta(hours=hours)):%Y%m%dT%H%M%SZ}.tar.gz"
        old.write_bytes(first.read_bytes())
    os.utime(first, (time.time() - 25 * 3600, time.time() - 25 * 3600))
    time.sleep(1.1)  # archives are named by the second
    newest = scheduled_backup_job(source)
    assert newest is not None
    assert archives_in(folder) == [first, newest]
    assert prune(folder, 1) == [first]


def test_the_worker_runs_scheduled_backups_only_when_turned_on(app):
    from core.ops import register_jobs
    from tests.core.test_app import RecordingScheduler

    off = RecordingScheduler()
    register_jobs(off, app, "w1")
    assert "ops-backup" not in off.jobs and {"ops-heartbeat", "ops-retention"} <= set(off.jobs)
    app.config["BACKUP_EVERY_HOURS"] = 24
    on = RecordingScheduler()
    register_jobs(on, app, "w1")
    func, trigger, options = on.jobs["ops-backup"]
    assert trigger == "interval" and options["args"] == [app]
