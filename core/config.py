"""Configuration, read from the environment once, in one place."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}


def _flag(env: dict[str, str], name: str, default: bool = False) -> bool:
    value = env.get(name)
    return default if value is None else value.strip().lower() in TRUE_WORDS


def _persistent_secret(instance_path: Path, filename: str) -> str:
    """A random secret generated once and kept in instance/, so sessions survive restarts."""
    path = instance_path / filename
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # Created with owner-only permissions: it signs sessions and derives the credentials key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_config(
    instance_path: str, env: dict[str, str] | None = None, *, generate_secret: bool = True
) -> dict[str, Any]:
    """Settings from the environment, with defaults that work on a fresh machine."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'pageone.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    secret_key = env.get("SECRET_KEY") or (
        _persistent_secret(instance, "secret_key") if generate_secret else ""
    )
    return {
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        # Key for credentials stored at rest; derived from SECRET_KEY when not given.
        "CREDENTIALS_KEY": env.get("CREDENTIALS_KEY") or None,
        "BASE_URL": env.get("BASE_URL", "").rstrip("/") or None,
        "SMTP_HOST": env.get("SMTP_HOST") or None,
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USERNAME": env.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": _flag(env, "SMTP_STARTTLS"),
        "MAIL_FROM": env.get("MAIL_FROM", "pageone@localhost"),
        "NOTIFY_WEBHOOK_URL": env.get("NOTIFY_WEBHOOK_URL") or None,
        "OUTBOUND_ALLOW_PRIVATE": _flag(env, "OUTBOUND_ALLOW_PRIVATE"),
        "HTTP_TIMEOUT": float(env.get("HTTP_TIMEOUT", "10")),
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT", "10")),
        # A claimed post whose worker stops answering is recovered after its lease.
        "PUBLISH_LEASE_SECONDS": int(env.get("PUBLISH_LEASE_SECONDS", "300")),
        "PUBLISH_THREADS": int(env.get("PUBLISH_THREADS", "32")),
        # How long after its time a post is tried again while its platform is down.
        "PUBLISH_RETRY_FOR_SECONDS": int(env.get("PUBLISH_RETRY_FOR_SECONDS", "3600")),
        # Proxies for fetching result pages directly, used in turn: "http://p1:3128,http://p2:3128".
        "SERP_PROXIES": [p.strip() for p in env.get("SERP_PROXIES", "").split(",") if p.strip()],
        # Largest result page read, uploaded or fetched: real Google and Bing pages weigh
        # 0.3-2 MB; a crafted page of tens of megabytes only costs memory and time.
        "SERP_MAX_PAGE_BYTES": int(float(env.get("SERP_MAX_PAGE_MB", "5")) * 1024 * 1024),
        # Autocomplete endpoints (serp.suggest.fetch); set only to reach them through another host.
        "SUGGEST_URLS": {
            name: env[f"SUGGEST_{name.upper()}_URL"]
            for name in ("google", "bing", "serpapi")
            if env.get(f"SUGGEST_{name.upper()}_URL")
        },
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env, "SESSION_COOKIE_SECURE"),
        # Flask-Login's "Keep me logged in" cookie: same rules as the session cookie.
        "REMEMBER_COOKIE_DURATION": timedelta(days=int(env.get("REMEMBER_DAYS", "30"))),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag(env, "SESSION_COOKIE_SECURE"),
        # Login throttling (Flask-Limiter). memory:// counts per process; several web processes
        # need a shared store such as redis://host:6379/0 to share one count.
        "RATELIMIT_ENABLED": _flag(env, "RATELIMIT_ENABLED", default=True),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_STRATEGY": "moving-window",
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute"),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "20 per minute"),
        "API_TOKEN_FAILURE_LIMIT": env.get("API_TOKEN_FAILURE_LIMIT", "30 per minute"),
        # "Forgot password" requests, every one counted (it sends mail to whoever is typed).
        "RESET_LIMIT_PER_ACCOUNT": env.get("RESET_LIMIT_PER_ACCOUNT", "3 per hour"),
        "RESET_LIMIT_PER_ADDRESS": env.get("RESET_LIMIT_PER_ADDRESS", "10 per hour"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted; the
        # per-address login limit needs the client's address, not the proxy's.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        "SQL_ECHO": _flag(env, "SQL_ECHO"),
        # Logs: one line per event, "text" for people or "json" for a log collector.
        "LOG_FORMAT": (env.get("LOG_FORMAT") or "text").strip().lower(),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").strip().upper(),
        # /metrics answers only a scrape that sends this bearer token; unset, it answers 404.
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        # /readyz wants a worker heartbeat this recent; 0 leaves the worker out (web-only hosts).
        "READY_WORKER_MINUTES": int(env.get("READY_WORKER_MINUTES", "5")),
        "HEARTBEAT_SECONDS": int(env.get("HEARTBEAT_SECONDS", "30")),
        # Scheduled backups by the worker: every N hours (0: off), the newest BACKUP_KEEP kept.
        "BACKUP_DIR": env.get("BACKUP_DIR") or str(instance / "backups"),
        "BACKUP_EVERY_HOURS": int(env.get("BACKUP_EVERY_HOURS", "0")),
        "BACKUP_KEEP": int(env.get("BACKUP_KEEP", "7")),
        # The media library (planner/media): files on disk under MEDIA_DIR, or in an
        # S3-compatible bucket when MEDIA_S3_BUCKET is set (needs boto3; see README).
        "MEDIA_DIR": env.get("MEDIA_DIR") or str(instance / "media"),
        "MEDIA_S3_BUCKET": env.get("MEDIA_S3_BUCKET") or None,
        "MEDIA_S3_ENDPOINT_URL": env.get("MEDIA_S3_ENDPOINT_URL") or None,
        "MEDIA_S3_REGION": env.get("MEDIA_S3_REGION") or None,
        "MEDIA_S3_ACCESS_KEY_ID": env.get("MEDIA_S3_ACCESS_KEY_ID") or None,
        "MEDIA_S3_SECRET_ACCESS_KEY": env.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
        "MEDIA_S3_PREFIX": env.get("MEDIA_S3_PREFIX", "media/"),
        "MEDIA_MAX_IMAGE_BYTES": int(float(env.get("MEDIA_MAX_IMAGE_MB", "20")) * 1024 * 1024),
        "MEDIA_MAX_VIDEO_BYTES": int(float(env.get("MEDIA_MAX_VIDEO_MB", "200")) * 1024 * 1024),
        "MEDIA_BRAND_QUOTA_BYTES": int(
            float(env.get("MEDIA_BRAND_QUOTA_MB", "2048")) * 1024 * 1024
        ),
        # How long a public media address (for Instagram's servers to fetch) stays valid.
        "MEDIA_URL_SECONDS": int(env.get("MEDIA_URL_SECONDS", "86400")),
        **connection_settings(env),
    }


