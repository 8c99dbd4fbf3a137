"""The composer's script in Latvian: a folded Facebook post ends as Facebook writes it in Latvian,
LinkedIn (which has no Latvian interface) keeps its English, and the counters count in Latvian."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_calendar import log_in
from tests.e2e.test_composer import pick

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots_script_words")
# Six short lines: Facebook folds after five, LinkedIn after three.
LINES = "\n".join(f"Rinda {n}: ziemas kafija atkal ir klāt." for n in range(1, 7))


def test_the_latvian_composer_preview_folds_as_each_network_does_in_latvian(
    live_server: LiveServer, page: Any
) -> None:
    from core.db import db
    from core.models import User

    with live_server.app.app_context():
        user = db.session.query(User).filter_by(email=live_server.email).one()
        user.locale = "lv"
        db.session.commit()
    log_in(page, live_server)
    page.goto(f"{live_server.url}/brands/{live_server.brand_id}/compose")
    assert page.locator("html").get_attribute("lang") == "lv"
    pick(page, "Northwind Facebook")
    pick(page, "Northwind LinkedIn")
    page.locator("#compose-text").fill(LINES)

    facebook = page.locator(".preview-facebook:not([hidden]) .preview-more")
    facebook.wait_for()
    assert facebook.inner_text() == "\u2026 Skatīt vairāk"
    linkedin = page.locator(".preview-linkedin:not([hidden]) .preview-more")
    assert linkedin.inner_text() == "\u2026 see more"

    # The counter of a channel without a character limit in sight of this text counts in
    # Latvian: "…: 227 / 63 206" with Latvian digit grouping, and no English left.
    counts = page.locator("#compose-counts").inner_text()
    assert "Northwind Facebook" in counts and "characters" not in counts
    assert "63\u00a0206" in counts or "63 206" in counts
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compose_lv.png"), full_page=True)
