"""What customers and order systems reach without logging in: the unsubscribe link, the open
pixel and the order webhook."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from core.db import db, utcnow
from core.errors import Refused
from core.i18n import use_language
from core.tenants import Brand
from planner.reviews.requests import sending, webhook
from planner.reviews.requests.customers import add_customer
from planner.reviews.requests.models import ReviewRequest
from planner.reviews.requests.settings import request_settings, webhook_secret

bp = Blueprint("review_requests_public", __name__)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _request_of(token: str) -> ReviewRequest | None:
    request_id = sending.request_id_of(current_app.config, token)
    return db.session.get(ReviewRequest, request_id) if request_id is not None else None


@bp.route("/r/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    """GET asks to confirm and writes nothing; POST (the page's button, or a mail client's
    RFC 8058 one-click POST) unsubscribes."""
    found = _request_of(token)
    if found is None:
        return render_template("reviews/requests_unsubscribe.html", state="unknown"), 404
    brand = db.session.get(Brand, found.brand_id)
    # The customer reads the page in the language their e-mail was written in.
    use_language(found.language or (brand.language if brand else None))
    if request.method == "GET":
        state = "done" if found.customer.unsubscribed_at else "confirm"
        return render_template(
            "reviews/requests_unsubscribe.html", state=state, sender=brand, token=token
        )
    sending.unsubscribe(db.session, found.id, utcnow())
    db.session.commit()
    return render_template("reviews/requests_unsubscribe.html", state="done", sender=brand)


@bp.route("/r/open/<token>.gif")
def opened(token: str) -> Any:
    """The 1×1 open pixel, only in e-mails of brands that track opens. An image is fetched with
    GET, so this is the one GET that writes: the time of the first open, nothing else."""
    request_id = sending.request_id_of(current_app.config, token)
    if request_id is not None:
        sending.record_open(db.session, request_id, utcnow())
        db.session.commit()
    return Response(PIXEL, mimetype="image/gif", headers={"Cache-Control": "no-store"})


@bp.route("/hooks/reviews/<int:brand_id>/orders", methods=["POST"])
def order_webhook(brand_id: int) -> Any:
    """An order system's "order completed": a new customer to ask, or nothing if seen."""
    body = request.get_data(cache=False)
    try:
        if len(body) > webhook.MAX_BODY:
            raise webhook.WebhookRefused(413, "The body is larger than 64 KB.")
        brand = db.session.scalar(
            select(Brand).where(Brand.id == brand_id, Brand.archived_at.is_(None))
        )
        settings = request_settings(db.session, brand) if brand is not None else None
        secret = webhook_secret(settings, current_app.config) if settings is not None else None
        webhook.verify(
            secret,
            request.headers.get(webhook.TIMESTAMP_HEADER),
            request.headers.get(webhook.SIGNATURE_HEADER),
            body,
            utcnow(),
        )
        assert brand is not None and settings is not None
        order = webhook.read_order(body, brand.zone)
        customer, created = add_customer(
            db.session,
            brand,
            settings,
            email=order.email,
            name=order.name,
            order_ref=order.order_id,
            ordered_at=order.completed_at,
            source="webhook",
        )
    except webhook.WebhookRefused as exc:
        db.session.rollback()
        return jsonify(error=exc.message, errors=[exc.message]), exc.status
    except Refused as exc:
        db.session.rollback()
        return jsonify(error=exc.errors[0], errors=exc.errors), 422
    db.session.commit()
    return jsonify(customer_id=customer.id, created=created, duplicate=not created), (
        201 if created else 200
    )
