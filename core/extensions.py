"""Extensions, declared unbound here and bound in create_app."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from core.db import db

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
csrf = CSRFProtect()
# No default limits: only the routes that check secrets (login, API tokens) are throttled.
# Storage and strategy come from RATELIMIT_* in core/config.py.
limiter = Limiter(key_func=get_remote_address, headers_enabled=False)

__all__ = ["csrf", "db", "limiter", "login_manager"]
