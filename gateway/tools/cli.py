"""The `clusterhub` command line."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.markup import escape

from gateway.settings import Settings
from schemas.access import Role

if TYPE_CHECKING:
    from gateway.store import Store

T = TypeVar("T")

app = typer.Typer(
    help="ClusterHub: one GraphQL API that matches offers and needs across cluster networks.\n\n"
    "Every option falls back to its setting: CLUSTERHUB_<NAME> in the environment or .env, "
    "and MONGODB_URI for the database (unset: an embedded SecantusDB under --data-dir).",
    no_args_is_help=True,
    add_completion=False,
)


def _setting(name: str) -> str:
    """An option's help: its setting's description and environment variable (escaped: the
    help is rich markup, where `[...]` is a style and vanishes)."""
    variable = f"{Settings.model_config['env_prefix']}{name.upper()}"
    return f"{Settings.model_fields[name].description} {escape(f'[env: {variable}]')}"


DataDir = Annotated[Path | None, typer.Option(help=_setting("data_dir"))]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help=_setting("host"))] = None,
    port: Annotated[int | None, typer.Option(help=_setting("port"))] = None,
    data_dir: DataDir = None,
    demo: Annotated[bool | None, typer.Option("--demo/--no-demo", help=_setting("demo"))] = None,
    log_level: Annotated[str | None, typer.Option(help=_setting("log_level"))] = None,
    log_format: Annotated[str | None, typer.Option(help=_setting("log_format"))] = None,
) -> None:
    """Run the hub: GraphQL on /graphql (HTTP, WebSocket, SSE), the live dashboard on
    /dashboard, Prometheus metrics on /metrics, /healthz and /readyz."""
    from gateway.http.app import create_app, server_options
    from gateway.http.logs import configure_logging
    from gateway.http.server import run

    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        demo=demo,
        log_level=log_level,
        log_format=log_format,
    )
    configure_logging(settings.log_level, settings.log_format)
    run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **server_options(settings),
    )


@app.command()
def seed(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Seed files, or directories searched for *.json (e.g. seeds/)."),
    ] = None,
    synthetic: Annotated[
        int | None,
        typer.Option(help="Generate about N synthetic offers and needs (fixed random seed)."),
    ] = None,
    strict: Annotated[bool, typer.Option(help="Write nothing if any record is rejected.")] = False,
    match: Annotated[
        bool, typer.Option(help="Match the imported offers and needs (off: faster bulk loads).")
    ] = True,
    data_dir: DataDir = None,
) -> None:
    """Import clusters, organisations, offers, needs and skills; idempotent.

    Uses the embedded store of a hub running on the same data directory, or starts
    one for this run. Exits with status 1 when any record was rejected, 2 when the store
    stopped answering (run it again: it picks up where it stopped).
    """
    if not paths and not synthetic:
        raise typer.BadParameter("give seed PATHS, --synthetic N, or both")
    settings = _settings(data_dir=data_dir)
    exit_code = asyncio.run(_seed(paths or [], synthetic, strict, match, settings))
    raise typer.Exit(exit_code)


async def _seed(
    paths: list[Path], synthetic: int | None, strict: bool, match: bool, settings: Settings
) -> int:
    from rich.console import Console

    from gateway.errors import is_outage
    from gateway.services.demo import seed_dir
    from gateway.services.imports import Importer, read_paths
    from gateway.store import open_store
    from gateway.tools.reporting import import_progress, print_report
    from gateway.tools.synthetic import generate

    err = Console(stderr=True)
    batch = read_paths(paths)
    if synthetic:
        with err.status(f"generating {synthetic} synthetic offers and needs"):
            extra = generate(synthetic, seed_dir())
        for collection, records in extra.records.items():
            batch.records[collection].extend(records)
    started = time.perf_counter()
    try:
        async with open_store(settings, share=True) as store:
            with import_progress(err) as progress:
                report = await Importer(store, progress, match=match).run(batch, strict=strict)
    except Exception as error:
        if not is_outage(error):
            raise
        err.print(
            f"[bold red]the store stopped answering:[/] {error}\n"
            "What was written is kept; run the same command again to finish the import "
            "and its matching.",
            highlight=False,
        )
        return 2
    print_report(Console(), report)
    err.print(f"{batch.count()} records in {time.perf_counter() - started:.1f} s")
    return 0 if report.ok else 1


keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys, name="keys")


def _run_with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        from gateway.store import open_store

        async with open_store(settings, share=True) as store:
            return await work(store)

    return asyncio.run(run())


@keys.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="HUB_ADMIN, CLUSTER_ADMIN, MEMBER or VIEWER.")],
    cluster: Annotated[
        str | None, typer.Option(help="Cluster id (CLUSTER_ADMIN and VIEWER).")
    ] = None,
    organisation: Annotated[str | None, typer.Option(help="Organisation id (MEMBER).")] = None,
    label: Annotated[str | None, typer.Option(help="A note on who holds the key.")] = None,
    expires_in_days: Annotated[
        float | None, typer.Option(help="Days until the key stops working (default: never).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a key and print it, alone, on standard output: it is shown only this once."""
    from gateway.errors import InputError
    from gateway.services.keys import create_key, key_spec
    from schemas.common import utcnow

    expires_at = None
    if expires_in_days is not None:
        expires_at = utcnow() + dt.timedelta(days=expires_in_days)
    fields = {
        "role": role,
        "cluster": cluster,
        "organisation": organisation,
        "label": label,
        "expires_at": expires_at,
    }
    try:
        spec = key_spec({k: v for k, v in fields.items() if v is not None})
        key, record = _run_with_store(_settings(data_dir=data_dir), lambda s: create_key(s, spec))
    except InputError as error:
        raise typer.BadParameter(error.problems[0].message) from None
    typer.echo(key)
    typer.echo(f"key id {record['_id']} ({role})", err=True)


