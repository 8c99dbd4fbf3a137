"""PageOne: the application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.config import load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints and command-line groups."""
    app = Flask(__name__, instance_relative_config=True)
    overrides = config or {}
    app.config.update(load_config(app.instance_path, generate_secret="SECRET_KEY" not in overrides))
    app.config.update(overrides)

    from core.extensions import csrf, db, login_manager

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)

    from core import auth, web
    from planner import api as planner_api
    from planner import views as planner_views
    from planner.reviews import api as reviews_api
    from planner.reviews import views as reviews_views
    from serp import api as serp_api
    from serp import views as serp_views

    app.register_blueprint(web.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(planner_views.bp)
    app.register_blueprint(planner_api.bp)
    csrf.exempt(planner_api.bp)
    app.register_blueprint(reviews_views.bp)
    app.register_blueprint(reviews_views.public_bp)
    app.register_blueprint(reviews_api.bp)
    csrf.exempt(reviews_api.bp)
    app.register_blueprint(serp_views.bp)
    app.register_blueprint(serp_api.bp)
    csrf.exempt(serp_api.bp)
    from serp import dashboard as serp_dashboard

    app.register_blueprint(serp_dashboard.bp)
    from listening import api as listening_api
    from listening import views as listening_views

    app.register_blueprint(listening_views.bp)
    app.register_blueprint(listening_views.public_bp)
    app.register_blueprint(listening_api.bp)
    csrf.exempt(listening_api.bp)
    web.register_error_handlers(app)

    from core.cli import register_cli
    from planner.cli import register_cli as register_planner_cli
    from planner.reviews.cli import register_cli as register_reviews_cli
    from serp.cli import register_cli as register_serp_cli

    register_cli(app)
    register_planner_cli(app)
    register_reviews_cli(app)
    register_serp_cli(app)
    from serp.cli import serp_cli
    from serp.reports import report_command

    serp_cli.add_command(report_command)
    from listening.cli import register_cli as register_listening_cli

    register_listening_cli(app)
    return app
