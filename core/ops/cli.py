"""`flask ops …`: backups and restore, personal data, brand export, the retention sweep."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import db
from core.ops.backup import BackupError, make_backup, restore_backup
from core.ops.personal import Person, erase_person, export_person, write_brand_archive
from core.ops.retention import run_retention

ops_cli = AppGroup("ops", help="Run PageOne: backups, restore, personal data, retention.")
person_cli = AppGroup("person", help="What the instance holds about one person.")
ops_cli.add_command(person_cli)


@ops_cli.command("backup")
@click.option("--to", "to_dir", type=click.Path(file_okay=False), help="Folder (BACKUP_DIR).")
def backup_command(to_dir: str | None) -> None:
    """Write one dated archive of the database and the instance files."""
    try:
        path = make_backup(current_app, to_dir)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written: {path}")


@ops_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace-files", is_flag=True, help="Overwrite differing instance files.")
def restore_command(archive: str, replace_files: bool) -> None:
    """Restore ARCHIVE into this instance's empty database, then migrate it forward."""
    try:
        result = restore_backup(current_app, archive, replace_files=replace_files)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Restored {result.tables} tables ({result.rows} rows) and {result.files} files; "
        f"schema {result.revision_in_archive} -> {result.revision_now}. Start the workers."
    )


def _person(name: str | None, email: str | None) -> Person:
    try:
        return Person(name=name, email=email)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@person_cli.command("export")
@click.option("--name")
@click.option("--email")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: stdout).")
def person_export(name: str | None, email: str | None, out: str | None) -> None:
    """Everything held about a person (reviews, mentions, replies) as JSON."""
    holders = current_app.extensions.get("pageone.personal_data", [])
    found = export_person(db.session, holders, _person(name, email))
    text = json.dumps(found, indent=2, ensure_ascii=False)
    if out:
        Path(out).write_text(text + "\n")
        click.echo(f"Written: {out}", err=True)
    else:
        sys.stdout.write(text + "\n")


@person_cli.command("erase")
@click.option("--name")
@click.option("--email")
@click.option("--yes", is_flag=True, help="Erase without asking.")
def person_erase(name: str | None, email: str | None, yes: bool) -> None:
    """Replace the person's name by a pseudonym and drop their words everywhere."""
    person = _person(name, email)
    if not yes:
        click.confirm(f"Erase everything held about {', '.join(person.keys)}?", abort=True)
    holders = current_app.extensions.get("pageone.personal_data", [])
    counts = erase_person(db.session, holders, person, current_app.config["SECRET_KEY"], "cli")
    db.session.commit()
    click.echo("Erased: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@ops_cli.command("brand-export")
@click.argument("brand_id", type=int)
@click.option("--to", "to_dir", type=click.Path(file_okay=False), default=".")
def brand_export(brand_id: int, to_dir: str) -> None:
    """One archive of a brand: posts, reviews, mentions, search history, settings."""
    exporters = current_app.extensions.get("pageone.brand_exporters", [])
    archive = io.BytesIO()
    counts = write_brand_archive(db.session, exporters, brand_id, archive)
    if not counts.get("brand"):
        raise click.ClickException(f"No brand with the id {brand_id}.")
    folder = Path(to_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"pageone-brand-{brand_id}.tar.gz"
    target.write_bytes(archive.getvalue())
    click.echo(f"Brand archive written: {target} ({sum(counts.values())} rows)")


@ops_cli.command("retention-sweep")
def retention_sweep() -> None:
    """Delete what each brand's retention settings say is too old, now."""
    counts = run_retention(current_app)
    click.echo("Swept: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing"))
