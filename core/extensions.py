"""Extensions, declared unbound here and bound in create_app."""

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from core.db import db

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message_category = "info"
csrf = CSRFProtect()

__all__ = ["csrf", "db", "login_manager"]
