"""Command-line group `planner` and `demo`."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core.db import db, utcnow
from planner.models import Channel

planner_cli = AppGroup("planner", help="Content calendar and publishing.")
demo_cli = AppGroup("demo", help="Demo data.")


@planner_cli.command("next-slot")
@click.argument("channel_id", type=int)
@click.option("--after", help="ISO 8601 instant (default: now). Without an offset: UTC.")
def next_slot(channel_id: int, after: str | None) -> None:
    """Print the channel's next free slot as ISO 8601 UTC."""
    from planner.operations import next_free_slot

    channel = db.session.get(Channel, channel_id)
    if channel is None:
        raise click.ClickException(f"No channel {channel_id}.")
    when = utcnow()
    if after:
        try:
            when = datetime.fromisoformat(after)
        except ValueError:
            raise click.BadParameter(
                f"not an ISO 8601 time: {after}", param_hint="--after"
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    slot = next_free_slot(db.session, channel, when)
    if slot is None:
        raise click.ClickException("No free slot within a year in this channel's windows.")
    click.echo(slot.astimezone(UTC).isoformat().replace("+00:00", "Z"))


@planner_cli.command("worker")
@click.option("--once", is_flag=True, help="Run one round, wait for its posts, then exit.")
@click.option("--worker-id", help="Name in claims and the audit log (default: host:pid).")
def worker(once: bool, worker_id: str | None) -> None:
    """Publish due posts until stopped (SIGTERM or Ctrl-C)."""
    from planner.publishing.worker import run_worker

    run_worker(current_app._get_current_object(), worker_id=worker_id, once=once)


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def demo_load(if_empty: bool) -> None:
    """Load the demo: a user, a brand, one channel per platform and a month of posts."""
    from planner.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    loaded = load_demo(
        db.session,
        now=utcnow(),
        only_if_empty=if_empty,
        more=current_app.extensions.get("pageone.demo_loaders", ()),
    )
    db.session.commit()
    if loaded:
        click.echo(f"Demo loaded. Log in as {DEMO_EMAIL} / {DEMO_PASSWORD}")
    else:
        click.echo("The database already has data; the demo was not loaded.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(planner_cli)
    app.cli.add_command(demo_cli)
