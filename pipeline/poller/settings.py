"""Poller settings: one frozen, validated object built by the CLI (or a test) and passed down.

In: command-line values or keyword arguments.  Out: ``PollerSettings`` read by fetch, schedule, state and publish;
no poller module reads the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import __version__
from pipeline.settings import DEFAULT_STATE_DIR


class PollerSettings(BaseModel):
    """Everything the poller needs besides Kafka: politeness, limits, schedule bounds, where state lives."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state_path: Path = DEFAULT_STATE_DIR / "poller.sqlite3"
    # Hosts/networks the SSRF guard lets through although they are loopback/private ("127.0.0.1", "10.0.0.0/8",
    # "localhost").  Empty in production; the demo and tests allow 127.0.0.1.
    allow_private_hosts: tuple[str, ...] = ()
    user_agent: str = f"news-pipeline/{__version__}"
    contact: str = (
        ""  # URL or mailto: shown in the User-Agent so a publisher can reach us; set it in production
    )

    # schedule
    default_interval_s: float = Field(default=900.0, gt=0)
    min_interval_s: float = Field(default=300.0, gt=0)
    max_interval_s: float = Field(default=24 * 3600.0, gt=0)
    adaptive: bool = True  # adapt the interval to the observed entry frequency and the feed's own hints
    backoff_base_s: float = Field(default=60.0, gt=0)
    backoff_max_s: float = Field(default=24 * 3600.0, gt=0)
    max_feeds_per_tick: int = Field(default=500, ge=1)  # a tick polls at most this many due feeds
    tick_s: float = Field(default=5.0, gt=0)  # --loop: how long to sleep when nothing is due

    # politeness
    workers: int = Field(default=16, ge=1, le=512)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_rate: float = Field(default=2.0, gt=0)  # token bucket: requests per second per host
    per_host_burst: int = Field(default=4, ge=1)
    respect_robots: bool = False
    robots_ttl_s: float = Field(default=24 * 3600.0, gt=0)

    # HTTP limits
    connect_timeout_s: float = Field(default=10.0, gt=0)
    read_timeout_s: float = Field(default=30.0, gt=0)
    total_timeout_s: float = Field(default=60.0, gt=0)  # wall clock for one fetch, body included
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)  # as sent on the wire
    max_decoded_bytes: int = Field(default=50 * 1024 * 1024, gt=0)  # after gzip/deflate/brotli

    # entries
    seen_horizon_s: float = Field(default=90 * 24 * 3600.0, gt=0)  # forget entries not seen for this long

    # delivery
    delivery_timeout_s: float = Field(default=30.0, gt=0)  # give up waiting for Kafka acks after this long
    broker_backoff_max_s: float = Field(
        default=60.0, gt=0
    )  # broker away: retry after 1, 2, 4 ... s, at most this
    broker_check_s: float = Field(
        default=30.0, gt=0
    )  # compare the raw topic with the ledger at least this often
    outbox_max_bytes: int = Field(default=256 * 1024 * 1024, ge=0)  # delivered records kept for re-sending

    # a feed a poller took is leased to it for this long, renewed while the poller lives: a killed poller's feeds
    # are due again after at most one lease period
    lease_s: float = Field(default=30.0, ge=1)

    metrics_port: int | None = None  # --loop: serve Prometheus metrics on 127.0.0.1:PORT

    # WebSub push (pipeline/websub, docs/websub.md): a second way in beside polling
    websub: bool = False  # poll --loop: also subscribe to hubs and run the callback server
    websub_host: str = "127.0.0.1"  # the callback server binds here (put a TLS reverse proxy in front)
    websub_port: int = Field(default=8086, ge=0, le=65535)  # 0: a free port
    # What hubs call: the public base URL of the callback server ("" = http://HOST:PORT/websub, loopback only)
    websub_callback_url: str = ""
    websub_lease_s: float = Field(default=10 * 86400.0, gt=0)  # lease asked of hubs (they may grant less)
    # renew when this share of the granted lease is gone
    websub_renew_at: float = Field(default=0.8, gt=0, lt=1)
    websub_verify_timeout_s: float = Field(default=300.0, gt=0)  # no verification of intent by then: failed
    # first retry after a hub failed or denied (then doubling, up to backoff_max_s)
    websub_retry_s: float = Field(default=900.0, gt=0)
    # a pushed feed is polled no more often than this (the safety net)
    websub_safety_interval_s: float = Field(default=3600.0, gt=0)
    websub_max_body_bytes: int = Field(default=5 * 1024 * 1024, gt=0)  # larger pushes are answered 413
    websub_tick_s: float = Field(default=5.0, gt=0)  # how often subscriptions are reviewed

    @field_validator("allow_private_hosts", mode="before")
    @classmethod
    def _tuple(cls, v: object) -> object:
        if isinstance(v, str):
            return tuple(s.strip() for s in v.split(",") if s.strip())
        return tuple(v) if isinstance(v, list) else v

    @property
    def user_agent_header(self) -> str:
        """An honest User-Agent: who we are and how to reach us (RFC 9110 product + comment)."""
        return f"{self.user_agent} (+{self.contact})" if self.contact else self.user_agent
