"""The review pages speak the reader's language: labels, counts with their plural forms, the
reasons a promotion ranks as it does and the problems of an imported file."""

from __future__ import annotations

import io

from core.db import db
from tests.conftest import login

from .conftest import csv_file


def latvian(client, user) -> None:
    user.locale = "lv"
    db.session.commit()
    login(client, user.email)


def test_the_inbox_is_latvian_for_a_latvian_reader(client, users, brand, reviews):
    latvian(client, users["editor"])
    page = client.get(f"/brands/{brand.id}/reviews").get_data(as_text=True)
    assert "Iesūtne" in page and "Balss vadlīnijas" in page
    assert "6 kopā" in page
    assert "Atbilst 6 atsauksmes." in page
    assert "Vajadzīga atbilde" in page and "Uzrakstīt atbildi" in page
    assert "Needs a reply" not in page and "Inbox" not in page


def test_the_promotable_reasons_are_latvian(client, users, brand, channels, reviews):
    latvian(client, users["editor"])
    page = client.get(f"/brands/{brand.id}/reviews/promotable").get_data(as_text=True)
    assert "Kāpēc šeit:" in page and "VADER kopvērtējums" in page
    assert "no 5 zvaigznēm" in page
    assert "Publicēt apkopojumu" in page


def test_a_bad_review_file_is_explained_in_latvian(client, users, brand):
    latvian(client, users["editor"])
    bad = csv_file("google,u1,5,,Fine,Ann,2026-01-01,,,,", "google,u2,0,,Zero,Ann,2026-01-01,,,,")
    response = client.post(
        f"/brands/{brand.id}/reviews/import",
        data={"file": (io.BytesIO(bad), "reviews.csv"), "format": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nekas netika importēts" in page
    assert "3. rinda: vērtējums 0 nav robežās no 1 līdz 5 veselām zvaigznēm" in page
