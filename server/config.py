"""Server settings, from the command line and the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path


@dataclass
class Config:
    host: str = "0.0.0.0"
    port: int = 8000
    data_dir: Path = field(default_factory=lambda: Path("data"))
    database_url: str | None = None
    admin_token: str | None = None
    public_url: str | None = None  # the base URL phones use, when the LAN guess is wrong
    handshake_timeout: float = 30.0
    allowed_origins: tuple[str, ...] = ()  # other origins a browser may open sockets from
    max_players: int = 10_000  # per session
    join_burst: float = 200.0  # valid-code joins per address and session at once ...
    join_rate: float = 50.0  # ... then this many a second (server/limits.py)
    message_rate: float = 30.0  # messages a second per connection (burst: twice that)
    redis_url: str | None = None  # several processes serve the same sessions (server/cluster.py)
    timezone: str | None = None  # IANA zone of the local times in exports (default: the system's)

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        cfg = cls(
            database_url=os.environ.get("CASEROOM_DATABASE_URL") or None,
            admin_token=os.environ.get("CASEROOM_ADMIN_TOKEN") or None,
            public_url=os.environ.get("CASEROOM_PUBLIC_URL") or None,
            allowed_origins=tuple(o.strip().rstrip("/") for o in
                                  os.environ.get("CASEROOM_ALLOWED_ORIGINS", "").split(",") if o.strip()),
            max_players=int(os.environ.get("CASEROOM_MAX_PLAYERS", "10000")),
            join_burst=float(os.environ.get("CASEROOM_JOIN_BURST", "200")),
            join_rate=float(os.environ.get("CASEROOM_JOIN_RATE", "50")),
            message_rate=float(os.environ.get("CASEROOM_MESSAGE_RATE", "30")),
            handshake_timeout=float(os.environ.get("CASEROOM_HANDSHAKE_TIMEOUT", "30")),
            redis_url=os.environ.get("CASEROOM_REDIS_URL") or None,
            timezone=os.environ.get("CASEROOM_TIMEZONE") or None,
        )
        for key, value in overrides.items():
            if value is not None:
                setattr(cfg, key, value)
        cfg.data_dir = Path(cfg.data_dir)
        return cfg

    def zone(self) -> tzinfo:
        """The time zone of exports' local times; ValueError for an unknown name."""
        from sessions.i18n import zone

        return zone(self.timezone)

    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'caseroom.db'}"
