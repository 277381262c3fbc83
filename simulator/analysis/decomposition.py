"""How much of the change in the US deficit comes from each channel.

The outcome is the US goods-and-services deficit over a period (a calendar year or a month).
The total effect of a scenario is its deficit minus the baseline's. With every channel of
:class:`~simulator.scenario.schema.Mechanisms` switched off, a scenario's tariffs still move
relative prices and buyers still substitute (the *core* effect). Each channel's contribution
is then measured two ways:

* **one at a time**: the effect of switching that channel off, all others on;
* **Shapley**: the average, over every order in which channels can be switched on, of the
  change the channel makes when it is added — contributions plus the core add up exactly to
  the total effect.

Runs use a continuum of firms (``firms.count: 0``), so the numbers carry no sampling noise.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from simulator.api import build_model
from simulator.scenario import LoadedScenario
from simulator.scenario.schema import Mechanisms

CHANNELS = [
    "pass_through",
    "diversion",
    "switching_frictions",
    "capacity",
    "front_loading",
    "retaliation",
    "ai_capex",
    "dollar",
    "macro",
    "services",
]
LABELS = {
    "core": "tariffs via relative prices (core)",
    "pass_through": "partial pass-through",
    "diversion": "diversion across origins",
    "switching_frictions": "switching frictions",
    "capacity": "domestic capacity",
    "front_loading": "front-loading",
    "retaliation": "retaliation",
    "ai_capex": "AI capex",
    "dollar": "dollar",
    "macro": "macro closure",
    "services": "services",
}


@dataclass
class Decomposition:
    """Contributions of each channel to the change in the US deficit (US$ bn)."""

    scenario: str
    baseline: str
    period: str
    baseline_deficit: float
    scenario_deficit: float
    table: pd.DataFrame  # index: channel; columns: shapley, one_at_a_time

    @property
    def total(self) -> float:
        return self.scenario_deficit - self.baseline_deficit

    def markdown(self) -> str:
        from simulator.results.summary import markdown_table

        shown = self.table.rename(index=LABELS)
        lines = [
            f"# Where the change in the US deficit comes from: {self.scenario}",
            "",
            f"US goods-and-services deficit in {self.period}: {self.baseline_deficit:,.1f} "
            f"($bn) in {self.baseline}, {self.scenario_deficit:,.1f} in {self.scenario}: a "
            f"change of {self.total:+,.1f}. Positive contributions widen the deficit.",
            "",
            markdown_table(shown),
            "",
            "Shapley contributions (with the core) add up to the total change; one-at-a-time "
            "effects (switching one channel off, the others on) need not. Every run here uses "
            "a continuum of firms (no sampling noise), so totals can differ slightly from a "
            "run with individual firms.",
            "",
        ]
        return "\n".join(lines)

    def waterfall(self, path: Path) -> Path:
        """A waterfall from the baseline deficit to the scenario's, channel by channel."""
        steps = self.table["shapley"]
        steps = steps[steps.abs() > 1e-9]
        fig, ax = plt.subplots(figsize=(9, 5))
        level = self.baseline_deficit
        ax.bar(0, level, color="0.6")
        labels = [self.baseline]
        for i, (name, value) in enumerate(steps.items(), start=1):
            ax.bar(i, value, bottom=level, color="tab:red" if value > 0 else "tab:green")
            level += value
            labels.append(LABELS.get(name, name))
        ax.bar(len(labels), level, color="0.3")
        labels.append(self.scenario)
        ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel(f"US deficit in {self.period}, $bn")
        ax.set_title("Contributions to the change in the US deficit (Shapley)", fontweight="bold")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        return path


def active_channels(loaded: LoadedScenario) -> list[str]:
    """The channels that can matter for this scenario (inert ones are left out)."""
    s = loaded.scenario
    channels = [c for c in CHANNELS if getattr(s.mechanisms, c)]
    has_ai = s.shocks.ai_capex is not None
    has_retaliation = bool(s.retaliation) or any(t.retaliation for t in s.tariffs)
    has_fx = bool(s.shocks.exchange_rates or s.shocks.capital_inflows) or (
        has_ai and s.parameters.dollar.ai_inflow_share > 0
    )
    inert = {
        "ai_capex": not has_ai,
        "services": not has_ai,
        "retaliation": not has_retaliation,
        "dollar": not has_fx,
        "front_loading": not s.tariffs and not s.retaliation,
    }
    return [c for c in channels if not inert.get(c, False)]


def us_deficit(loaded: LoadedScenario, switched_on: set[str], period: str) -> float:
    """US deficit (positive = deficit, $bn) over ``period`` with only these channels on."""
    s = loaded.scenario
    mechanisms = {c: (c in switched_on) for c in CHANNELS}
    scenario = s.model_copy(
        update={
            "mechanisms": Mechanisms(**{**s.mechanisms.model_dump(), **mechanisms}),
            "firms": s.firms.model_copy(update={"count": 0}),
        }
    )
    model = build_model(LoadedScenario(scenario, loaded.path, loaded.raw, loaded.sha256, []))
    model.run()
    months = [model.month_label(t) for t in range(model.n_months)]
    chosen = [t for t, m in enumerate(months) if m.startswith(period)]
    if not chosen:
        raise ValueError(f"period {period} is outside the scenario's horizon")
    us = model.data.region_index("USA")
    flows = model.flows[chosen].sum(axis=(0, 3))
    imports = flows[:, us].sum() - flows[us, us]
    exports = flows[us, :].sum() - flows[us, us]
    return float(imports - exports)


def default_period(loaded: LoadedScenario) -> str:
    """The calendar year in which the scenario's first tariff takes effect (else its start)."""
    s = loaded.scenario
    dates = [t.effective for t in s.tariffs if t.cancelled is None]
    return str(min(dates).year) if dates else s.start[:4]


def decompose(
    loaded: LoadedScenario,
    baseline: LoadedScenario,
    period: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Decomposition:
    """Shapley and one-at-a-time contributions of each active channel."""
    period = period or default_period(loaded)
    channels = active_channels(loaded)
    n = len(channels)
    subsets = [frozenset(c) for r in range(n + 1) for c in itertools.combinations(channels, r)]
    values: dict[frozenset[str], float] = {}
    total_runs = len(subsets) + 1
    for i, subset in enumerate(subsets, start=1):
        values[subset] = us_deficit(loaded, set(subset), period)
        if progress:
            progress(i, total_runs)
    all_on = frozenset(channels)
    base_value = us_deficit(baseline, set(CHANNELS), period)
    if progress:
        progress(total_runs, total_runs)

    rows = {"core": {"shapley": values[frozenset()] - base_value, "one_at_a_time": float("nan")}}
    for c in channels:
        shapley = 0.0
        for subset, value in values.items():
            if c in subset:
                continue
            weight = math.factorial(len(subset)) * math.factorial(n - len(subset) - 1)
            shapley += weight / math.factorial(n) * (values[subset | {c}] - value)
        rows[c] = {
            "shapley": shapley,
            "one_at_a_time": values[all_on] - values[all_on - {c}],
        }
    table = pd.DataFrame(rows).T
    table.loc["total"] = [values[all_on] - base_value, float("nan")]
    return Decomposition(
        scenario=loaded.scenario.name,
        baseline=baseline.scenario.name,
        period=period,
        baseline_deficit=base_value,
        scenario_deficit=values[all_on],
        table=table,
    )
