"""Bulk import of clusters, organisations, offers, needs and skills.

One implementation serves `clusterhub seed` and the `importClusters` mutation.
Records are validated one by one, so a broken record is reported (source, record,
field, reason) and the valid ones still land, unless the import is strict. Writes
are idempotent through natural keys: an unchanged record is not written, a changed
one is updated in place with its version bumped. Every write is a single-document
upsert inside a bulk write, so an import killed midway leaves each document either
old or new, and running it again converges to the same state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.domain.access import (
    Principal,
    listing_refusal,
    organisation_refusal,
    require_role,
)
from gateway.domain.documents import (
    cluster_document,
    listing_document,
    organisation_document,
    skill_document,
)
from gateway.domain.lifetime import Lifetime
from gateway.domain.matches import MatchCounts
from gateway.domain.taxonomy import Taxonomy
from gateway.errors import UnknownSkill
from gateway.services import audit
from gateway.services.matching_queue import MatchingQueue, own_queue
from gateway.services.session import Session
from gateway.services.taxonomy import load_taxonomy
from gateway.store.database import Store
from gateway.store.imports import refresh_cluster_counts, remember_places, upsert_documents
from gateway.store.matchqueue import LISTINGS, due_fields, pending
from schemas.access import Role
from schemas.cluster import Cluster
from schemas.common import utcnow
from schemas.listing import Need, Offer
from schemas.organisation import Organisation
from schemas.seedfile import ClusterFile, TaxonomyFile
from schemas.skill import Skill

COLLECTIONS = ("skills", "clusters", "organisations", "offers", "needs")

ProgressCallback = Callable[[str, int, int], None]
"""Called with a collection, the number of its records just written, and its total."""


@dataclass(frozen=True)
class Rejection:
    """A record that was not imported, and why."""

    source: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.record}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


@dataclass
class CollectionSummary:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class ImportReport:
    summaries: dict[str, CollectionSummary] = field(
        default_factory=lambda: {c: CollectionSummary() for c in COLLECTIONS}
    )
    rejections: list[Rejection] = field(default_factory=list)
    matches: MatchCounts = field(default_factory=MatchCounts)
    written: bool = True
    """False when a strict import refused to write anything."""
    changed: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {c: {"inserted": [], "updated": []} for c in COLLECTIONS}
    )
    """The ids each collection had inserted and updated: the audit log keeps them."""
    refused: list[Rejection] = field(default_factory=list)
    """Rejections for what the caller may change rather than for content: audited."""

    @property
    def ok(self) -> bool:
        return not self.rejections


@dataclass(frozen=True)
class Record:
    """A raw record and where it came from, before validation."""

    source: str
    pointer: str
    data: Any

    @property
    def label(self) -> str:
        key = self.data.get("id") if isinstance(self.data, dict) else None
        return f"{self.pointer} ({key})" if isinstance(key, str) else self.pointer


@dataclass
class Batch:
    """Everything one import brings, grouped by collection."""

    records: dict[str, list[Record]] = field(default_factory=lambda: {c: [] for c in COLLECTIONS})
    rejections: list[Rejection] = field(default_factory=list)
    """Files or inputs that could not even be split into records."""

    def add_cluster_file(self, source: str, data: Any) -> None:
        try:
            parsed = ClusterFile.model_validate(data)
        except ValidationError as error:
            self.rejections.extend(_rejections(source, "file", error))
            return
        self.records["clusters"].append(Record(source, "cluster", parsed.cluster))
        for name in ("organisations", "offers", "needs"):
            self.add_records(name, source, getattr(parsed, name))

    def add_taxonomy(self, source: str, data: Any) -> None:
        try:
            parsed = TaxonomyFile.model_validate(data)
        except ValidationError as error:
            self.rejections.extend(_rejections(source, "file", error))
            return
        self.add_records("skills", source, parsed.skills)

    def add_records(self, collection: str, source: str, items: Iterable[Any]) -> None:
        self.records[collection].extend(
            Record(source, f"{collection}[{i}]", item) for i, item in enumerate(items)
        )

    def add(self, source: str, data: Any) -> None:
        """A taxonomy (has `skills`) or a cluster file (has `cluster`)."""
        if isinstance(data, dict) and "skills" in data and "cluster" not in data:
            self.add_taxonomy(source, data)
        else:
            self.add_cluster_file(source, data)

    def count(self) -> int:
        return sum(len(r) for r in self.records.values())


SCHEMA_SUFFIX = ".schema.json"
"""JSON Schemas of the format (seeds/schema/) sit beside the data and are not data."""


def _json_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.json") if not p.name.endswith(SCHEMA_SUFFIX))
        else:
            yield path


def read_paths(paths: Iterable[Path]) -> Batch:
    """Seed files and directories of them (searched recursively for `*.json`)."""
    batch = Batch()
    for path in _json_files(paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            batch.rejections.append(Rejection(str(path), "file", "", f"cannot read: {error}"))
            continue
        except json.JSONDecodeError as error:
            batch.rejections.append(
                Rejection(str(path), "file", "", f"not JSON: {error.msg} at line {error.lineno}")
            )
            continue
        batch.add(str(path), data)
    return batch


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    parts = list(loc)
    # a discriminated union reports the tag first: drop it, it is not a field
    if parts and isinstance(data, dict) and parts[0] == data.get("kind"):
        parts = parts[1:]
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _rejections(
    source: str, record: str, error: ValidationError, data: Any = None
) -> list[Rejection]:
    return [
        Rejection(
            source,
            record,
            _field_path(e["loc"], data) or ("kind" if e["type"].startswith("union_tag") else ""),
            e["msg"].removeprefix("Value error, "),
        )
        for e in error.errors(include_url=False)
    ]


_OFFER = TypeAdapter(Offer)
_NEED = TypeAdapter(Need)


class Importer:
    """Validates a batch against itself and the store, writes it in bulk, then matches.

    With `match`, every offer and need the import inserted or changed is marked in
    the matching queue as it is written, and the queue is drained at the end, as if
    the listings had been written through the API; a re-run after a crash finishes
    the matching the crashed run left.
    """

    def __init__(
        self,
        store: Store,
        progress: ProgressCallback | None = None,
        *,
        match: bool = True,
        by: Principal | None = None,
        matching: MatchingQueue | None = None,
    ) -> None:
        self.store = store
        self.by = by
        self.progress = progress
        self.match = match
        self.matching = matching
        """The hub's worker; without one (a seed) the import starts its own to match."""
        self.report = ImportReport()

    def _reject(self, collection: str, record: Record, field_: str, message: str) -> None:
        self.report.rejections.append(Rejection(record.source, record.label, field_, message))
        self.report.summaries[collection].rejected += 1

    def _refuse(self, collection: str, record: Record, field_: str, message: str) -> None:
        """Reject `record` for what the caller may change (`gateway.domain.access`)."""
        self._reject(collection, record, field_, message)
        self.report.refused.append(self.report.rejections[-1])

    def _validate(self, collection: str, record: Record, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(record.data)
        except ValidationError as error:
            for rejection in _rejections(record.source, record.label, error, record.data):
                self.report.rejections.append(rejection)
            self.report.summaries[collection].rejected += 1
            return None

    def _unique(
        self, collection: str, records: list[tuple[Record, Any]]
    ) -> list[tuple[Record, Any]]:
        seen: dict[str, Record] = {}
        kept = []
        for record, model in records:
            if model.id in seen:
                self._reject(
                    collection,
                    record,
                    "id",
                    f"duplicate of {seen[model.id].label} in {seen[model.id].source}",
                )
                continue
            seen[model.id] = record
            kept.append((record, model))
        return kept

    async def run(
        self, batch: Batch, *, strict: bool = False, scope: str | None = None
    ) -> ImportReport:
        """Validate, write and match `batch`.

        With a `scope` (a CLUSTER_ADMIN's cluster) only that cluster is accepted, and no
        skills. Organisations, offers and needs are checked against what the importing
        principal (`by`) owns (`organisation_refusal`, `listing_refusal`): records it
        may not change are rejected, and audited as refused.
        """
        self.report.rejections.extend(batch.rejections)
        docs: dict[str, list[dict[str, Any]]] = {}
        taxonomy = await load_taxonomy(self.store)
        docs["skills"] = self._skills(batch, taxonomy, scope)
        docs["clusters"], known_clusters = await self._clusters(batch, scope)
        docs["organisations"] = await self._organisations(batch, known_clusters)
        org_docs = await self._organisations_referenced(batch, docs["organisations"])
        lifetime = Lifetime(utcnow(), self.store.referral_ttl)
        for name, parse in (("offers", _OFFER.validate_python), ("needs", _NEED.validate_python)):
            docs[name] = []
            listings = self._parse(batch, name, parse)
            owners = await self._previous_owners(name, [listing.id for _, listing in listings])
            for record, listing in listings:
                organisation = org_docs.get(listing.organisation)
                previous = owners.get(listing.id)
                if organisation is None:
                    message = f"unknown organisation {listing.organisation!r}"
                    self._reject(name, record, "organisation", message)
                elif self.by and (
                    refusal := listing_refusal(
                        self.by, listing.organisation, organisation, previous
                    )
                ):
                    self._refuse(name, record, refusal.field, refusal.message)
                else:
                    try:
                        doc = listing_document(listing, organisation, taxonomy)
                    except UnknownSkill as error:
                        field_ = _skill_field(record.data, error.text)
                        self._reject(name, record, field_, error.problems[0].message)
                        continue
                    if lifetime.consent_lapsed(doc):
                        days = lifetime.referral_ttl.days
                        message = f"consent given more than {days} days ago has lapsed"
                        self._reject(name, record, "consent.givenAt", message)
                    else:
                        docs[name].append(doc)

        target = scope or "hub"
        if self.report.refused:
            refused = [vars(r) for r in self.report.refused]
            await audit.refused_records(self.store, self.by, target, refused)
        if strict and self.report.rejections:
            self.report.written = False
            return self.report
        for collection in COLLECTIONS:
            await self._write(collection, docs[collection])
        await remember_places(self.store, (d["location"] for d in docs["organisations"]))
        await refresh_cluster_counts(
            self.store,
            {d["_id"] for d in docs["clusters"]}
            | {c for d in docs["organisations"] for c in d["clusters"]},
        )
        if self.match:
            await self._match(taxonomy)
        counts = {c: vars(s) for c, s in self.report.summaries.items()}
        await audit.imported(self.store, self.by, target, counts, self.report.changed)
        return self.report

    async def _match(self, taxonomy: Taxonomy) -> None:
        """Drain the matching queue: what this import marked, and what a run before it left."""
        total = await pending(self.store)
        if not total:
            return

        def advance(listings: int) -> None:
            if self.progress:
                self.progress("matching", listings, total)

        if self.matching is not None:
            self.report.matches.add(await self.matching.drain(taxonomy, advance))
            return
        async with own_queue(self.store) as matching:
            self.report.matches.add(await matching.drain(taxonomy, advance))

    def _skills(self, batch: Batch, taxonomy: Taxonomy, scope: str | None) -> list[dict[str, Any]]:
        """Skills of the batch, added to `taxonomy` so that listings can use them at once."""
        skills = self._parse(batch, "skills", Skill.model_validate)
        if scope is not None:
            for record, _ in skills:
                self._refuse("skills", record, "", "only a HUB_ADMIN changes the taxonomy")
            return []
        for _, skill in skills:
            taxonomy.add(skill_document(skill))
        docs = []
        for record, skill in skills:
            for field_ in ("related", "implies"):
                missing = [r for r in getattr(skill, field_) if r not in taxonomy]
                if missing:
                    self._reject("skills", record, field_, f"unknown skill ids {missing}")
                    break
            else:
                docs.append(skill_document(skill))
        return docs

    async def _clusters(
        self, batch: Batch, scope: str | None
    ) -> tuple[list[dict[str, Any]], set[str]]:
        """Cluster documents of the batch, and every cluster id known after it."""
        clusters = self._parse(batch, "clusters", Cluster.model_validate)
        known = {c.id for _, c in clusters} | await self.store.existing_ids(
            "clusters",
            {p for _, c in clusters for p in c.sharing.partners}
            | {c for r in batch.records["organisations"] for c in _membership_clusters(r)},
        )
        docs = []
        for record, cluster in clusters:
            missing = [p for p in cluster.sharing.partners if p not in known]
            if scope is not None and cluster.id != scope:
                self._refuse("clusters", record, "id", f"you may import only cluster {scope!r}")
                known.discard(cluster.id)
            elif missing:
                self._reject("clusters", record, "sharing.partners", f"unknown clusters {missing}")
                known.discard(cluster.id)
            else:
                docs.append(cluster_document(cluster))
        return docs, known

    async def _organisations(self, batch: Batch, known_clusters: set[str]) -> list[dict[str, Any]]:
        organisations = self._parse(batch, "organisations", Organisation.model_validate)
        ids = [o.id for _, o in organisations] if self.by else []
        stored = {d["_id"]: d for d in await self.store.get_many("organisations", ids) if d}
        docs = []
        for record, organisation in organisations:
            doc = organisation_document(organisation)
            missing = sorted(c for c in doc["clusters"] if c not in known_clusters)
            if missing:
                self._reject("organisations", record, "memberships", f"unknown clusters {missing}")
            elif self.by and (
                refusal := organisation_refusal(self.by, doc, stored.get(doc["_id"]))
            ):
                self._refuse("organisations", record, refusal.field, refusal.message)
            else:
                docs.append(doc)
        return docs

    async def _previous_owners(self, collection: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The organisations the stored listings of `ids` belong to, as stored before this
        import; only for a principal's import, whose ownership is checked."""
        if self.by is None:
            return {}
        stored = [d for d in await self.store.get_many(collection, ids) if d]
        owner_ids = sorted({d["organisation"] for d in stored})
        owners = await self.store.get_many("organisations", owner_ids)
        by_id = {i: o or {"_id": i} for i, o in zip(owner_ids, owners, strict=True)}
        return {d["_id"]: by_id[d["organisation"]] for d in stored}

    async def _organisations_referenced(
        self, batch: Batch, imported: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """The organisations offers and needs of the batch name: imported or stored."""
        found = {d["_id"]: d for d in imported}
        referenced = {
            r.data.get("organisation")
            for name in ("offers", "needs")
            for r in batch.records[name]
            if isinstance(r.data, dict) and isinstance(r.data.get("organisation"), str)
        }
        for doc in await self.store.get_many("organisations", sorted(referenced - set(found))):
            if doc is not None:
                found[doc["_id"]] = doc
        return found

    def _parse(
        self, batch: Batch, collection: str, parse: Callable[[Any], BaseModel]
    ) -> list[tuple[Record, Any]]:
        parsed = []
        for record in batch.records[collection]:
            model = self._validate(collection, record, parse)
            if model is not None:
                parsed.append((record, model))
        return self._unique(collection, parsed)

    async def _write(self, collection: str, docs: list[dict[str, Any]]) -> None:
        summary = self.report.summaries[collection]
        mark = due_fields if self.match and collection in LISTINGS else None
        changed = self.report.changed[collection]
        async for written in upsert_documents(self.store, collection, docs, mark):
            summary.inserted += len(written.inserted)
            summary.updated += len(written.updated)
            summary.unchanged += written.unchanged
            changed["inserted"].extend(written.inserted)
            changed["updated"].extend(written.updated)
            if self.progress:
                done = len(written.inserted) + len(written.updated) + written.unchanged
                self.progress(collection, done, len(docs))


def _membership_clusters(record: Record) -> list[str]:
    """Cluster ids a raw organisation record names, for one batched existence check."""
    memberships = record.data.get("memberships") if isinstance(record.data, dict) else None
    if not isinstance(memberships, list):
        return []
    return [
        m["cluster"]
        for m in memberships
        if isinstance(m, dict) and isinstance(m.get("cluster"), str)
    ]


def _skill_field(data: Any, text: str) -> str:
    """The field path of the skill text an offer or need names."""
    for name in ("skills", "requiredSkills", "optionalSkills", "capabilities"):
        values = data.get(name) if isinstance(data, dict) else None
        if isinstance(values, list) and text in values:
            return f"{name}[{values.index(text)}]"
    return "skills"


async def import_clusters(session: Session, batch: Batch, *, strict: bool = False) -> ImportReport:
    """`importClusters`: HUB_ADMINs import anything, CLUSTER_ADMINs their own cluster."""
    principal = require_role(
        session.principal, Role.HUB_ADMIN, Role.CLUSTER_ADMIN, action="importClusters"
    )
    scope = principal.cluster if principal.role is Role.CLUSTER_ADMIN else None
    importer = Importer(session.store, by=principal, matching=session.hub.matching)
    report = await importer.run(batch, strict=strict, scope=scope)
    session.hub.taxonomy.invalidate()
    return report
