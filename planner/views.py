"""Planner pages: brands, channels and their windows, the calendar, CSV import and export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from core import home as home_overview
from core import tenants
from core.auth import role_required
from core.db import db, utcnow
from core.i18n import local_datetime
from core.models import AuditEntry, Role, User
from core.pages import commit_or_flash
from core.pages import flash_errors as _flash_errors
from core.pages import member_brand as _brand
from core.parsing import InvalidInput, parse_float, to_utc
from core.tenants import Brand, BrandMember
from planner import approval, credentials, csvio, ical, pause, slots, unconfirmed
from planner import brands as brand_ops
from planner import channels as channel_ops
from planner import operations as ops
from planner.connections import lifecycle as connection_lifecycle
from planner.connections.registry import connector_for
from planner.forms import (
    BrandForm,
    BrandSettingsForm,
    ChannelForm,
    ChannelSettingsForm,
    DeleteBrandForm,
    ImportForm,
    MemberForm,
)
from planner.media.views import post_media_context
from planner.models import Channel, Platform, Post, PostStatus
from planner.parts import parts_status, retry_failed_parts
from planner.serialize import channel_dict
from planner.status_names import status_name
from planner.text_limits import PLATFORM_LIMITS

bp = Blueprint("planner", __name__)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


bp.add_app_template_filter(status_name, "status_name")


@bp.app_context_processor
def inject_navigation() -> dict[str, Any]:
    if current_user.is_authenticated:
        return {"nav_brands": tenants.brands_for(db.session, current_user), "Role": Role}
    return {"nav_brands": [], "Role": Role}


def _overview(brands: list[Brand]) -> list[home_overview.BrandOverview]:
    sections = current_app.extensions.get("pageone.home_sections", [])
    return home_overview.overview(db.session, brands, utcnow(), sections)


@bp.route("/")
@login_required
def home() -> Any:
    """What needs a person today in each of the user's brands: the page after logging in."""
    brands = tenants.brands_for(db.session, current_user)
    if not brands:
        return redirect(url_for("planner.brands"))
    overviews = _overview(brands)
    return render_template(
        "planner/home.html",
        overviews=overviews,
        waiting=[o for o in overviews if o.urgent],
        quiet=[o for o in overviews if not o.urgent],
    )


@bp.route("/brands/<int:brand_id>/home")
@login_required
def brand_home(brand_id: int) -> Any:
    """The home overview of one brand."""
    brand = _brand(brand_id)
    (overview,) = _overview([brand])
    return render_template("planner/home.html", brand=brand, overviews=[overview])


@bp.route("/brands", methods=["GET", "POST"])
@login_required
def brands() -> Any:
    form = BrandForm()
    if request.method == "POST" and not current_user.has_role(Role.ADMIN):
        abort(403, description=_("Only admins create brands."))
    if form.validate_on_submit():
        try:
            brand = brand_ops.create_brand(
                db.session,
                name=form.name.data,
                slug=form.slug.data or None,
                timezone=form.timezone.data.strip(),
                creator=current_user,
            )
        except ops.PlannerError as exc:
            _flash_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Brand “%(name)s” created. Add its channels next.", name=brand.name), "success")
            return redirect(url_for("planner.channels", brand_id=brand.id))
    every = tenants.brands_for(db.session, current_user, include_archived=True)
    return render_template(
        "planner/brands.html",
        form=form,
        brands=[b for b in every if b.archived_at is None],
        archived=[b for b in every if b.archived_at is not None],
        show_archived=request.args.get("archived") == "1",
    ), (400 if form.errors else 200)


