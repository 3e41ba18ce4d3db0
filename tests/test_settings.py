"""Settings that decide what a fresh hub does on its own."""

from __future__ import annotations

from gateway.settings import Settings


def test_demo_data_only_by_default_where_no_real_database_is_configured():
    assert Settings(_env_file=None, mongodb_uri=None).seeds_demo is True
    assert Settings(_env_file=None, mongodb_uri="mongodb://db/?replicaSet=rs0").seeds_demo is False
    assert Settings(_env_file=None, mongodb_uri="mongodb://db/", demo=True).seeds_demo is True
    assert Settings(_env_file=None, mongodb_uri=None, demo=False).seeds_demo is False
