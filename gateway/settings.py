"""Settings from the environment (`CLUSTERHUB_*`, `MONGODB_URI`) and `.env`."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the hub; CLI options override the matching fields."""

    model_config = SettingsConfigDict(
        env_prefix="CLUSTERHUB_", env_file=".env", extra="ignore", populate_by_name=True
    )

    mongodb_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MONGODB_URI", "CLUSTERHUB_MONGODB_URI"),
        description="MongoDB server to use; when unset the hub starts an embedded SecantusDB.",
    )
    database: str = Field(default="clusterhub", description="Database name.")
    data_dir: Path = Field(
        default=Path("var/db"), description="Where the embedded store keeps its data."
    )
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="HTTP port.")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        default="info", description="Log level: critical, error, warning, info or debug."
    )
    demo: bool | None = Field(
        default=None,
        description="Seed the demo data (and print demo keys) when the store is empty; "
        "unset: on with the embedded store, off with MONGODB_URI.",
    )
    journal: bool = Field(
        default=True,
        description="Acknowledge writes only once journaled (write concern j:true).",
    )
    subscriber_queue: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Events a subscription may fall behind before it is cut off.",
    )
    ws_keepalive_seconds: float = Field(
        default=15.0, gt=0, description="Seconds between pings on WebSockets and SSE streams."
    )
    ws_init_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Seconds a WebSocket may wait before connection_init."
    )
    ws_max_subscriptions: int = Field(
        default=50, ge=1, description="Operations one WebSocket may run at once."
    )
    referral_ttl_days: int = Field(
        default=180, ge=1, le=3650, description="Days a TALENT referral lives after consent."
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Largest request body (413 beyond it)."
    )
    max_query_depth: int = Field(default=10, ge=2, description="Deepest selection allowed.")
    max_aliases: int = Field(default=30, ge=1, description="Aliases allowed in one operation.")
    max_tokens: int = Field(default=5000, ge=10, description="Tokens allowed in one document.")
    max_query_cost: int = Field(
        default=50_000,
        ge=1,
        description="Largest static cost (objects an operation may resolve) accepted.",
    )
    operation_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Seconds a query or mutation may run before TIMEOUT."
    )
    introspection: bool = Field(
        default=True, description="Allow schema introspection (and `_service { sdl }`)."
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=1,
        description="Requests and WebSocket operations per API key (or client address) "
        "per minute, per hub process.",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (addresses or CIDR networks, comma-separated) whose "
        "X-Forwarded-For names the client; empty: trust none, the peer is the client.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins (`https://portal.example.org`, comma-separated; `*` for "
        "any) that may call the API from their pages and open its WebSockets; empty: only "
        "the hub's own pages.",
    )
    metrics: bool = Field(default=True, description="Serve Prometheus metrics on /metrics.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or json: one JSON object per line."
    )
    embedded_start_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the embedded store to answer."
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: Any) -> Any:
        """Comma-separated in the environment; each a valid address or network."""
        items = _comma_separated(value)
        if not isinstance(items, list):
            return items  # the type check reports it
        return [str(ipaddress.ip_network(item, strict=False)) for item in items]

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        """Comma-separated in the environment; each `*` or exactly what a browser sends as
        `Origin` (scheme, host, a port other than the default; no path, no trailing slash),
        else it never matches."""
        items = _comma_separated(value)
        if not isinstance(items, list):
            return items
        for item in items:
            origin = _ORIGIN.fullmatch(item)
            if item != "*" and (
                origin is None or origin["port"] == _DEFAULT_PORTS[origin["scheme"]]
            ):
                raise ValueError(
                    f"{item!r} is not an origin as browsers send it: scheme, lower-case "
                    "host, a port unless the default, no path, e.g. https://portal.example.org"
                )
        return items

    @property
    def seeds_demo(self) -> bool:
        """Demo data by default only where no real database is configured."""
        return self.demo if self.demo is not None else self.mongodb_uri is None


_ORIGIN = re.compile(r"(?P<scheme>https?)://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:(?P<port>[0-9]{1,5}))?")
"""A serialised origin as browsers send it: lower-case scheme and host, optional port."""
_DEFAULT_PORTS = {"http": "80", "https": "443"}
"""Ports browsers leave out of an origin."""


def _comma_separated(value: Any) -> Any:
    """A list setting given as one comma-separated string (the environment's form), its
    items stripped; anything else as it is, for the type check."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return value
    return [item for item in (str(v).strip() for v in value) if item]


@lru_cache
def get_settings() -> Settings:
    return Settings()
