"""Analytics pages (brand, channel, post) with their CSV, and the answers to a channel's
learned-windows proposal (accept writes the windows through the windows operation)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from core.auth import role_required
from core.db import db
from core.i18n import local_datetime
from core.models import Role
from core.pages import commit_or_flash
from core.pages import member_brand as _brand
from planner import channels as channel_ops
from planner import operations as ops
from planner.models import Channel, Post

from . import analytics
from .models import ReadKind
from .operations import accept_proposal, ignore_proposal

bp = Blueprint("engagement", __name__)

# The reads as people name them; ReadKind.label stays English for the stored skip reasons.
READ_NAMES = {
    ReadKind.HOUR: (_l("after 1 hour"), _l("1 h")),
    ReadKind.DAY: (_l("after 24 hours"), _l("24 h")),
    ReadKind.WEEK: (_l("after 7 days"), _l("7 d")),
}
FIGURE_NAMES = {
    "likes": _l("likes"),
    "comments": _l("comments"),
    "shares": _l("shares"),
    "impressions": _l("impressions"),
}


def _channel(channel_id: int) -> Channel:
    try:
        return channel_ops.channel_for(db.session, current_user, channel_id)
    except ops.NotFound:
        abort(404, description=_("No such channel, or you are not a member of its brand."))


def _post(post_id: int) -> Post:
    try:
        return ops.post_for(db.session, current_user, post_id)
    except ops.NotFound:
        abort(404, description=_("No such post, or you are not a member of its brand."))


def _csv(body: str, name: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.app_template_global()
def learned_windows(channel: Channel) -> analytics.ProposalState:
    """The channel's learned-windows proposal, for the channel page's include (a read)."""
    return analytics.proposal_for(db.session, channel)


@bp.route("/brands/<int:brand_id>/analytics")
@login_required
def brand_analytics(brand_id: int) -> Any:
    brand = _brand(brand_id)
    rows = analytics.brand_channels(db.session, brand)
    return render_template("planner/engagement/brand.html", brand=brand, rows=rows)


@bp.route("/brands/<int:brand_id>/analytics.csv")
@login_required
def brand_analytics_csv(brand_id: int) -> Any:
    brand = _brand(brand_id)
    body = analytics.brand_csv(analytics.brand_channels(db.session, brand))
    return _csv(body, f"analytics-brand-{brand.id}.csv")


@bp.route("/channels/<int:channel_id>/analytics")
@login_required
def channel_analytics(channel_id: int) -> Any:
    channel = _channel(channel_id)
    rows = analytics.channel_posts(db.session, channel)
    zone = channel.brand.zone
    chart = {
        "labels": [local_datetime(r.post.published_at, zone) for r in rows],
        "series": {kind.value: [r.interactions(kind.value) for r in rows] for kind in ReadKind},
        "names": {kind.value: str(READ_NAMES[kind][0]) for kind in ReadKind},
    }
    return render_template(
        "planner/engagement/channel.html",
        channel=channel,
        brand=channel.brand,
        rows=rows,
        chart=chart,
        zone=zone,
        local=analytics.local,
        kinds=[(kind.value, str(READ_NAMES[kind][1])) for kind in ReadKind],
        state=analytics.proposal_for(db.session, channel),
        windows_form=FlaskForm(prefix="windows"),
        answer_form=FlaskForm(),
    )


@bp.route("/channels/<int:channel_id>/analytics.csv")
@login_required
def channel_analytics_csv(channel_id: int) -> Any:
    channel = _channel(channel_id)
    body = analytics.channel_csv(analytics.channel_posts(db.session, channel), channel.brand.zone)
    return _csv(body, f"analytics-channel-{channel.id}.csv")


@bp.route("/posts/<int:post_id>/analytics")
@login_required
def post_analytics(post_id: int) -> Any:
    post = _post(post_id)
    reads = analytics.post_reads(db.session, post.id)
    done = [r for r in reads if r.status == "done"]
    chart = {
        "labels": [str(READ_NAMES[ReadKind(r.kind)][0]) for r in done],
        "series": {name: [getattr(r, name) for r in done] for name in analytics.FIGURES},
        "names": {name: str(FIGURE_NAMES.get(name, name)) for name in analytics.FIGURES},
    }
    return render_template(
        "planner/engagement/post.html",
        post=post,
        channel=post.channel,
        brand=post.channel.brand,
        reads=reads,
        chart=chart,
        zone=post.channel.brand.zone,
        local=analytics.local,
        labels={kind.value: str(READ_NAMES[kind][0]) for kind in ReadKind},
    )


@bp.route("/posts/<int:post_id>/analytics.csv")
@login_required
def post_analytics_csv(post_id: int) -> Any:
    post = _post(post_id)
    body = analytics.post_csv(analytics.post_reads(db.session, post.id), post.channel.brand.zone)
    return _csv(body, f"analytics-post-{post.id}.csv")


@bp.route("/channels/<int:channel_id>/learned-windows/accept", methods=["POST"])
@role_required(Role.ADMIN)
def accept_learned(channel_id: int) -> Any:
    channel = _channel(channel_id)
    if not FlaskForm().validate_on_submit():
        abort(400, description=_("The form expired; try again."))
    if commit_or_flash(lambda: accept_proposal(db.session, channel, current_user)):
        flash(_("Learned windows saved as this channel's engagement windows."), "success")
    return redirect(url_for("planner.channel", channel_id=channel.id))


@bp.route("/channels/<int:channel_id>/learned-windows/ignore", methods=["POST"])
@role_required(Role.ADMIN)
def ignore_learned(channel_id: int) -> Any:
    channel = _channel(channel_id)
    if not FlaskForm().validate_on_submit():
        abort(400, description=_("The form expired; try again."))
    if commit_or_flash(lambda: ignore_proposal(db.session, channel, current_user)):
        flash(
            ngettext(
                "Proposal ignored; it comes back once the channel has %(num)d more post read.",
                "Proposal ignored; it comes back once the channel has %(num)d more posts read.",
                analytics.SHOW_AGAIN_AFTER,
            ),
            "success",
        )
    return redirect(url_for("planner.channel", channel_id=channel.id))
