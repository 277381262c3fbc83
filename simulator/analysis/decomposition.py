"""How much of the change in the US deficit comes from each channel.

The outcome is the US goods-and-services deficit over a period (a calendar year or a month).
The total effect of a scenario is its deficit minus the baseline's. With every channel of
:class:`~simulator.scenario.schema.Mechanisms` switched off, a scenario's tariffs still move
relative prices and buyers still substitute (the *core* effect). Each channel's contribution
is then measured two ways:

* **one at a time**: the effect of switching that channel off, all others on;
* **Shapley**: the average, over every order in which channels can be switched on, of the
  change the channel makes when it is added — contributions plus the core add up exactly to
  the total effect. Exact (every subset) up to :data:`MAX_EXACT` channels, sampled over random
  orders beyond that or on request, with a standard error.

Every run is one :class:`~simulator.runs.run.RunSpec` mapped by the executor (serial or a
process pool), and only its US balance comes back, so memory stays flat however many runs.
Two facts about the engine save runs without changing any value: a channel that acts only
through another (:data:`ACTS_THROUGH`) changes nothing while that one is off, and a channel
that feeds back into nothing (:data:`ADDITIVE`) adds the same amount to every subset's
deficit. ``tests/test_runs_decomposition.py`` checks both on the engine.

Runs use a continuum of firms (``firms.count: 0``), so the numbers carry no sampling noise.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from simulator.engine.members import MEMBER_MECHANISMS
from simulator.runs.executors import execute
from simulator.runs.run import RunSpec
from simulator.scenario import LoadedScenario, ScenarioError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_EXACT = 10  # 2^10 + 2 runs; more channels are sampled over random orders by default
PERMUTATIONS = 40

# the channels: every mechanism switch the members of one batch may differ in, so that the
# subsets of a decomposition run as members of batches (growth and supply chains are not
# channels: they shape the no-policy path and the input-output tables)
CHANNELS = list(MEMBER_MECHANISMS)
# Channels the engine applies only together with another (Worlds.step): AI-related
# services exports grow with AI capex; exporters choose markets only when buyers divert.
ACTS_THROUGH = {"services": "ai_capex", "exporter_exit": "diversion"}
# Channels recorded as trade that nothing else reads: gold bars are added to the month's flows
# after prices, spending, tariff revenue and GDP are set (Worlds.step), so their effect on
# the deficit is the same whichever other channels are on.
ADDITIVE = frozenset({"gold"})

LABELS = {
    "core": "tariffs via relative prices (core)",
    "pass_through": "partial pass-through",
    "diversion": "diversion across origins",
    "switching_frictions": "switching frictions",
    "exporter_exit": "exporters' entry and exit",
    "capacity": "domestic capacity",
    "front_loading": "front-loading",
    "retaliation": "retaliation",
    "ai_capex": "AI capex",
    "dollar": "dollar",
    "macro": "macro closure",
    "services": "services",
    "gold": "gold-bar arbitrage",
}


@dataclass
class Decomposition:
    """Contributions of each channel to the change in the US deficit (US$ bn)."""

    scenario: str
    baseline: str
    period: str
    baseline_deficit: float
    scenario_deficit: float
    table: pd.DataFrame  # index: channel; columns: shapley, one_at_a_time (standard_error)
    method: str = "exact"

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
            f"Shapley method: {self.method}"
            + (
                "; standard_error is the Monte Carlo standard error of each sampled value. "
                if "sampled" in self.method
                else " (every subset of channels). "
            )
            + "Shapley contributions (with the core) add up to the total change; one-at-a-time "
            "effects (switching one channel off, the others on) need not. Every run here uses "
            "a continuum of firms (no sampling noise), so totals can differ slightly from a "
            "run with individual firms.",
            "",
        ]
        return "\n".join(lines)

    def waterfall_bars(self) -> list[tuple[str, float, float]]:
        """The waterfall's bars as (label, bottom, height): the baseline, one step per
        channel (the core included, the ``total`` row not), and the scenario's value."""
        bars = [(self.baseline, 0.0, self.baseline_deficit)]
        level = self.baseline_deficit
        for name in self._drawn_steps():
            value = float(self.table.loc[name, "shapley"])
            bars.append((LABELS.get(name, name), level, value))
            level += value
        bars.append((self.scenario, 0.0, self.scenario_deficit))
        return bars

    def waterfall(self, path: Path) -> Path:
        """Save :meth:`waterfall_figure` as a PNG."""
        self.waterfall_figure().savefig(path, dpi=110, bbox_inches="tight")
        return path

    def waterfall_figure(self) -> Figure:
        """A waterfall from the baseline deficit to the scenario's, channel by channel, each
        step labelled with its value; sampled values carry whiskers of two standard errors."""
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        bars = self.waterfall_bars()
        errors = self.table.get("standard_error")
        steps = self._drawn_steps()
        fig = Figure(figsize=(10, 5.5))
        ax = fig.subplots()
        span = max(abs(bottom + height) for _, bottom, height in bars) or 1.0
        for i, (_, bottom, height) in enumerate(bars):
            ends = i in (0, len(bars) - 1)
            color = "0.6" if i == 0 else "0.3" if ends else "tab:red" if height > 0 else "tab:green"
            ax.bar(i, height, bottom=bottom, color=color)
            top = max(bottom, bottom + height)
            error = 0.0
            if not ends and errors is not None and pd.notna(errors.get(steps[i - 1])):
                error = 2.0 * float(errors[steps[i - 1]])
                if error > 0.005 * span:
                    ax.errorbar(i, bottom + height, yerr=error, color="k", capsize=3, lw=1)
            label = f"{height:,.0f}" if ends else f"{height:+,.1f}"
            ax.annotate(
                label,
                (i, top + (error if height > 0 else 0.0)),  # above a whisker at the top
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        labels = [label for label, _, _ in bars]
        ax.set_xticks(range(len(labels)), labels, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel(f"US deficit in {self.period}, $bn")
        ax.set_ylim(0, span * 1.12)
        ax.set_title("Contributions to the change in the US deficit (Shapley)", fontweight="bold")
        legend = [
            Patch(color="tab:red", label="widens the deficit"),
            Patch(color="tab:green", label="narrows it"),
        ]
        if errors is not None and errors.notna().any():
            legend.append(Line2D([], [], color="k", marker="_", label="±2 standard errors"))
        ax.legend(handles=legend, fontsize=8, loc="lower left")
        return fig

    def _drawn_steps(self) -> list[str]:
        """The channels drawn as steps, in order (as :meth:`waterfall_bars`)."""
        steps = self.table["shapley"].drop("total")
        return list(steps[steps.abs() > 1e-9].index)


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
        "gold": s.shocks.gold is None,
    }
    return [c for c in channels if not inert.get(c, False)]


def _spec(
    run: int, loaded: LoadedScenario, switched_on: frozenset[str], until: str | None
) -> RunSpec:
    """A run of ``loaded`` with only these channels on, with a continuum of firms, stopped
    after the month ``until``."""
    values: dict[str, object] = {f"mechanisms.{c}": c in switched_on for c in CHANNELS}
    values["firms.count"] = 0
    return RunSpec(run, loaded.raw, loaded.scenario.seed, values, "us_balance", until)


def _last_month(period: str) -> str | None:
    """The last month (``YYYY-MM``) of a period ``YYYY`` or ``YYYY-MM``; None if malformed."""
    match = re.fullmatch(r"(\d{4})(?:-(0[1-9]|1[0-2]))?", period)
    return None if match is None else f"{match[1]}-{match[2] or '12'}"


def _deficit(frame: pd.DataFrame, period: str) -> float:
    """US deficit (positive = deficit, $bn) over ``period`` from a run's US balance."""
    months = frame.month.to_numpy().astype("datetime64[M]").astype(str)  # YYYY-MM
    chosen = np.char.startswith(months, period)
    if not chosen.any():
        raise ScenarioError.simple(f"period {period} is outside the scenario's horizon")
    return float(-frame.value.to_numpy()[chosen].sum() / 1e9)


def default_period(loaded: LoadedScenario) -> str:
    """The calendar year in which the scenario's first tariff takes effect (else its start)."""
    s = loaded.scenario
    dates = [t.effective for t in s.tariffs if t.cancelled is None]
    return str(min(dates).year) if dates else s.start[:4]


def decomposition_size(
    loaded: LoadedScenario, method: Literal["auto", "exact", "sampled"], permutations: int
) -> tuple[int, int, int]:
    """At most how many runs a decomposition makes, over how many channels, and the orders it
    keeps (0 when exact): counted without drawing anything, to estimate its cost."""
    n = len(active_channels(loaded))
    sampled = method == "sampled" or (method == "auto" and n > MAX_EXACT)
    subsets = 2**n if not sampled else min(2**n, permutations * max(n - 1, 0) + 2)
    return subsets + n + 2, n, permutations if sampled else 0


def check_permutations(permutations: int, channels: int) -> None:
    """Refuse a count of orders whose memory would pass half of the machine's, before any
    is drawn."""
    from simulator.runs import budget

    need = permutations * max(channels, 1) * budget.BYTES_PER_PERMUTATION_CHANNEL
    limit = budget.MEMORY_SHARE * budget.machine_memory()
    if need > limit:
        largest = int(limit / (max(channels, 1) * budget.BYTES_PER_PERMUTATION_CHANNEL))
        raise ScenarioError.simple(
            f"--permutations is {permutations:,}: its {channels} channels' orders would need "
            f"about {need / 1e9:,.0f} GB of memory, more than half of this machine's "
            f"{budget.machine_memory() / 1e9:,.0f} GB\n    hint: give at most {largest:,} "
            "(the standard errors shrink as 1/sqrt(M): 40 is often enough)"
        )


def decompose(
    loaded: LoadedScenario,
    baseline: LoadedScenario,
    period: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
    method: Literal["auto", "exact", "sampled"] = "auto",
    permutations: int = PERMUTATIONS,
    seed: int = 0,
) -> Decomposition:
    """Shapley and one-at-a-time contributions of each active channel.

    ``exact`` evaluates every subset of channels (at most 2^n runs); ``sampled`` averages the
    marginal contributions along ``permutations`` random orders (Castro, Gómez & Tejada 2009)
    and reports their standard error. ``auto`` is exact up to :data:`MAX_EXACT` channels.
    Runs go through the executor ``jobs`` at a time; only their US balances are kept.
    """
    period = period or default_period(loaded)
    channels = active_channels(loaded)
    n = len(channels)
    sampled = method == "sampled" or (method == "auto" and n > MAX_EXACT)
    if sampled and permutations < 4:
        raise ScenarioError.simple(
            f"--permutations is {permutations}: give at least 4 (two antithetic pairs, the "
            "fewest that give a standard error)"
        )
    if sampled:
        check_permutations(permutations, n)
    orders: list[list[str]] = []
    if sampled:
        # antithetic pairs: each random order and its reverse (a channel early in one is late
        # in the other), which cancels much of the order-to-order variance
        rng = np.random.default_rng(seed)
        halves = [list(rng.permutation(channels)) for _ in range((permutations + 1) // 2)]
        orders = [o for h in halves for o in (h, h[::-1])][:permutations]
        subsets = {frozenset(o[:k]) for o in orders for k in range(n + 1)}
    else:
        subsets = {frozenset(c) for r in range(n + 1) for c in itertools.combinations(channels, r)}
    all_on = frozenset(channels)
    subsets |= {all_on, *(all_on - {c} for c in channels)}
    additive = sorted(ADDITIVE & all_on)
    needed = {_equivalent(subset) for subset in subsets} | {frozenset({a}) for a in additive}
    ordered = sorted(needed, key=lambda x: (len(x), sorted(x)))
    until = _last_month(period)
    specs = [_spec(i, loaded, subset, until) for i, subset in enumerate(ordered)]
    base = RunSpec(len(specs), baseline.raw, baseline.scenario.seed, {"firms.count": 0})
    specs.append(replace(base, detail="us_balance", until=until))
    ran: dict[frozenset[str], float] = {}
    base_value = float("nan")
    for done, frame in enumerate(execute(specs, jobs), start=1):
        run = int(frame.run.iloc[0])
        if run < len(ordered):
            ran[ordered[run]] = _deficit(frame, period)
        else:
            base_value = _deficit(frame, period)
        if progress:
            progress(done, len(specs))
    alone = {a: ran[frozenset({a})] - ran[frozenset()] for a in additive}
    values = {
        subset: ran[_equivalent(subset)] + sum(alone[a] for a in additive if a in subset)
        for subset in subsets
    }

    rows = {"core": {"shapley": values[frozenset()] - base_value}}
    for c in channels:
        if sampled:
            gains = np.array([_gain(values, order, c) for order in orders])
            pairs = gains[: len(gains) // 2 * 2].reshape(-1, 2).mean(axis=1)
            rows[c] = {
                "shapley": float(gains.mean()),
                "standard_error": float(np.std(pairs, ddof=1) / np.sqrt(len(pairs))),
            }
        else:
            rows[c] = {"shapley": _shapley(values, channels, c)}
        rows[c]["one_at_a_time"] = values[all_on] - values[all_on - {c}]
    table = pd.DataFrame(rows).T
    table.loc["total"] = np.nan
    table.loc["total", "shapley"] = values[all_on] - base_value
    return Decomposition(
        scenario=loaded.scenario.name,
        baseline=baseline.scenario.name,
        period=period,
        baseline_deficit=base_value,
        scenario_deficit=values[all_on],
        table=table,
        method=f"sampled ({permutations} permutations in antithetic pairs)" if sampled else "exact",
    )


def _equivalent(subset: frozenset[str]) -> frozenset[str]:
    """The subset whose run gives the deficit of ``subset`` less its additive channels'
    effects: without the channels that act only through one switched off, and without the
    additive ones."""
    return frozenset(
        c
        for c in subset
        if c not in ADDITIVE and (c not in ACTS_THROUGH or ACTS_THROUGH[c] in subset)
    )


def _shapley(values: dict[frozenset[str], float], channels: list[str], c: str) -> float:
    """Exact Shapley value: the weighted average gain from adding ``c`` to every subset."""
    n = len(channels)
    total = 0.0
    for subset, value in values.items():
        if c in subset or len(subset | {c}) > n or (subset | {c}) not in values:
            continue
        weight = math.factorial(len(subset)) * math.factorial(n - len(subset) - 1)
        total += weight / math.factorial(n) * (values[subset | {c}] - value)
    return total


def _gain(values: dict[frozenset[str], float], order: list[str], c: str) -> float:
    """The change ``c`` makes when added after the channels before it in ``order``."""
    before = frozenset(order[: order.index(c)])
    return values[before | {c}] - values[before]
