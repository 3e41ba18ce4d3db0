"""Mutation resolvers."""

from __future__ import annotations

import strawberry

from gateway.seeding import Batch, Importer, Rejection
from resolvers.context import Info
from resolvers.permissions import CanImport
from schemas.access import Role
from schemas.graphql import imports as types


def _batch(inputs: list[types.ClusterImportInput], cluster_scope: str | None) -> Batch:
    batch = Batch()
    for i, item in enumerate(inputs):
        source = f"input[{i}]"
        cluster_id = item.cluster.get("id") if isinstance(item.cluster, dict) else None
        if cluster_scope is not None and cluster_id != cluster_scope:
            batch.rejections.append(
                Rejection(source, "cluster", "id", f"you may import only cluster {cluster_scope!r}")
            )
            continue
        batch.add_cluster_file(
            source,
            {
                "cluster": item.cluster,
                "organisations": item.organisations,
                "offers": item.offers,
                "needs": item.needs,
            },
        )
    return batch


@strawberry.type
class Mutation:
    @strawberry.mutation(
        permission_classes=[CanImport],
        description="Admin seeding: the same idempotent import as `clusterhub seed`.",
    )
    async def import_clusters(
        self, info: Info, input: list[types.ClusterImportInput], strict: bool = False
    ) -> types.ImportReport:
        viewer = info.context.viewer
        scope = viewer.cluster if viewer and viewer.role is Role.CLUSTER_ADMIN else None
        report = await Importer(info.context.store).run(_batch(input, scope), strict=strict)
        return types.ImportReport(
            ok=report.ok,
            written=report.written,
            collections=[
                types.CollectionSummary(collection=name, **vars(summary))
                for name, summary in report.summaries.items()
            ],
            rejections=[types.Rejection(**vars(r)) for r in report.rejections],
        )
