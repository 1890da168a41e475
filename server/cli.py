"""The ``caseroom`` command: ``caseroom serve`` starts the server."""

from __future__ import annotations

import argparse
import logging
import resource
import sys
from pathlib import Path

from server.config import Config

WS_MAX_FRAME = 65_536


def raise_open_files() -> str:
    """Lift the soft open-files limit to the hard one: each phone is a file descriptor."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    return f"open-files limit {soft}" + ("" if soft >= 10_000 else
                                         " (low: raise it with `ulimit -n` for big events)")


def serve(args: argparse.Namespace) -> int:
    import warnings

    import uvicorn

    # We choose uvicorn's `websockets` implementation on purpose (see docs/protocol.md).
    warnings.filterwarnings("ignore", message=".*websockets.* implementation is deprecated")

    from server.app import create_app
    from server.auth import admin_token
    from server.netaddr import base_url

    cfg = Config.from_env(host=args.host, port=args.port, data_dir=Path(args.data),
                          public_url=args.public_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = admin_token(cfg.data_dir, cfg.admin_token)
    base = base_url(cfg.host, cfg.port, cfg.public_url)
    print(f"caseroom: phones join at   {base}/", flush=True)
    print(f"caseroom: trainer page     {base}/trainer#token={token}", flush=True)
    print(f"caseroom: admin token      {token}", flush=True)
    print(f"caseroom: data in {cfg.data_dir.resolve()}; {raise_open_files()}", flush=True)
    uvicorn.run(
        create_app(cfg),
        host=cfg.host,
        port=cfg.port,
        ws="websockets",
        ws_max_size=WS_MAX_FRAME,
        ws_per_message_deflate=False,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        log_level="warning" if args.quiet else "info",
        timeout_graceful_shutdown=5,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseroom", description="live sessions for classroom training")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="start the server")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", default="data", help="data directory (default ./data)")
    p.add_argument("--public-url", default=None,
                   help="base URL phones use (default: http://<LAN address>:<port>)")
    p.add_argument("--quiet", action="store_true", help="log warnings only")
    p.set_defaults(func=serve)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