@bp.route("/brands/<int:brand_id>/settings", methods=["GET", "POST"])
@login_required
def brand_settings(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = BrandSettingsForm(obj=brand)
    member_form = MemberForm(prefix="member")
    if request.method == "POST" and not current_user.has_role(Role.ADMIN):
        abort(403, description=_("Only admins change brand settings."))
    if "member-email" in request.form:
        if member_form.validate_on_submit():
            user = db.session.scalar(
                select(User).where(User.email == member_form.email.data.strip().lower())
            )
            if user is None:
                flash(_("No user with that email; create it first (flask users create)."), "error")
            else:
                brand_ops.add_member(db.session, brand, user, current_user)
                db.session.commit()
                flash(
                    _("%(email)s can now see %(brand)s.", email=user.email, brand=brand.name),
                    "success",
                )
                return redirect(url_for("planner.brand_settings", brand_id=brand.id))
    elif form.validate_on_submit():
        try:
            brand_ops.update_brand(
                db.session,
                brand,
                current_user,
                name=form.name.data,
                timezone=form.timezone.data.strip(),
                grace_minutes=form.grace_minutes.data or 0,
                requires_approval=form.requires_approval.data,
                requires_two_people=form.requires_two_people.data,
            )
            brand.language = form.language.data
        except ops.PlannerError as exc:
            _flash_errors(exc.errors)
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("planner.brand_settings", brand_id=brand.id))
    members = db.session.scalars(
        select(User)
        .join_from(User, BrandMember, BrandMember.user_id == User.id)
        .where(BrandMember.brand_id == brand.id)
        .order_by(User.email)
    ).all()
    ical_url = url_for("planner.ical_feed", token=brand.ical_token, _external=True)
    return render_template(
        "planner/brand_settings.html",
        brand=brand,
        form=form,
        member_form=member_form,
        members=members,
        ical_url=ical_url,
    ), (400 if form.errors or member_form.errors else 200)


