"""Seeding: validation of every record, idempotency, partial failure, crash recovery."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.services.imports import Batch, Importer
from tests.records import cluster_file, day

LISTED = ("clusters", "organisations", "offers", "needs")


async def _import(store, *files: dict[str, Any], strict: bool = False):
    batch = Batch()
    for i, data in enumerate(files):
        batch.add(f"file{i}.json", data)
    return await Importer(store).run(batch, strict=strict)


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path (list indexes as numbers) in a seed file."""
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return data


async def _count(store) -> int:
    return sum([await store.db[c].count_documents({}) for c in LISTED])


REJECTIONS = [
    # (case, path to set, value, record, field, message fragment)
    (
        "unknown field",
        "offers.0.salary",
        4000,
        "offers[0] (test-offer-1)",
        "salary",
        "Extra inputs are not permitted",
    ),
    (
        "operator key",
        "needs.0.$where",
        "1",
        "needs[0] (test-need-1)",
        "",
        "'$where' is not allowed",
    ),
    (
        "dotted key",
        "organisations.2.extra",
        {"geo.lat": 1},
        "organisations[2] (test-org-2)",
        "",
        "'extra.geo.lat' is not allowed",
    ),
    (
        "oversized string",
        "offers.0.title",
        "x" * 201,
        "offers[0] (test-offer-1)",
        "title",
        "at most 200 characters",
    ),
    (
        "oversized list",
        "offers.0.skills",
        ["welding"] * 101,
        "offers[0] (test-offer-1)",
        "skills",
        "at most 100 items",
    ),
    (
        "period ends before it starts",
        "needs.0.period.end",
        day(24),
        "needs[0] (test-need-1)",
        "period",
        "before it starts",
    ),
    (
        "latitude out of range",
        "organisations.2.location.lat",
        123.0,
        "organisations[2] (test-org-2)",
        "location.lat",
        "less than or equal to 90",
    ),
    (
        "unknown cluster",
        "organisations.2.memberships",
        [{"cluster": "atlantis"}],
        "organisations[2] (test-org-2)",
        "memberships",
        "unknown clusters ['atlantis']",
    ),
    (
        "unknown organisation",
        "offers.0.organisation",
        "ghost-gmbh",
        "offers[0] (test-offer-1)",
        "organisation",
        "unknown organisation 'ghost-gmbh'",
    ),
    (
        "unknown skill",
        "needs.0.requiredSkills",
        ["Schweisen"],
        "needs[0] (test-need-1)",
        "requiredSkills[0]",
        "unknown skill 'Schweisen'; did you mean 'welding'?",
    ),
    (
        "unknown kind",
        "needs.0.kind",
        "TALENT",
        "needs[0] (test-need-1)",
        "kind",
        "does not match any of the expected tags",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "record", "field", "message"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
async def test_each_rule_rejects_the_record_names_it_and_keeps_the_rest(
    taxonomy_store, path, value, record, field, message
):
    report = await _import(taxonomy_store, _set(cluster_file(), path, value))
    assert [(r.source, r.record, r.field) for r in report.rejections] == [
        ("file0.json", record, field)
    ]
    assert message in report.rejections[0].message
    assert await _count(taxonomy_store) == 6 - 1  # every valid record landed


async def test_unknown_partner_cluster_rejects_the_cluster_and_its_members(taxonomy_store):
    data = _set(cluster_file(), "cluster.sharing", {"policy": "PARTNERS", "partners": ["nope"]})
    report = await _import(taxonomy_store, data)
    first = report.rejections[0]
    assert (first.record, first.field) == ("cluster (test-cluster)", "sharing.partners")
    assert "unknown clusters ['nope']" in first.message
    # members of a cluster that was not imported cannot land either, and say why
    assert {r.record for r in report.rejections[1:4]} == {
        f"organisations[{i}] (test-org-{i})" for i in range(3)
    }
    assert await _count(taxonomy_store) == 0


async def test_free_text_skills_are_normalised_onto_the_taxonomy(taxonomy_store):
    report = await _import(taxonomy_store, cluster_file())
    assert report.ok, report.rejections
    offer = await taxonomy_store.db.offers.find_one({"_id": "test-offer-1"})
    assert offer["skills"] == ["welding", "forklift-licence"]
    assert offer["clusters"] == ["test-cluster"]
    assert offer["location"]["city"] == "Hamburg"  # from its organisation


async def test_second_import_changes_nothing_and_a_change_bumps_the_version(taxonomy_store):
    first = await _import(taxonomy_store, cluster_file())
    assert first.summaries["offers"].inserted == 1
    again = await _import(taxonomy_store, cluster_file())
    assert all(s.inserted == 0 and s.updated == 0 for s in again.summaries.values())
    assert again.summaries["organisations"].unchanged == 3

    changed = _set(cluster_file(), "offers.0.headcount", 5)
    report = await _import(taxonomy_store, changed)
    assert report.summaries["offers"].updated == 1
    assert report.summaries["offers"].unchanged == 0
    offer = await taxonomy_store.db.offers.find_one({"_id": "test-offer-1"})
    assert (offer["headcount"], offer["version"]) == (5, 2)


async def test_duplicate_ids_in_one_import_are_rejected(taxonomy_store):
    data = cluster_file()
    data["needs"].append(dict(data["needs"][0], title="Doppelt"))
    report = await _import(taxonomy_store, data)
    assert [(r.record, r.field) for r in report.rejections] == [("needs[1] (test-need-1)", "id")]
    need = await taxonomy_store.db.needs.find_one({"_id": "test-need-1"})
    assert need["title"] == "Lagerhelfer gesucht"


async def test_strict_import_writes_nothing_when_anything_is_rejected(taxonomy_store):
    report = await _import(
        taxonomy_store, _set(cluster_file(), "offers.0.headcount", 0), strict=True
    )
    assert not report.ok and not report.written
    assert await _count(taxonomy_store) == 0


async def test_member_counts_and_network_criterion(taxonomy_store):
    data = cluster_file()
    data["organisations"][2]["memberships"][0]["binding"] = False
    await _import(taxonomy_store, data)
    cluster = await taxonomy_store.db.clusters.find_one({"_id": "test-cluster"})
    assert (cluster["member_count"], cluster["binding_member_count"]) == (3, 2)
