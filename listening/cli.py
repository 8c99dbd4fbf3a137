"""`flask --app app listening …`: poll sources and check for spikes by hand."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app

from listening import crisis, jobs


def register_cli(app: Flask) -> None:
    @app.cli.group("listening")
    def listening() -> None:
        """Brand mentions, response times and crisis alerts."""

    @listening.command("poll")
    @click.option("--source", "source_id", type=int, help="Poll this source now, due or not.")
    def poll(source_id: int | None) -> None:
        """Poll the due sources (or one source) and print what each gave."""
        app_ = current_app._get_current_object()
        if source_id is not None:
            results = [jobs.poll_source(app_, source_id, force=True)]
        else:
            results = jobs.poll_due_sources(app_)
        for result in results:
            click.echo(json.dumps(result))
        if not results:
            click.echo("No source is due.")

    @listening.command("spikes")
    def spikes() -> None:
        """Check every brand for volume spikes now; alerts are mailed as in the worker."""
        created = crisis.check_spikes(current_app._get_current_object())
        click.echo(f"{len(created)} alert(s)" + (f": {created}" if created else ""))
