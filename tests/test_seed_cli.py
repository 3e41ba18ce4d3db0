"""`clusterhub seed` as an admin runs it: a real process against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gateway.demo import seed_dir
from tests.records import cluster_file


def seed_cli(settings, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    env |= {"MONGODB_URI": settings.mongodb_uri, "CLUSTERHUB_DATABASE": settings.database}
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "seed", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def test_three_broken_records_are_reported_and_the_valid_ones_land(settings, tmp_path: Path):
    data = cluster_file()
    data["offers"].append(dict(data["offers"][0], id="bad-headcount", headcount=-1))
    data["needs"].append(dict(data["needs"][0], id="bad-skill", requiredSkills=["Astrologie"]))
    data["organisations"].append(dict(data["organisations"][0], id="bad-kind", kind="PIRATE"))
    path = tmp_path / "hafen.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = seed_cli(settings, str(seed_dir() / "taxonomy.json"), str(path))

    assert result.returncode == 1, result.stderr
    out = " ".join(result.stdout.split())  # rich wraps long lines
    assert "3 problem(s)" in out
    assert f"{path}: offers[1] (bad-headcount): headcount:" in out
    assert f"{path}: needs[1] (bad-skill): requiredSkills[0]: unknown skill 'Astrologie'" in out
    assert f"{path}: organisations[3] (bad-kind): kind:" in out
    # the summary line of each collection: inserted ... rejected
    rows = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 5:
            rows[cells[0]] = cells[1:]
    # inserted, updated, unchanged, rejected
    assert rows["organisations"] == ["3", "0", "0", "1"]
    assert rows["offers"] == ["1", "0", "0", "1"]
    assert rows["needs"] == ["1", "0", "0", "1"]


def test_seed_without_arguments_is_a_usage_error(settings):
    result = seed_cli(settings)
    assert result.returncode == 2
    assert "give seed PATHS" in result.stderr
