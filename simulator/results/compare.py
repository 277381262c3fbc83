"""Several runs side by side: one table, overlay plots and differences from a baseline."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from simulator.results.result import SimulationResult, write_atomically
from simulator.results.summary import key_outcomes, last_year, markdown_table

BN = 1e9
GOODS = "Goods balance, $bn"
EX_GOLD = "Goods balance excluding gold bars, $bn"


class Comparison:
    """Results of several scenarios, compared with one of them (the baseline)."""

    def __init__(self, results: list[SimulationResult], baseline: str | None = None) -> None:
        names = [r.scenario.name for r in results]
        if len(set(names)) != len(names):
            results = [
                r if names.count(r.scenario.name) == 1 else _renamed(r, i)
                for i, r in enumerate(results)
            ]
            names = [r.scenario.name for r in results]
        self.results = {r.scenario.name: r for r in results}
        self.baseline = baseline if baseline in self.results else names[0]

    def table(self) -> pd.DataFrame:
        """Key outcomes in the last complete year of each run, and differences from baseline."""
        columns = {}
        for name, result in self.results.items():
            outcomes = key_outcomes(result)
            if not outcomes.empty:
                columns[name] = outcomes[last_year(outcomes)]
        table = pd.DataFrame(columns).reindex(_merged_order(columns.values()))
        if EX_GOLD in table.index:  # a run that ships no gold bars: its goods balance
            table.loc[EX_GOLD] = table.loc[EX_GOLD].fillna(table.loc[GOODS])
        if self.baseline in table:
            for name in table.columns:
                if name != self.baseline:
                    table[f"{name} − {self.baseline}"] = table[name] - table[self.baseline]
        return table

    def macro(self) -> pd.DataFrame:
        """All runs' macro tables stacked, with a ``scenario`` column."""
        return pd.concat(
            [r.macro.assign(scenario=name) for name, r in self.results.items()], ignore_index=True
        )

    def markdown(self) -> str:
        year = self._last_year()
        lines = [
            f"# Comparison with {self.baseline}",
            "",
            f"US outcomes in {year} (the last complete year); the last columns are differences "
            f"from {self.baseline}.",
            "",
            markdown_table(self.table()),
            "",
            "Runs: "
            + "; ".join(
                f"`{name}` from `{r.provenance.scenario_file or 'a Python mapping'}`"
                + (
                    " with `--set` " + ", ".join(f"`{o}`" for o in r.provenance.overrides)
                    if r.provenance.overrides
                    else ""
                )
                for name, r in self.results.items()
            )
            + ".",
            "",
        ]
        return "\n".join(lines)

    def _last_year(self) -> str:
        base = key_outcomes(self.results[self.baseline])
        return last_year(base) if not base.empty else "n/a"

    def save(
        self,
        out_dir: str | os.PathLike,
        force: bool = False,
        since: dict[str, tuple[int, int]] | None = None,
    ) -> Path:
        """Data, overlay plots, ``summary.md`` and provenance, written atomically (``since``:
        the folder as it was checked; files that appeared after are kept)."""

        def write(tmp: Path) -> None:
            macro = self.macro()
            macro.to_parquet(tmp / "macro.parquet", index=False)
            macro.to_csv(tmp / "macro.csv", index=False)
            self.table().to_csv(tmp / "key_outcomes.csv")
            save_comparison_plots(self, tmp)
            (tmp / "summary.md").write_text(self.markdown(), encoding="utf-8")

        return self._write(Path(out_dir), write, force, since)

    def plot(self, out_dir: str | os.PathLike, force: bool = False) -> list[Path]:
        """Write the overlay and difference plots and ``provenance.json`` into ``out_dir``;
        return the plots' paths. The folder is written like :meth:`save`'s: atomically,
        replacing an existing ``out_dir`` only if tradesim wrote it (or with ``force``)."""
        names: list[str] = []

        def write(tmp: Path) -> None:
            names.extend(p.name for p in save_comparison_plots(self, tmp))

        out = self._write(Path(out_dir), write, force)
        return [out / name for name in names]

    def _write(
        self,
        out: Path,
        write: Callable[[Path], None],
        force: bool,
        since: dict[str, tuple[int, int]] | None = None,
    ) -> Path:
        runs = {name: r.provenance.__dict__ for name, r in self.results.items()}
        inputs = [p for r in self.results.values() for p in r.provenance.inputs()]
        return write_atomically(
            out, write, {"runs": runs}, force=force, protect=inputs, since=since
        )


def _merged_order(columns: Iterable[pd.Series]) -> list[str]:
    """The rows of several runs' key outcomes in their own order (the real measures first): a
    row only some runs have (gold bars) goes after the row it follows there. A plain DataFrame
    of the columns would sort the union alphabetically."""
    rows: list[str] = []
    for column in columns:
        previous = None
        for label in column.index:
            if label not in rows:
                rows.insert(rows.index(previous) + 1 if previous is not None else 0, label)
            previous = label
    return rows


def save_comparison_plots(comparison: Comparison, out: Path) -> list[Path]:
    """Overlay plots of the US paths and their differences from the baseline, saved in the
    folder ``out`` that the caller owns (a temporary one); returns their paths."""
    us = {name: r.us() for name, r in comparison.results.items()}
    base = us[comparison.baseline]
    paths = []
    fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
    for name, frame in us.items():
        style = {"color": "k", "lw": 2} if name == comparison.baseline else {}
        for ax, column in zip(axes, ["balance", "imports", "exports"], strict=True):
            ax.plot(frame.index, frame[column] / BN, label=name, **style)
            ax.set_ylabel(f"US {column}, $bn/month")
    axes[0].legend(fontsize=8, ncol=2)
    fig.suptitle("US trade by scenario", fontweight="bold")
    paths.append(out / "overlay.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)

    fig, axes = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, frame in us.items():
        if name == comparison.baseline:
            continue
        axes[0].plot(frame.index, (frame.balance - base.balance) / BN, label=name)
        axes[1].plot(frame.index, (frame.tariff_revenue - base.tariff_revenue) / BN)
    axes[0].set_ylabel(f"US balance − {comparison.baseline},\n$bn/month")
    axes[1].set_ylabel(f"US tariff revenue − {comparison.baseline},\n$bn/month")
    for ax in axes:
        ax.axhline(0.0, color="0.6", lw=0.8)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Differences from {comparison.baseline}", fontweight="bold")
    paths.append(out / "difference.png")
    fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    return paths


def _renamed(result: SimulationResult, i: int) -> SimulationResult:
    result.scenario = result.scenario.model_copy(update={"name": f"{result.scenario.name}#{i}"})
    return result
