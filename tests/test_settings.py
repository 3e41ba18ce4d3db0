"""Settings: what a fresh hub does on its own, and how an operator finds and sets them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from gateway.settings import Settings
from gateway.tools.cli import app


def test_demo_data_only_by_default_where_no_real_database_is_configured():
    assert Settings(_env_file=None, mongodb_uri=None).seeds_demo is True
    assert Settings(_env_file=None, mongodb_uri="mongodb://db/?replicaSet=rs0").seeds_demo is False
    assert Settings(_env_file=None, mongodb_uri="mongodb://db/", demo=True).seeds_demo is True
    assert Settings(_env_file=None, mongodb_uri=None, demo=False).seeds_demo is False


def test_serve_help_names_the_environment_variable_of_each_option():
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for option, variable in (
        ("--host", "CLUSTERHUB_HOST"),
        ("--port", "CLUSTERHUB_PORT"),
        ("--data-dir", "CLUSTERHUB_DATA_DIR"),
        ("--demo", "CLUSTERHUB_DEMO"),
        ("--log-level", "CLUSTERHUB_LOG_LEVEL"),
        ("--log-format", "CLUSTERHUB_LOG_FORMAT"),
    ):
        [line] = [line for line in result.output.splitlines() if f" {option} " in line]
        assert f"[env: {variable}]" in line


def test_list_settings_are_read_comma_separated_from_the_environment(monkeypatch):
    monkeypatch.setenv(
        "CLUSTERHUB_CORS_ORIGINS", "https://portal.example.org, http://localhost:5173"
    )
    monkeypatch.setenv("CLUSTERHUB_TRUSTED_PROXIES", "10.0.0.1,10.1.0.0/16")
    settings = Settings(_env_file=None)

    assert settings.cors_origins == ["https://portal.example.org", "http://localhost:5173"]
    assert settings.trusted_proxies == ["10.0.0.1/32", "10.1.0.0/16"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://portal.example.org/",
        "https://portal.example.org/app",
        "https://portal.example.org:443",
        "portal.example.org",
    ],
)
def test_an_origin_no_browser_would_send_is_refused_at_start(origin):
    with pytest.raises(ValidationError, match="not an origin"):
        Settings(_env_file=None, cors_origins=origin)
