"""The bench cannot rot: a small run of ``python -m bench`` checks its counts, never its timings.

Timings belong to the bench's own output (a shared test machine makes them noise);
what must hold on any machine is that every phone joined, saw the card, had its
answer acknowledged and counted on the screen, with no error anywhere, and that
the ceiling server still speaks enough of the contract for the same script.
"""

from __future__ import annotations

from bench.load import BenchConfig, run_bench, table

PHONES = 300


def test_a_small_bench_run_gets_every_count_right() -> None:
    report = run_bench(BenchConfig(phones=PHONES, workers=1, window=1.0, ceiling=True, quiet=True))
    case, ceiling = report["caseroom"], report["ceiling"]
    assert case["joined"] == PHONES and case["join_failed"] == 0, case["join_failures"]
    assert case["saw_open"] == PHONES  # every phone's own view showed the vote open
    assert case["sent"] == case["acked"] == PHONES and case["refused"] == 0
    assert case["screen_final_submitted"] == PHONES  # the screen's tally counted every answer
    assert case["screen_complete_after_last_ack_ms"] is not None
    assert case["unacked"] == case["dropped"] == case["seq_backwards"] == case["error_frames"] == 0
    assert case["errors"] == 0
    assert case["bytes_per_phone"] > 0 and case["cpu_total_s"] > 0 and case["rss_peak_mb"] > 0
    assert ceiling["joined"] == ceiling["acked"] == PHONES and ceiling["errors"] == 0
    assert set(report["ratio"]) >= {"ack_p99_ms", "join_rate", "kb_per_phone", "bytes_per_phone"}
    text = table(report)
    assert "submit->ack p99 (ms)" in text and "ratio" in text
