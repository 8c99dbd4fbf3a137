"""core's own words in the reader's language: a refused CSRF check is a friendly page (the JSON
API keeps its English reason), the login Flask-Login asks for, and the brand score line
of the home overview."""

from __future__ import annotations

from flask_babel import force_locale

from tests.conftest import PASSWORD, make_app

LATVIAN = {"Accept-Language": "lv-LV,lv;q=0.9"}


def test_a_refused_csrf_check_is_a_friendly_page_in_the_persons_language(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        data = {"email": "a@example.com", "password": PASSWORD}
        english = client.post("/login", data=data)
        assert english.status_code == 400
        assert "This form could not be sent" in english.text
        assert "Reload the page and send the form again" in english.text
        assert "CSRF" not in english.text
        latvian = client.post("/login", data=data, headers=LATVIAN)
        assert latvian.status_code == 400
        assert "Veidlapu neizdevās nosūtīt" in latvian.text
        assert "Pārlādējiet lapu" in latvian.text and "CSRF" not in latvian.text
        # The JSON API keeps its English reason.
        api = client.post("/login", data=data, headers={"Accept": "application/json"})
        assert api.status_code == 400 and "CSRF" in api.get_json()["message"]


def test_the_login_a_page_asks_for_is_asked_in_latvian(app, client):
    asked = client.get("/brands", headers=LATVIAN, follow_redirects=True)
    assert "/login" in asked.request.path
    assert "Lai atvērtu šo lapu, piesakieties." in asked.text
    english = client.get("/brands", follow_redirects=True)
    assert "Please log in to access this page." in english.text


def test_the_brand_score_line_of_the_home_overview_speaks_latvian(app):
    from serp.home import _score_line

    with app.test_request_context(), force_locale("lv"):
        line = _score_line(1, 0.2, 0.1)
    # Latvian words, with the score and its change written in Latvian digits (decimal comma).
    assert line.text.startswith("Zīmola rādītājs pirmajā lapā: +20,0")
    assert "pieaudzis par 10,0" in line.text


def test_the_api_and_its_openapi_document_stay_english_for_a_latvian_client(app):
    """docs/i18n.md: the JSON API is a contract with programs; one language for every caller."""
    client = app.test_client()
    english = client.get("/api/v1/openapi.json").get_json()
    latvian = client.get("/api/v1/openapi.json", headers=LATVIAN).get_json()
    assert latvian == english
    assert latvian["components"]["schemas"]["Error"]
    # An error answer of the API keeps its English words whatever the client's language.
    refused = client.get("/api/v1/brands", headers=LATVIAN)
    assert refused.status_code == 401
    assert refused.get_json()["error"].startswith("Authentication required")
    missing = client.get("/api/v1/no-such-thing", headers=LATVIAN)
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not Found"


def test_a_value_a_page_cannot_read_is_refused_in_latvian(app, users, brand):
    from tests.conftest import login

    client = app.test_client()
    login(client, users["admin"].email)
    refused = client.get(f"/brands/{brand.id}/listening?page=abc", headers=LATVIAN)
    assert refused.status_code == 422
    assert "Nevar apstrādāt" in refused.text
    assert "Laukam &#39;page&#39; jābūt veselam skaitlim" in refused.text
    english = client.get(f"/brands/{brand.id}/listening?page=abc")
    assert "&#39;page&#39; must be a whole number" in english.text
