from __future__ import annotations

import pytest

from core.db import db
from planner.channels import create_channel


@pytest.fixture(autouse=True)
def media_dir(app, tmp_path):
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def channel_of(brand, users):
    def make(platform: str):
        channel = create_channel(
            db.session, brand, users["admin"], platform=platform, name=f"{platform} channel"
        )
        db.session.commit()
        return channel

    return make
