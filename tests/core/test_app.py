"""The factory wires every feature: blueprints, commands and the worker's periodic jobs."""

from __future__ import annotations


class RecordingScheduler:
    def __init__(self) -> None:
        self.jobs: dict[str, tuple] = {}

    def add_job(self, func, trigger, **options) -> None:
        self.jobs[options["id"]] = (func, trigger, options)


def test_worker_runs_the_jobs_of_every_feature(app):
    scheduler = RecordingScheduler()
    for register in app.extensions["pageone.worker_jobs"]:
        register(scheduler, app, "w1")
    assert set(scheduler.jobs) == {
        "publish",
        "serp-due-checks",
        "serp-suggestions",
        "serp-weekly-reports",
        "listening-poll",
        "listening-spikes",
        "listening-sla",
        "connections-refresh",
        "connections-warn",
        "ops-heartbeat",
        "ops-retention",
        "review-requests",
        "reviews-overdue",
        "listening-themes",
        "engagement-reads",
    }
    assert scheduler.jobs["serp-weekly-reports"][1] == "cron"


def test_every_command_group_is_registered(app):
    assert {"db", "users", "planner", "demo", "serp", "reviews", "listening", "ops"} <= set(
        app.cli.commands
    )
    assert "report" in app.cli.commands["serp"].commands


def test_favicon_ico_leads_to_the_icon(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    icon = client.get(answer.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
