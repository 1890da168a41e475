"""``python -m bench``: the load bench (see ``bench/load.py`` for what it does and measures)."""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial

from bench.load import BenchConfig, run_bench, run_rounds, table, write_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description="N phones join one session and answer a vote in a burst; "
                                                 "optionally against a bare websockets ack server too.")
    parser.add_argument("--phones", type=int, default=300, help="phones (default 300)")
    parser.add_argument("--window", type=float, default=1.0, help="seconds the answers are spread over (default 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="generator processes (default: 1 per 1000 phones, 1 to 4)")
    parser.add_argument("--ceiling", action="store_true",
                        help="also run the same load against bench/ceiling.py and show ratios")
    parser.add_argument("--ceiling-loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="event loop of the ceiling server (default uvloop, as caseroom serve uses)")
    parser.add_argument("--ceiling-store", action="store_true",
                        help="with --ceiling: the durable ceiling, which acks each answer only once caseroom's "
                             "committer has stored it in SQLite (no rules, no views); the ratio targets are "
                             "not checked against it")
    parser.add_argument("--servers", type=int, default=1,
                        help="caseroom processes sharing the session through PostgreSQL and Redis (default 1: "
                             "the laptop mode); phones are spread over them")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="S",
                        help="before each run, wait up to S seconds for other processes to go quiet")
    parser.add_argument("--profile", help="record the caseroom server with py-spy into this file "
                                          "(.svg flame graph, .txt collapsed stacks, .json speedscope), or "
                                          "with Linux perf (.perf: native frames, the kernel's included; .syscalls: "
                                          "a count of system calls)")
    parser.add_argument("--profile-ceiling", action="store_true",
                        help="with --ceiling: record the ceiling server too, into <stem>-ceiling<suffix>")
    parser.add_argument("--profile-rate", type=int, default=100, help="samples per second")
    parser.add_argument("--profile-gil", action="store_true", help="py-spy --gil: only the thread holding the GIL")
    parser.add_argument("--profile-phase", choices=("burst", "joins", "all"), default="burst",
                        help="profile only the answer burst (default), only the joins, or the whole run")
    parser.add_argument("--rounds", type=int, default=1, metavar="K",
                        help="run it all K times (the ceiling first in every other round) and report the "
                             "medians: one run's ratios move by a fifth on a shared machine")
    parser.add_argument("--json", help="write the report here (default bench/results/<stamp>-<N>.json)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    if args.phones < 1:
        parser.error("--phones must be at least 1")
    if args.rounds < 1 or (args.rounds > 1 and args.profile):
        parser.error("--rounds must be at least 1, and 1 with --profile")
    workers = args.workers or max(1, min(4, args.phones // 1000 or 1, os.cpu_count() or 1))
    cfg = BenchConfig(phones=args.phones, window=args.window, workers=workers,
                      ceiling=args.ceiling or args.ceiling_store, ceiling_store=args.ceiling_store,
                      seed=args.seed, profile=args.profile, profile_rate=args.profile_rate,
                      profile_phase=args.profile_phase, profile_gil=args.profile_gil,
                      profile_ceiling=args.profile_ceiling,
                      ceiling_loop=args.ceiling_loop, quiet=args.quiet, wait_quiet=args.wait_quiet,
                      servers=max(1, args.servers))
    report = run_rounds(cfg, args.rounds, partial(print, flush=True)) if args.rounds > 1 else run_bench(cfg)
    print(table(report))
    print("targets: " + ", ".join(f"{k}={'yes' if v else 'NO'}" for k, v in report["targets"].items()))
    path = write_report(report, args.json)
    print(f"written: {path}")
    runs = report.get("rounds") or [report]
    return 0 if all(r["caseroom"].get("errors") == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
