"""Settings: what a fresh hub does on its own, and how an operator finds and sets them."""

from __future__ import annotations

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
    ):
        [line] = [line for line in result.output.splitlines() if f" {option} " in line]
        assert f"[env: {variable}]" in line
