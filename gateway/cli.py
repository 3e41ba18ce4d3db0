"""The `clusterhub` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.settings import Settings

app = typer.Typer(
    help="ClusterHub: one GraphQL API that matches offers and needs across cluster networks.\n\n"
    "Every option falls back to its setting: CLUSTERHUB_<NAME> in the environment or .env, "
    "and MONGODB_URI for the database (unset: an embedded SecantusDB under --data-dir).",
    no_args_is_help=True,
    add_completion=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option(help="Data directory of the embedded store [env: CLUSTERHUB_DATA_DIR]."),
]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [env: CLUSTERHUB_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port [env: CLUSTERHUB_PORT].")] = None,
    data_dir: DataDir = None,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo/--no-demo",
            help="Seed the demo data into an empty store [env: CLUSTERHUB_DEMO].",
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(help="critical|error|warning|info|debug [env: CLUSTERHUB_LOG_LEVEL]."),
    ] = None,
) -> None:
    """Run the hub: GraphQL on /graphql (HTTP and WebSocket), /healthz and /readyz."""
    import uvicorn

    from gateway.app import create_app
    from gateway.logs import configure_logging

    settings = _settings(host=host, port=port, data_dir=data_dir, demo=demo, log_level=log_level)
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        timeout_graceful_shutdown=5,
    )


@app.command("export-schema")
def export_schema(
    federation: Annotated[
        bool, typer.Option(help="Print the Apollo Federation 2 subgraph SDL instead.")
    ] = False,
) -> None:
    """Print the GraphQL schema (SDL) to standard output."""
    from resolvers.schema import plain_sdl, subgraph_sdl

    typer.echo(subgraph_sdl() if federation else plain_sdl())


if __name__ == "__main__":
    app()
