"""Command-line group `reviews`: import a review file for a brand."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from core.db import db, utcnow
from core.tenants import Brand
from planner.reviews.importers import FORMATS, MAX_BYTES

reviews_cli = AppGroup("reviews", help="Customer reviews: import.")


@reviews_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--brand", "slug", required=True, help="The brand's short name (slug).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="csv, gbp (Google Business Profile JSON) or trustpilot; guessed when not given.",
)
def import_command(file: Path, slug: str, fmt: str | None) -> None:
    """Import FILE into the brand's reviews: all or nothing, and safe to run again."""
    from planner.reviews.importing import import_reviews

    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        raise click.ClickException(f"No brand with the short name {slug!r}.")
    # Read one byte past the limit: enough to know the file is too large, no more.
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    report = import_reviews(db.session, brand, data, fmt=fmt, actor="cli", now=utcnow())
    if not report.ok:
        db.session.rollback()
        for where, reason in report.errors:
            click.echo(f"{where}: {reason}", err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(report.errors)} problem"
            f"{'s' if len(report.errors) != 1 else ''} in {file.name}."
        )
    db.session.commit()
    click.echo(
        f"Imported {file.name} ({report.format}) into {brand.name}: {report.created} new, "
        f"{report.updated} updated, {report.unchanged} unchanged."
    )


def register_cli(app: Flask) -> None:
    app.cli.add_command(reviews_cli)
