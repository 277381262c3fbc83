"""``tradesim run`` does each piece of work once: one summary (saved and printed), one
effective-rate table (summary and plot), and its CSV files are what pandas would write."""

from __future__ import annotations

import pandas as pd

from simulator.cli import main
from simulator.results import effective_rates, summary


def test_run_makes_the_summary_and_the_effective_rates_once(tmp_path, capsys, monkeypatch):
    calls = {"summary": 0, "rates": 0}
    make_summary, make_rates = summary.summary_markdown, effective_rates._effective_rates

    def counted_summary(*args, **kwargs):
        calls["summary"] += 1
        return make_summary(*args, **kwargs)

    def counted_rates(*args, **kwargs):
        calls["rates"] += 1
        return make_rates(*args, **kwargs)

    monkeypatch.setattr(summary, "summary_markdown", counted_summary)
    monkeypatch.setattr(effective_rates, "_effective_rates", counted_rates)
    out = tmp_path / "run"
    args = ["run", "autos_25", "--set", "firms.count=0", "--set", "end=2025-06"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    written = (out / "summary.md").read_text(encoding="utf-8")
    assert written in printed  # the text printed is the text saved
    assert calls == {"summary": 1, "rates": 1}
    for name in ("trade", "macro"):
        frame = pd.read_parquet(out / f"{name}.parquet")
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        assert (out / f"{name}.csv").read_bytes() == (tmp_path / f"{name}.csv").read_bytes()
