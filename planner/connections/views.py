"""Connect pages: leave for the provider's consent page, come back to the callback, disconnect.

The callback is a GET that writes (the provider redirects the browser there); it is safe to
repeat because the attempt it names is used once, and it checks that attempt's state, user and
age before any token is asked for.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from core.auth import role_required
from core.db import db, utcnow
from core.errors import NotFound
from core.models import Role
from core.pages import commit_or_flash
from core.tenants import is_member
from planner import channels
from planner.connections import flow
from planner.connections.lifecycle import forget_connection
from planner.connections.registry import connector_for
from planner.models import Channel

bp = Blueprint("connections", __name__)


def _channel_page(channel_id: int | None) -> str:
    if channel_id is None:
        return url_for("planner.home")
    return url_for("planner.channel", channel_id=channel_id) + "#credentials"


def _admin_channel(channel_id: int) -> Channel:
    try:
        return channels.channel_for(db.session, current_user, channel_id)
    except NotFound:
        abort(404)


@bp.route("/channels/<int:channel_id>/connect", methods=["POST"])
@role_required(Role.ADMIN)
def connect(channel_id: int) -> Any:
    channel = _admin_channel(channel_id)
    connector = connector_for(channel.platform)
    if connector is None:
        abort(404)
    if not connector.configured(current_app.config):
        flash(connector.not_configured_message(), "error")
        return redirect(_channel_page(channel.id))
    target: list[str] = []

    def begin() -> None:
        target.append(
            connector.start(
                channel, current_user, request.form, session, current_app.config, db.session
            )
        )

    if not commit_or_flash(begin):
        return redirect(_channel_page(channel.id))
    if not connector.redirects:
        flash(target[0], "success")
        return redirect(_channel_page(channel.id))
    return _leave(connector.label, target[0])


def _leave(label: str, target: str) -> Any:
    """The page that sends the browser on to the provider's consent page."""
    return render_template("planner/connections/leave.html", label=label, target=target)


@bp.route("/connect/<platform>/callback")
@role_required(Role.ADMIN)
def callback(platform: str) -> Any:
    connector = connector_for(platform)
    if connector is None:
        abort(404)
    args = request.args
    try:
        attempt = flow.take_attempt(
            session, state=args.get("state"), platform=platform, user_id=current_user.id
        )
    except flow.ConnectProblem as exc:
        flash(str(exc), "error")
        return redirect(url_for("planner.home"))
    refusal = flow.refusal_message(connector.label, args)
    if refusal:
        flash(refusal, "error")
        return redirect(_channel_page(attempt.get("channel_id")))
    if getattr(connector, "picks", False):
        return _offer(connector, attempt, args)
    channel = _admin_channel(attempt["channel_id"])
    messages: list[str] = []

    def finish() -> None:
        messages.append(
            connector.finish(
                db.session, channel, current_user, attempt, args, current_app.config, utcnow()
            )
        )

    if commit_or_flash(finish):
        flash(messages[0], "success")
    return redirect(_channel_page(channel.id))


def _offer(connector: Any, attempt: dict[str, Any], args: Any) -> Any:
    """After Facebook's consent: the Pages and Instagram accounts to pick from."""
    try:
        brand, choices = connector.offer(
            db.session, current_user, attempt, args, session, current_app.config
        )
    except flow.ConnectProblem as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_channel_page(attempt.get("channel_id")))
    return render_template(
        "planner/connections/pick.html",
        brand=brand,
        choices=choices,
        preselected=attempt.get("channel_id"),
    )


@bp.route("/brands/<int:brand_id>/connect/facebook", methods=["POST"])
@role_required(Role.ADMIN)
def connect_facebook(brand_id: int) -> Any:
    """Add Facebook Pages and Instagram accounts as channels of the brand."""
    if not is_member(db.session, current_user, brand_id):
        abort(404)
    connector = connector_for("facebook")
    if not connector.configured(current_app.config):
        flash(connector.not_configured_message(), "error")
        return redirect(url_for("planner.channels", brand_id=brand_id))
    url = connector.start_for_brand(brand_id, None, current_user, session, current_app.config)
    return _leave(connector.label, url)


@bp.route("/connect/facebook/pick", methods=["POST"])
@role_required(Role.ADMIN)
def pick_facebook() -> Any:
    connector = connector_for("facebook")
    result: list[Any] = []

    def make_channels() -> None:
        result.extend(
            connector.pick(
                db.session,
                current_user,
                request.form.getlist("pick"),
                session,
                current_app.config,
                utcnow(),
            )
        )

    if not commit_or_flash(make_channels):
        return redirect(url_for("planner.home"))
    brand, done = result
    flash(_("Facebook: %(done)s.", done="; ".join(done)), "success")
    return redirect(url_for("planner.channels", brand_id=brand.id))


@bp.route("/channels/<int:channel_id>/disconnect", methods=["POST"])
@role_required(Role.ADMIN)
def disconnect(channel_id: int) -> Any:
    """Forget the channel's tokens, telling the provider when it has a revocation endpoint."""
    channel = _admin_channel(channel_id)
    connector = connector_for(channel.platform)
    stored = flow.read_credentials(channel, current_app.config)
    if connector is not None and stored and connector.configured(current_app.config):
        try:
            connector.revoke(db.session, stored, current_app.config)
        except Exception:  # noqa: BLE001 - the provider's trouble must not keep the tokens here
            current_app.logger.warning("revoking channel %s's tokens failed", channel.id)

    def change() -> None:
        from planner import credentials

        credentials.remove_credentials(db.session, channel, current_user)
        forget_connection(db.session, channel)

    if commit_or_flash(change):
        flash(_("Disconnected: the tokens are forgotten; posts fail until it is connected again."))
    return redirect(_channel_page(channel.id))
