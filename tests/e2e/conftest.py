"""Browser tests: a live PageOne server with the demo data, and Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The browser runs in another zone than the demo brand (Europe/Berlin), as many users do.
BROWSER_TIMEZONE = "America/New_York"


@dataclass
class LiveServer:
    url: str
    app: Any
    brand_id: int
    email: str
    password: str


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"Chromium is not installed at {CHROMIUM}: run "
        "'apt-get update && apt-get install -y chromium' to run the browser tests."
    )
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on a free local port, serving a fresh SQLite database loaded with the demo."""
    from werkzeug.serving import make_server

    import core.models  # noqa: F401  (registers the tables)
    import planner.models  # noqa: F401
    from app import create_app
    from core.db import Base, db, utcnow
    from core.tenants import Brand
    from planner.demo import DEMO_EMAIL, DEMO_PASSWORD, load_demo

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/e2e.db"}
    )
    Base.metadata.create_all(app.extensions["pageone.db"])
    with app.app_context():
        # The demo as `flask demo` loads it: with the year of search checks as well.
        load_demo(
            db.session,
            now=utcnow(),
            only_if_empty=False,
            more=app.extensions["pageone.demo_loaders"],
        )
        db.session.commit()
        brand_id = db.session.query(Brand.id).scalar()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(
            url=f"http://127.0.0.1:{server.server_port}",
            app=app,
            brand_id=brand_id,
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
        )
    finally:
        server.shutdown()
        thread.join(timeout=5)
        app.extensions["pageone.db"].dispose()


def add_member(server: LiveServer, email: str, password: str, role: str) -> None:
    """A user with `role` who belongs to the demo brand."""
    from core.db import db
    from core.models import User
    from core.tenants import Brand
    from planner import brands

    with server.app.app_context():
        admin = db.session.query(User).filter_by(email=server.email).one()
        user = User(email=email, name=email.split("@")[0], role=role)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
        brands.add_member(db.session, db.session.get(Brand, server.brand_id), user, admin)
        db.session.commit()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies), sized like a laptop screen, in BROWSER_TIMEZONE."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900},
        timezone_id=BROWSER_TIMEZONE,
        locale="en-GB",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
