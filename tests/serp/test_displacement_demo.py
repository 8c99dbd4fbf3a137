"""The demo year: the reviews page and two case studies push a negative item from 3rd to 12th."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import db
from serp import displacement as dsp
from serp.brand_history import load_brand_history
from serp.demo import load_serp_demo


def test_demo_pushes_the_negative_from_third_to_twelfth(app, brand, users):
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    query = load_serp_demo(db.session, brand, users["admin"], now)
    db.session.commit()
    data = load_brand_history(db.session, brand.id)
    history = data.history(query.id)
    assert len(history.checks) == 52 and len(history.good) == 51  # one blocked week
    [item] = dsp.negative_items(data.histories, data.labels)
    assert (item.best, item.current, item.needed) == (3, 12, 0)
    figures = dsp.all_asset_figures(data.histories, data.assets, data.labels)
    assert sorted(f.best.position for f in figures.values()) == [2, 3, 4]
    assert all(f.outranks for f in figures.values())  # each now ranks above the negative
    assert history.latest.score > history.good[0].score