# Each platform's OAuth client and the addresses of its authorization server and API. The base
# URLs exist so that tests (and a proxy, if an operator needs one) can stand in for the provider.
_OAUTH_PLATFORMS: dict[str, dict[str, str]] = {
    "X": {"AUTH_URL": "https://x.com", "API_URL": "https://api.x.com"},
    "LINKEDIN": {"AUTH_URL": "https://www.linkedin.com", "API_URL": "https://api.linkedin.com"},
    "FACEBOOK": {
        "AUTH_URL": "https://www.facebook.com",
        "API_URL": "https://graph.facebook.com",
        "GRAPH_VERSION": "v23.0",
    },
    # Google Business Profile: replies to Google reviews (scope business.manage).
    "GOOGLE_BUSINESS": {
        "AUTH_URL": "https://accounts.google.com",
        "TOKEN_URL": "https://oauth2.googleapis.com",
        "API_URL": "https://mybusiness.googleapis.com",
    },
}


def connection_settings(env: dict[str, str]) -> dict[str, Any]:
    """``X_CLIENT_ID``, ``X_CLIENT_SECRET``, ``X_AUTH_URL``, ``X_API_URL`` and the same for
    LINKEDIN and FACEBOOK; a platform without a client id offers only the manual fields."""
    settings: dict[str, Any] = {}
    for platform, defaults in _OAUTH_PLATFORMS.items():
        for name in ("CLIENT_ID", "CLIENT_SECRET"):
            settings[f"{platform}_{name}"] = env.get(f"{platform}_{name}") or None
        for name, default in defaults.items():
            settings[f"{platform}_{name}"] = (env.get(f"{platform}_{name}") or default).rstrip("/")
    # How long before a token's end the worker renews it, and people are warned before a
    # connection that cannot be renewed ends.
    settings["TOKEN_REFRESH_AHEAD_SECONDS"] = int(env.get("TOKEN_REFRESH_AHEAD_SECONDS", "600"))
    settings["CONNECTION_WARN_DAYS"] = int(env.get("CONNECTION_WARN_DAYS", "7"))
    # Trustpilot's business API: each brand enters its own API key, secret and login.
    settings["TRUSTPILOT_API_URL"] = (
        env.get("TRUSTPILOT_API_URL") or "https://api.trustpilot.com"
    ).rstrip("/")
    return settings
