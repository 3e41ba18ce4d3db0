"""`clusterhub seed` as an admin runs it: a real process against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient

from gateway.services.demo import seed_dir
from gateway.services.imports import COLLECTIONS
from tests.records import cluster_file


def seed_cli(settings, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    env |= {"MONGODB_URI": settings.mongodb_uri, "CLUSTERHUB_DATABASE": settings.database}
    return subprocess.run(
        [sys.executable, "-m", "gateway.tools.cli", "seed", *args],
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


def _state(uri: str, database: str) -> dict[str, set]:
    with MongoClient(uri) as client:
        db = client[database]
        state = {
            name: {
                (d["_id"], d["content_hash"], d["version"]) for d in db[name].find({}, projection)
            }
            for name, projection in [(c, ["content_hash", "version"]) for c in COLLECTIONS]
        }
        state["counts"] = {
            (c["_id"], c.get("member_count"), c.get("binding_member_count"))
            for c in db.clusters.find()
        }
    return state


def test_a_seed_killed_midway_converges_when_run_again(settings, mongo_uri):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTERHUB_", "MONGODB"))}
    env |= {"MONGODB_URI": mongo_uri, "CLUSTERHUB_DATABASE": settings.database}
    run = subprocess.Popen(
        [sys.executable, "-m", "gateway.tools.cli", "seed", "--no-match", "--synthetic", "4000"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with MongoClient(mongo_uri) as client:
        deadline = time.monotonic() + 120
        while client[settings.database].offers.estimated_document_count() < 500:
            assert run.poll() is None, "the seed run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    run.kill()
    run.wait()
    partial = _state(mongo_uri, settings.database)
    assert 0 < len(partial["offers"]) < 2000 or len(partial["needs"]) < 2000

    again = seed_cli(settings, "--no-match", "--synthetic", "4000")
    assert again.returncode == 0, again.stdout + again.stderr

    clean = settings.model_copy(update={"database": settings.database + "_clean"})
    try:
        assert seed_cli(clean, "--no-match", "--synthetic", "4000").returncode == 0
        assert _state(mongo_uri, settings.database) == _state(mongo_uri, clean.database)
    finally:
        with MongoClient(mongo_uri) as client:
            client.drop_database(clean.database)