@bp.route("/brands/<int:brand_id>/archive", methods=["POST"])
@role_required(Role.ADMIN)
def archive_brand(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if commit_or_flash(
        lambda: brand_ops.archive_brand(db.session, brand, current_user, now=utcnow())
    ):
        flash(
            _(
                "%(brand)s is archived: it is hidden from the brand list, publishes nothing and "
                "is neither checked nor polled. Its data is kept; unarchive it here at any time.",
                brand=brand.name,
            ),
            "success",
        )
    return redirect(url_for("planner.brand_settings", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/unarchive", methods=["POST"])
@role_required(Role.ADMIN)
def unarchive_brand(brand_id: int) -> Any:
    brand = _brand(brand_id)
    if commit_or_flash(lambda: brand_ops.unarchive_brand(db.session, brand, current_user)):
        flash(
            _(
                "%(brand)s is back: it publishes, is checked and polled again. Posts that came "
                "due while it was archived are listed under Publishing as missed.",
                brand=brand.name,
            ),
            "success",
        )
    if request.form.get("next") == "brands":
        return redirect(url_for("planner.brands", archived="1"))
    return redirect(url_for("planner.brand_settings", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def delete_brand(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = DeleteBrandForm(prefix="delete")
    if not form.validate_on_submit():
        flash(_("Type the brand's name to confirm; nothing was deleted."), "error")
        return redirect(url_for("planner.brand_settings", brand_id=brand.id) + "#delete")
    name = brand.name
    typed = form.confirm_name.data or ""
    if commit_or_flash(
        lambda: brand_ops.delete_brand(db.session, brand, current_user, typed_name=typed)
    ):
        flash(_("%(brand)s and everything under it were deleted.", brand=name), "success")
        return redirect(url_for("planner.brands"))
    return redirect(url_for("planner.brand_settings", brand_id=brand_id) + "#delete")


@bp.route("/brands/<int:brand_id>/channels", methods=["GET", "POST"])
@login_required
def channels(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = ChannelForm(timezone=brand.timezone)
    if request.method == "POST" and not current_user.has_role(Role.ADMIN):
        abort(403, description=_("Only admins add channels."))
    if form.validate_on_submit():
        try:
            channel = channel_ops.create_channel(
                db.session,
                brand,
                current_user,
                platform=form.platform.data,
                name=form.name.data or "",  # the form requires it; never the platform's label
                timezone=form.timezone.data.strip(),
                min_gap_minutes=form.min_gap_minutes.data or 0,
                max_per_day=form.max_per_day.data,
            )
        except ops.PlannerError as exc:
            _flash_errors(exc.errors)
        else:
            db.session.commit()
            flash(
                _(
                    "Channel “%(name)s” added with the platform's default windows.",
                    name=channel.name,
                ),
                "success",
            )
            return redirect(url_for("planner.channel", channel_id=channel.id))
    now, warn_days = utcnow(), current_app.config["CONNECTION_WARN_DAYS"]
    health = {c.id: connection_lifecycle.channel_health(c, now, warn_days) for c in brand.channels}
    return render_template(
        "planner/channels.html", brand=brand, form=form, Platform=Platform, health=health
    ), (400 if form.errors else 200)


def _windows_from_form() -> tuple[list[slots.WindowSpec], list[str]]:
    specs, errors = [], []
    rows = zip(
        request.form.getlist("weekday"),
        request.form.getlist("start"),
        request.form.getlist("end"),
        request.form.getlist("weight"),
        strict=False,
    )
    for number, (weekday, start, end, weight) in enumerate(rows, start=1):
        if not (start or end):
            continue
        try:
            day = int(weekday)
            start_h, start_m = (int(x) for x in start.split(":"))
            end_h, end_m = (int(x) for x in end.split(":"))
            specs.append(
                slots.WindowSpec(
                    day,
                    start_h * 60 + start_m,
                    (end_h * 60 + end_m) % 1440,
                    parse_float(weight, "weight", default=1.0),
                )
            )
        except ValueError:
            errors.append(_("Row %(row)d: give the day, a start and an end as HH:MM.", row=number))
    return specs, errors


@bp.route("/channels/<int:channel_id>", methods=["GET", "POST"])
@login_required
def channel(channel_id: int) -> Any:
    try:
        channel = channel_ops.channel_for(db.session, current_user, channel_id)
    except ops.NotFound:
        abort(404)
    form = ChannelSettingsForm(obj=channel)
    windows_form = FlaskForm(prefix="windows")
    status = 200
    if request.method == "POST" and not current_user.has_role(Role.ADMIN):
        abort(403, description=_("Only admins change channels."))
    if request.form.get("action") == "windows":
        if windows_form.validate_on_submit():
            specs, errors = _windows_from_form()
            try:
                if errors:
                    raise ops.PlannerError(*errors)
                channel_ops.replace_windows(db.session, channel, specs, current_user)
            except ops.PlannerError as exc:
                db.session.rollback()
                _flash_errors(exc.errors)
                status = 400
            else:
                db.session.commit()
                flash(_("Engagement windows saved."), "success")
                return redirect(url_for("planner.channel", channel_id=channel.id))
        else:
            status = 400
    elif request.method == "POST":
        if form.validate_on_submit():
            try:
                channel_ops.update_channel(
                    db.session,
                    channel,
                    current_user,
                    name=form.name.data or "",
                    timezone=form.timezone.data.strip(),
                    min_gap_minutes=form.min_gap_minutes.data or 0,
                    max_per_day=form.max_per_day.data,
                )
            except ops.PlannerError as exc:
                _flash_errors(exc.errors)
                status = 400
            else:
                db.session.commit()
                flash(_("Channel saved."), "success")
                return redirect(url_for("planner.channel", channel_id=channel.id))
        else:
            status = 400
    next_slot = ops.next_free_slot(db.session, channel, utcnow())
    return render_template(
        "planner/channel.html",
        channel=channel,
        brand=channel.brand,
        form=form,
        windows_form=windows_form,
        weekdays=WEEKDAYS,
        next_slot=next_slot.astimezone(channel.zone) if next_slot else None,
        credentials_form=FlaskForm(prefix="credentials"),
        credential_fields=credentials.credential_fields(channel.platform),
        credentials_state=credentials.credentials_state(db.session, channel, current_app.config),
        health=connection_lifecycle.channel_health(
            channel, utcnow(), current_app.config["CONNECTION_WARN_DAYS"]
        ),
        connector=connector_for(channel.platform),
    ), status


@bp.route("/brands/<int:brand_id>/calendar")
@login_required
def calendar(brand_id: int) -> Any:
    brand = _brand(brand_id)
    return render_template(
        "planner/calendar.html",
        brand=brand,
        channels=[channel_dict(c) for c in brand.channels],
        limits=PLATFORM_LIMITS,
        can_edit=current_user.has_role(Role.EDITOR),
        can_approve=current_user.has_role(Role.APPROVER),
        waiting_count=len(approval.waiting_posts(db.session, brand)),
    )


@bp.route("/brands/<int:brand_id>/posts/export.csv")
@login_required
def export_posts(brand_id: int) -> Any:
    brand = _brand(brand_id)
    filename = f"{brand.slug}-posts-{datetime.now(UTC):%Y%m%d}.csv"
    return Response(
        stream_with_context(csvio.export_posts(db.session, brand)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/brands/<int:brand_id>/posts/import", methods=["GET", "POST"])
@role_required(Role.EDITOR)
def import_posts(brand_id: int) -> Any:
    brand = _brand(brand_id)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        report = csvio.import_posts(
            db.session, brand, form.file.data.read(), author=current_user, now=utcnow()
        )
        if report.ok:
            db.session.commit()
            flash(csvio.import_summary(report), "success")
            return redirect(url_for("planner.calendar", brand_id=brand.id))
        db.session.rollback()
    return render_template(
        "planner/import.html", brand=brand, form=form, report=report, columns=csvio.column_help()
    ), (400 if report is not None or form.errors else 200)


@bp.route("/ical/<token>.ics")
def ical_feed(token: str) -> Any:
    """The brand's plan as an iCalendar feed; the secret token in the URL is the access check."""
    brand = db.session.scalar(select(Brand).where(Brand.ical_token == token))
    if brand is None:
        abort(404)
    now = utcnow()
    body = ical.brand_feed(db.session, brand, now - timedelta(days=90), now + timedelta(days=365))
    return Response(body, mimetype="text/calendar")


@bp.route("/brands/<int:brand_id>/ical/rotate", methods=["POST"])
@role_required(Role.ADMIN)
def rotate_ical(brand_id: int) -> Any:
    brand = _brand(brand_id)
    brand.ical_token = ical.new_feed_token()
    db.session.commit()
    flash(_("A new feed address was made; the old one no longer works."), "success")
    return redirect(url_for("planner.brand_settings", brand_id=brand.id))


# --- publishing: credentials, pause, approval, the post page -----------------------------------


def _post(post_id: int) -> Post:
    try:
        return ops.post_for(db.session, current_user, post_id)
    except ops.NotFound:
        abort(404, description=_("No such post, or you are not a member of its brand."))


def _local_time(value: str | None, zone: Any) -> datetime | None:
    """A datetime-local value from a form, read in the brand's zone, as UTC."""
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ops.PlannerError(_("“%(value)s” is not a date and time.", value=value)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return to_utc(parsed, "scheduled_at")
    except InvalidInput as exc:
        raise ops.PlannerError(f"“{value}” {exc.reason}") from None


@bp.route("/channels/<int:channel_id>/credentials", methods=["POST"])
@role_required(Role.ADMIN)
def channel_credentials(channel_id: int) -> Any:
    try:
        channel = channel_ops.channel_for(db.session, current_user, channel_id)
    except ops.NotFound:
        abort(404)
    messages: list[str] = []

    def change() -> None:
        if request.form.get("action") == "remove":
            credentials.remove_credentials(db.session, channel, current_user)
            connection_lifecycle.forget_connection(db.session, channel)
            messages.append(
                "Credentials removed: this channel's posts fail until new ones are saved."
            )
            return
        values = {
            f.key: request.form.get(f"cred-{f.key}", "")
            for f in credentials.credential_fields(channel.platform)
        }
        keys = credentials.save_credentials(
            db.session, channel, current_user, values, current_app.config
        )
        connection_lifecycle.forget_connection(db.session, channel)
        messages.append(f"Credentials saved ({', '.join(keys)}), encrypted.")

    if commit_or_flash(change):
        flash(messages[0], "success")
    return redirect(url_for("planner.channel", channel_id=channel.id) + "#credentials")


@bp.route("/brands/<int:brand_id>/publishing")
@login_required
def publishing(brand_id: int) -> Any:
    """Pause and resume, held posts, and the posts and channels that need a person."""
    brand = _brand(brand_id)
    problems = db.session.scalars(
        select(Post)
        .join(Channel, Channel.id == Post.channel_id)
        .where(
            Channel.brand_id == brand.id,
            Post.status.in_(
                [PostStatus.UNCONFIRMED.value, PostStatus.FAILED.value, PostStatus.MISSED.value]
            ),
        )
        .order_by(Post.scheduled_at.desc(), Post.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "planner/publishing.html",
        brand=brand,
        held=pause.held_posts(db.session, brand),
        problems=problems,
        reauth=[c for c in brand.channels if c.needs_reauth],
        zone=brand.zone,
    )


@bp.route("/brands/<int:brand_id>/pause", methods=["POST"])
@role_required(Role.ADMIN)
def pause_brand(brand_id: int) -> Any:
    brand = _brand(brand_id)
    reason = request.form.get("reason", "")
    if commit_or_flash(lambda: pause.pause_brand(db.session, brand, current_user, reason)):
        flash(
            _("Publishing for %(brand)s is paused. Due posts are held.", brand=brand.name),
            "warning",
        )
    return redirect(url_for("planner.publishing", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/resume", methods=["POST"])
@role_required(Role.ADMIN)
def resume_brand(brand_id: int) -> Any:
    brand = _brand(brand_id)
    held = request.form.get("held", "")
    posts: list[Post] = []

    def resume() -> None:
        posts.extend(pause.resume_brand(db.session, brand, current_user, held))  # type: ignore[arg-type]

    if commit_or_flash(resume):
        if held == "now":
            message = ngettext(
                "Publishing resumed; %(num)d held post goes out now.",
                "Publishing resumed; %(num)d held posts go out now.",
                len(posts),
            )
        else:
            message = ngettext(
                "Publishing resumed; %(num)d held post moved to the next free slot.",
                "Publishing resumed; %(num)d held posts moved to the next free slots.",
                len(posts),
            )
        flash(message, "success")
    return redirect(url_for("planner.publishing", brand_id=brand.id))


@bp.route("/brands/<int:brand_id>/approvals")
@login_required
def approvals(brand_id: int) -> Any:
    """Waiting for approval."""
    brand = _brand(brand_id)
    posts = approval.waiting_posts(db.session, brand)
    authors = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_({p.author_id for p in posts})))
    }
    return render_template(
        "planner/approvals.html",
        brand=brand,
        posts=posts,
        authors=authors,
        now=utcnow(),
        zone=brand.zone,
        may_approve={p.id: approval.may_approve(p, current_user) for p in posts},
        may_override={p.id: approval.may_override(p, current_user) for p in posts},
        approvers={p.id: approval.possible_approvers(db.session, p) for p in posts},
    )


def _back_to(post: Post) -> str:
    target = request.form.get("next", "")
    if target in ("approvals", "post"):
        if target == "approvals":
            return url_for("planner.approvals", brand_id=post.channel.brand_id)
        return url_for("planner.post_page", post_id=post.id)
    return url_for("planner.post_page", post_id=post.id)


@bp.route("/posts/<int:post_id>/approve", methods=["POST"])
@role_required(Role.APPROVER)
def approve_post(post_id: int) -> Any:
    post = _post(post_id)
    try:
        when = _local_time(request.form.get("scheduled_at"), post.channel.brand.zone)
        change = approval.approve_post(
            db.session,
            post,
            current_user,
            now=utcnow(),
            scheduled_at=when,
            override_reason=request.form.get("override_reason"),
        )
    except approval.ApprovalRefused as exc:
        db.session.rollback()
        if current_user.has_role(Role.ADMIN):
            # An admin can still finish it (with a reason): say how, on the page they came from.
            _flash_errors(exc.errors)
            return redirect(_back_to(post)), 303
        abort(403, description=exc.errors[0])
    except ops.PlannerError as exc:
        db.session.rollback()
        _flash_errors(exc.errors)
        return redirect(_back_to(post)), 303
    db.session.commit()
    when_text = slots.describe_local_time(change.post.scheduled_at, post.channel.brand.zone)
    flash(_("Approved: the post is scheduled for %(when)s.", when=when_text), "success")
    for warning in change.warnings:
        flash(warning, "warning")
    return redirect(_back_to(post))


@bp.route("/posts/<int:post_id>/reject", methods=["POST"])
@role_required(Role.APPROVER)
def reject_post(post_id: int) -> Any:
    post = _post(post_id)
    reason = request.form.get("reason", "")
    if commit_or_flash(lambda: approval.reject_post(db.session, post, current_user, reason)):
        flash(_("Rejected: the post is a draft again, with your reason."), "success")
    return redirect(_back_to(post))


@bp.route("/posts/<int:post_id>/retry", methods=["POST"])
@role_required(Role.EDITOR)
def retry_post(post_id: int) -> Any:
    """A failed post goes back to the queue: at the next free slot, or at the time given."""
    post = _post(post_id)
    messages: list[str] = []

    def retry() -> None:
        when = _local_time(request.form.get("scheduled_at"), post.channel.brand.zone)
        change = ops.retry_post(db.session, post, current_user, now=utcnow(), when=when)
        messages.append(approval.schedule_message(db.session, change.post, current_user))
        messages.extend(change.warnings)

    if commit_or_flash(retry):
        flash(_("Retrying: %(message)s", message=messages[0]), "success")
        for warning in messages[1:]:
            flash(warning, "warning")
    if request.form.get("next") == "post":
        return redirect(url_for("planner.post_page", post_id=post.id))
    brand_id = post.channel.brand_id
    return redirect(url_for("planner.publishing", brand_id=brand_id) + "#problem-posts")


@bp.route("/posts/<int:post_id>")
@login_required
def post_page(post_id: int) -> Any:
    post = _post(post_id)
    history = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "post", AuditEntry.object_id == post.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    people = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({post.author_id, post.approved_by_id} - {None}))
        )
    }
    return render_template(
        "planner/post.html",
        post=post,
        brand=post.channel.brand,
        channel=post.channel,
        zone=post.channel.brand.zone,
        attempts=[e for e in history if e.action == "post.publish_attempt"],
        history=[e for e in history if e.action != "post.publish_attempt"],
        people=people,
        rejection=approval.last_rejection(db.session, post),
        may_approve=approval.may_approve(post, current_user),
        may_override=approval.may_override(post, current_user),
        approvers=approval.possible_approvers(db.session, post),
        now=utcnow(),
        parts=parts_status(post),
        **post_media_context(post),
    )


@bp.route("/posts/<int:post_id>/parts/retry", methods=["POST"])
@role_required(Role.EDITOR)
def retry_post_parts(post_id: int) -> Any:
    """Send the failed thread part or first comment again, then the parts after it."""
    post = _post(post_id)
    if commit_or_flash(lambda: retry_failed_parts(db.session, post, current_user)):
        flash(_("The worker sends it again shortly, then the parts after it."), "success")
    return redirect(url_for("planner.post_page", post_id=post.id))


@bp.route("/posts/<int:post_id>/published", methods=["POST"])
@role_required(Role.EDITOR)
def confirm_published(post_id: int) -> Any:
    post = _post(post_id)
    url = request.form.get("public_url", "")
    if commit_or_flash(
        lambda: unconfirmed.confirm_published(db.session, post, current_user, url, now=utcnow())
    ):
        flash(_("Recorded as published."), "success")
    return redirect(url_for("planner.post_page", post_id=post.id))


@bp.route("/posts/<int:post_id>/not-published", methods=["POST"])
@role_required(Role.EDITOR)
def confirm_not_published(post_id: int) -> Any:
    post = _post(post_id)
    if commit_or_flash(
        lambda: unconfirmed.confirm_not_published(db.session, post, current_user, now=utcnow())
    ):
        zone = post.channel.brand.zone
        flash(
            _(
                "Back in the queue: %(when)s (%(zone)s).",
                when=local_datetime(post.scheduled_at, zone, "MMMMEEEEd"),
                zone=post.channel.brand.timezone,
            ),
            "success",
        )
    return redirect(url_for("planner.post_page", post_id=post.id))
