"""Command-line groups of the core: `db` (migrations) and `users`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from core.db import db
from core.models import ApiToken, Role, User
from core.passwords import password_problem

db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="Manage users and their API tokens.")


def alembic_config(app: Flask) -> AlembicConfig:
    root = Path(app.root_path)
    config = AlembicConfig()
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["engine"] = app.extensions["pageone.db"]
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to REVISION (default: the newest)."""
    command.upgrade(alembic_config(current_app), revision)
    click.echo(f"Database at revision {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Take the database schema back to REVISION."""
    command.downgrade(alembic_config(current_app), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    command.revision(alembic_config(current_app), message=message, autogenerate=True)


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.EDITOR.value,
    show_default=True,
)
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a user (the password is asked for, or read from stdin)."""
    email = email.strip().lower()
    if "@" not in email:
        raise click.BadParameter("an email address is needed", param_hint="EMAIL")
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise click.ClickException(f"A user with the email {email} already exists.")
    password = _new_password(email, password_stdin)
    user = User(email=email, name=name or email.split("@")[0], role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email} (id {user.id}).")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_set_password(email: str, password_stdin: bool) -> None:
    """Give EMAIL a new password; every session of that user ends."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    user.set_password(_new_password(user.email, password_stdin))
    db.session.commit()
    click.echo(f"New password set for {user.email}; their sessions have ended.")


def _new_password(email: str, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    return password


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
def users_token(email: str, name: str) -> None:
    """Issue an API token for EMAIL and print it (it is shown only this once)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with the email {email}.")
    token, plain = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.commit()
    click.echo(plain)


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
