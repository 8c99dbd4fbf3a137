"""Configuration from the environment."""

from core.config import load_config
from core.crypto import decrypt_json, encrypt_json


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = load_config(str(tmp_path), env={})
    second = load_config(str(tmp_path), env={})
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_defaults_to_sqlite_in_instance_and_accepts_postgres_urls(tmp_path):
    assert load_config(str(tmp_path), env={"SECRET_KEY": "s"})["DATABASE_URL"] == (
        f"sqlite:///{tmp_path / 'pageone.db'}"
    )
    url = load_config(str(tmp_path), env={"SECRET_KEY": "s", "DATABASE_URL": "postgres://u@h/db"})
    assert url["DATABASE_URL"] == "postgresql+psycopg://u@h/db"


def test_credentials_are_encrypted_at_rest():
    config = {"SECRET_KEY": "k", "CREDENTIALS_KEY": None}
    token = encrypt_json({"access_token": "secret-value"}, config)
    assert "secret-value" not in token
    assert decrypt_json(token, config) == {"access_token": "secret-value"}
