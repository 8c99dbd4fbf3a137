"""What listening gives `core.ops`: the failing-sources metric, the personal data mentions hold
(their authors' words, and the replies to them) and the brand's listening data for its export,
crisis playbooks and their runs included.
Registered in ``app.register_ops_hooks``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.ops.personal import Person, row_dict, rows_of
from listening.models import (
    CrisisAlert,
    CrisisPage,
    ListeningSettings,
    Mention,
    MentionReply,
    MentionSource,
    SavedReply,
    ThemeAlert,
)
from listening.playbook_models import CrisisRun, CrisisRunStep, CrisisScenario, CrisisStatement


def listening_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    """Active sources whose last polls failed, by kind."""
    failing = GaugeMetricFamily(
        "pageone_listening_sources_failing", "Active listening sources failing", labels=["kind"]
    )
    for kind, n in session.execute(
        select(MentionSource.kind, func.count(MentionSource.id))
        .where(MentionSource.active.is_(True), MentionSource.failing.is_(True))
        .group_by(MentionSource.kind)
        .order_by(MentionSource.kind)
    ):
        failing.add_metric([kind], n)
    yield failing


def _by(person: Person) -> Any:
    return func.lower(func.trim(Mention.author)).in_(person.keys)


class MentionAuthors:
    """Mentions the person wrote, with the brand's replies to them."""

    kind = "mentions"

    def export(self, session: Session, person: Person) -> list[dict[str, Any]]:
        found = []
        for mention in session.scalars(select(Mention).where(_by(person)).order_by(Mention.id)):
            entry = row_dict(mention)
            entry["replies"] = [row_dict(reply) for reply in mention.replies]
            found.append(entry)
        return found

    def erase(self, session: Session, person: Person, stand_in: str) -> int:
        mentions = session.scalars(select(Mention).where(_by(person))).all()
        for mention in mentions:
            # The external id and URL key stay, so a later poll does not fetch the mention
            # again; state, dates and sentiment stay for the inbox's figures.
            mention.author = stand_in
            mention.title = ""
            mention.text = ""
            mention.url = None
            mention.key_terms = []
            mention.platform_ref = None
            for reply in mention.replies:
                if person.name and reply.text:
                    reply.text = re.sub(
                        re.escape(person.name.strip()), stand_in, reply.text, flags=re.I
                    )
                reply.url = None
        session.flush()
        return len(mentions)


def brand_parts(session: Session, brand_id: int) -> dict[str, list[dict[str, Any]]]:
    mention_ids = select(Mention.id).where(Mention.brand_id == brand_id)
    scenario_ids = select(CrisisScenario.id).where(CrisisScenario.brand_id == brand_id)
    run_ids = select(CrisisRun.id).where(CrisisRun.brand_id == brand_id)
    return {
        "listening_sources": rows_of(session, MentionSource, MentionSource.brand_id == brand_id),
        "mentions": rows_of(session, Mention, Mention.brand_id == brand_id),
        "mention_replies": rows_of(session, MentionReply, MentionReply.mention_id.in_(mention_ids)),
        "saved_replies": rows_of(session, SavedReply, SavedReply.brand_id == brand_id),
        "listening_settings": rows_of(
            session, ListeningSettings, ListeningSettings.brand_id == brand_id
        ),
        "crisis_alerts": rows_of(session, CrisisAlert, CrisisAlert.brand_id == brand_id),
        "crisis_pages": rows_of(session, CrisisPage, CrisisPage.brand_id == brand_id),
        "crisis_scenarios": rows_of(session, CrisisScenario, CrisisScenario.brand_id == brand_id),
        "crisis_statements": rows_of(
            session, CrisisStatement, CrisisStatement.scenario_id.in_(scenario_ids)
        ),
        "crisis_runs": rows_of(session, CrisisRun, CrisisRun.brand_id == brand_id),
        "crisis_run_steps": rows_of(session, CrisisRunStep, CrisisRunStep.run_id.in_(run_ids)),
        "listening_theme_alerts": rows_of(session, ThemeAlert, ThemeAlert.brand_id == brand_id),
    }
