"""Command-line group `serp`: parse a saved page, run checks, re-read stored pages, purge."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core.db import db, utcnow
from serp.parse import ENGINES, parse_serp

serp_cli = AppGroup("serp", help="Search-result tracking.")


@serp_cli.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(ENGINES), help="Engine of the page (default: detect).")
def parse(file: Path, engine: str | None) -> None:
    """Print a saved result page's engine, block state and organic results as JSON."""
    html = file.read_bytes().decode("utf-8", "replace")
    click.echo(json.dumps(parse_serp(html, engine).to_dict(), ensure_ascii=False, indent=2))


@serp_cli.command("check")
@click.option("--query", "query_id", type=int, help="Check this tracked query now.")
@click.option("--due", is_flag=True, help="Check every query that is due.")
@click.option("--limit", type=int, default=10_000, show_default=True, help="At most this many.")
def check(query_id: int | None, due: bool, limit: int) -> None:
    """Check one query now, or all due queries, with a progress bar."""
    from serp.checks import check_now, claim_due_checks, default_worker_id, run_queries

    app = current_app._get_current_object()
    if (query_id is None) == (not due):
        raise click.UsageError("Give either --query ID or --due.")
    if query_id is not None:
        status = check_now(app, query_id)
        if status == "gone":
            raise click.ClickException(f"No tracked query {query_id} (or it was deleted).")
        if status == "busy":
            raise click.ClickException(f"Query {query_id} is being checked by another worker.")
        click.echo(f"query {query_id}: {status}")
        return

    worker_id = default_worker_id()
    with db.job_session() as session:
        ids = claim_due_checks(session, worker_id, utcnow(), limit)
    with click.progressbar(length=len(ids), label=f"Checking {len(ids)} queries") as bar:
        counts = run_queries(app, ids, worker_id, on_done=lambda _query, _status: bar.update(1))
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))


@serp_cli.command("reparse")
@click.option("--query", "query_id", type=int, help="Only this query's checks.")
def reparse(query_id: int | None) -> None:
    """Read the stored raw pages again with the current parser."""
    from serp.checks import reparse as reparse_checks

    counts = reparse_checks(db.session, current_app.config, query_id)
    db.session.commit()
    click.echo(f"{counts['read']} checks read again, {counts['changed']} changed.")


@serp_cli.command("purge")
@click.option("--query", "query_id", type=int, required=True, help="The query to delete.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(query_id: int, yes: bool) -> None:
    """Delete a tracked query and all its history for good."""
    from serp.checks import purge_query
    from serp.models import TrackedQuery

    query = db.session.get(TrackedQuery, query_id)
    if query is None:
        raise click.ClickException(f"No tracked query {query_id}.")
    if not yes:
        click.confirm(f"Delete “{query.text}” and all its checks for good?", abort=True)
    removed = purge_query(db.session, query_id)
    db.session.commit()
    click.echo(f"Query {query_id} purged with {removed} checks.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(serp_cli)
