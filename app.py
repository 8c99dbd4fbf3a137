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
    from core.i18n import register_i18n
    from core.ops import register_ops
    from core.security import register_security

    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    register_i18n(app)
    register_security(app)
    register_ops(app)
    register_blueprints(app)
    register_cli(app)
    register_worker_jobs(app)
    register_home_sections(app)
    register_page_script_words(app)
    register_demo(app)
    register_ops_hooks(app)
    return app


def register_blueprints(app: Flask) -> None:
    from core import auth, team_views, web
    from core.extensions import csrf
    from listening import api as listening_api
    from listening import playbook_views
    from listening import views as listening_views
    from planner import api as planner_api
    from planner import composer_views, groups_api, retention_views
    from planner import views as planner_views
    from planner.connections import views as connection_views
    from planner.engagement import views as engagement_views
    from planner.media import api as media_api  # noqa: F401  (its routes join the planner's API)
    from planner.media import views as media_views
    from planner.reviews import api as reviews_api
    from planner.reviews import reply_api, reply_views
    from planner.reviews import views as reviews_views
    from planner.reviews.requests import api as review_requests_api
    from planner.reviews.requests import public as review_requests_public
    from planner.reviews.requests import views as review_requests_views
    from serp import api as serp_api
    from serp import dashboard as serp_dashboard
    from serp import views as serp_views
    from serp.suggest import api as suggest_api
    from serp.suggest import views as suggest_views

    web.register_input_checks(app)
    for blueprint in (
        web.bp,
        auth.bp,
        team_views.bp,
        planner_views.bp,
        composer_views.bp,
        media_views.bp,
        connection_views.bp,
        engagement_views.bp,
        reviews_views.bp,
        reviews_views.public_bp,
        review_requests_views.bp,
        review_requests_public.bp,
        reply_views.bp,
        retention_views.bp,
        serp_views.bp,
        serp_dashboard.bp,
        suggest_views.bp,
        listening_views.bp,
        listening_views.public_bp,
        playbook_views.bp,
    ):
        app.register_blueprint(blueprint)
    # The JSON APIs authenticate with bearer tokens; browser calls are CSRF-checked in api_auth.
    for api in (
        planner_api.bp,
        groups_api.bp,
        reviews_api.bp,
        reply_api.bp,
        review_requests_api.bp,
        serp_api.bp,
        suggest_api.bp,
        listening_api.bp,
    ):
        app.register_blueprint(api)
        csrf.exempt(api)
    # Signed by the order system, and the one-click unsubscribe of RFC 8058 (the link's token
    # is its authority): neither can carry a CSRF token.
    csrf.exempt(review_requests_public.order_webhook)
    csrf.exempt(review_requests_public.unsubscribe)
    web.register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from core.cli import register_cli as register_core_cli
    from listening.cli import register_cli as register_listening_cli
    from planner.cli import register_cli as register_planner_cli
    from planner.reviews.cli import register_cli as register_reviews_cli
    from serp.cli import register_cli as register_serp_cli
    from serp.cli import serp_cli
    from serp.reports import report_command

    register_core_cli(app)
    register_planner_cli(app)
    register_reviews_cli(app)
    register_serp_cli(app)
    serp_cli.add_command(report_command)
    register_listening_cli(app)


def register_worker_jobs(app: Flask) -> None:
    """The periodic jobs the worker (``core/worker.py``) runs, one registration per feature:
    publishing, connection renewals, the search checks, the listening polls and operations."""
    from core.ops import register_jobs as ops_jobs
    from listening.jobs import register_jobs as listening_jobs
    from planner.connections.jobs import register_jobs as connection_jobs
    from planner.engagement.jobs import register_jobs as engagement_jobs
    from planner.publishing.worker import register_jobs as publishing_jobs
    from planner.reviews.requests.jobs import register_jobs as review_request_jobs
    from planner.reviews.response import register_jobs as review_jobs
    from serp.jobs import register_jobs as serp_jobs
    from serp.suggest.jobs import register_jobs as suggest_jobs

    app.extensions["pageone.worker_jobs"] = [
        publishing_jobs,
        connection_jobs,
        engagement_jobs,
        serp_jobs,
        suggest_jobs,
        listening_jobs,
        review_request_jobs,
        review_jobs,
        ops_jobs,
    ]


def register_home_sections(app: Flask) -> None:
    """Each feature's lines of the home overview, which the planner's page shows without
    importing search or listening."""
    from listening.home import home_lines as listening_lines
    from planner.connections.home import connection_lines
    from planner.home import planner_lines
    from serp.home import home_lines as serp_lines

    app.extensions["pageone.home_sections"] = [
        planner_lines,
        connection_lines,
        serp_lines,
        listening_lines,
    ]


def register_page_script_words(app: Flask) -> None:
    """The words of each page script (static/js) in the page's language: the page that loads a
    script renders ``{{ script_words("<script>") }}`` (core/js_words.py)."""
    from core.js_words import register_script_words
    from listening.js_words import bulk_select_words
    from planner.js_words import composer_words, media_library_words, voice_check_words

    register_script_words(
        app,
        {
            "composer": composer_words,
            "media_library": media_library_words,
            "voice_check": voice_check_words,
            "bulk_select": bulk_select_words,
        },
    )


def register_demo(app: Flask) -> None:
    """What `flask demo load` adds to the planner's demo brand: a year of search checks, the
    weeks of autocomplete look-ups, the metric reads of its published posts and the starter
    crisis playbooks."""
    from listening.playbooks import load_playbooks_demo
    from planner.engagement.demo import load_engagement_demo
    from serp.demo import load_serp_demo
    from serp.suggest.demo import load_suggest_demo

    app.extensions["pageone.demo_loaders"] = [
        load_serp_demo,
        load_suggest_demo,
        load_engagement_demo,
        load_playbooks_demo,
    ]


def register_ops_hooks(app: Flask) -> None:
    """What each feature adds to running PageOne (core.ops): the metrics read at each scrape,
    the personal data it holds, its part of a brand's export and its retention sweep."""
    from core.ops.cli import ops_cli
    from listening import ops_hooks as listening_ops
    from planner import ops_hooks as planner_ops
    from planner.reviews.requests import ops_hooks as review_request_ops
    from serp import ops_hooks as serp_ops
    from serp.suggest import ops_hooks as suggest_ops

    app.extensions["pageone.metrics"] = [
        planner_ops.publishing_metrics,
        serp_ops.search_metrics,
        listening_ops.listening_metrics,
    ]
    app.extensions["pageone.personal_data"] = [
        planner_ops.ReviewAuthors(),
        review_request_ops.RequestCustomers(),
        listening_ops.MentionAuthors(),
    ]
    app.extensions["pageone.brand_exporters"] = [
        planner_ops.brand_parts,
        review_request_ops.brand_parts,
        serp_ops.brand_parts,
        suggest_ops.brand_parts,
        listening_ops.brand_parts,
    ]
    app.extensions["pageone.retention_sweeps"] = [
        planner_ops.sweep_attempts_and_audit,
        serp_ops.sweep_raw_pages,
    ]
    if "retention" not in ops_cli.commands:
        ops_cli.add_command(planner_ops.retention_command)