@keys.command("list")
def keys_list(data_dir: DataDir = None) -> None:
    """List keys (ids, roles, scopes; never the keys themselves)."""
    from gateway.services.keys import list_keys

    for record in _run_with_store(_settings(data_dir=data_dir), list_keys):
        scope = record.get("cluster") or record.get("organisation") or "-"
        expires = record.get("expires_at")
        state = "revoked" if record.get("revoked_at") else "active"
        if expires is not None and not record.get("revoked_at"):
            state = f"expires {expires:%Y-%m-%d %H:%M} UTC"
        label = record.get("label") or ""
        by = _creator(record)
        typer.echo(f"{record['_id']}  {record['role']:<13} {scope:<40} {state}  by {by}  {label}")


def _creator(record: dict[str, Any]) -> str:
    """Who made a key: an admin's key (id and role), or the command line; keys made
    before creators were recorded say so."""
    if "created_by" not in record:
        return "unrecorded"
    creator = record["created_by"]
    return f"{creator['key_id']} ({creator['role']})" if creator else "command line"


@keys.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id `keys list` shows.")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key; requests with it fail from now on."""
    from gateway.services.keys import revoke_key

    if not _run_with_store(_settings(data_dir=data_dir), lambda s: revoke_key(s, key_id)):
        typer.echo(f"no active key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}", err=True)


@app.command("seed-schema")
def seed_schema(
    kind: Annotated[
        str, typer.Argument(help="'cluster' (a cluster file) or 'taxonomy'.")
    ] = "cluster",
) -> None:
    """Print the JSON Schema of a seed file, generated from the models that validate it."""
    import json

    from schemas.seedfile import cluster_file_json_schema, taxonomy_file_json_schema

    schemas = {"cluster": cluster_file_json_schema, "taxonomy": taxonomy_file_json_schema}
    if kind not in schemas:
        raise typer.BadParameter("choose 'cluster' or 'taxonomy'")
    typer.echo(json.dumps(schemas[kind](), indent=2, ensure_ascii=False))


@app.command("export-schema")
def export_schema(
    federation: Annotated[
        bool, typer.Option(help="Print the Apollo Federation 2 subgraph SDL instead.")
    ] = False,
) -> None:
    """Print the GraphQL schema (SDL) to standard output."""
    from gateway.http.sdl import plain_sdl, subgraph_sdl

    typer.echo(subgraph_sdl() if federation else plain_sdl())


if __name__ == "__main__":
    app()
