"""Answering a channel's learned-windows proposal: accept (the windows are replaced through the
windows operation) or ignore (until the history grows). Flush only; the request commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import audit
from core.db import utcnow
from core.errors import Refused
from core.models import User
from planner import channels as channel_ops
from planner.models import Channel

from . import analytics
from .models import ProposalAnswer


def _answer(session: Session, channel: Channel, answer: str, posts: int) -> None:
    row = session.get(ProposalAnswer, channel.id)
    if row is None:
        row = ProposalAnswer(channel_id=channel.id, answer=answer, posts=posts)
        session.add(row)
    row.answer, row.posts, row.answered_at = answer, posts, utcnow()
    session.flush()


def accept_proposal(session: Session, channel: Channel, actor: User) -> None:
    """Replace the channel's windows with the proposal, or refuse when there is none."""
    proposal = analytics.proposal_for(session, channel).proposal
    if not proposal.learned:
        raise Refused(
            "There is no learned proposal yet: it needs posts with a 24-hour read "
            f"({proposal.posts} so far)."
        )
    channel_ops.replace_windows(session, channel, proposal.windows, actor)
    _answer(session, channel, "accepted", proposal.posts)


def ignore_proposal(session: Session, channel: Channel, actor: User) -> None:
    """Hide the proposal until the channel has more posts read."""
    proposal = analytics.proposal_for(session, channel).proposal
    _answer(session, channel, "ignored", proposal.posts)
    audit.record(
        session,
        actor,
        "channel.learned_windows_ignored",
        "channel",
        channel.id,
        brand_id=channel.brand_id,
        posts=proposal.posts,
    )
    session.flush()
