"""Effective tariff rates as researchers publish them: by legal authority, partner and sector.

The Yale Budget Lab's tracker (https://github.com/Budget-Lab-Yale/tariff-rate-tracker)
reports the average effective tariff rate two ways, and so does this module:

- ``pre_substitution``: the statutory rates in force each month (exemptions applied as shares)
  weighted by base-year (2024) imports, so it moves only with policy;
- ``post_substitution``: the same rates weighted by the simulated imports of that month, after
  buyers have switched suppliers. In the model this equals tariff revenue over goods imports
  (AI hardware pays its own, exempt rates). The Budget Lab's post-substitution rate is a
  long-run (GTAP) weighting, so theirs is the rate once substitution is complete.

By authority, each authority's part of the rate is reported; the parts sum to the total. The
base year's US rates are split by the rows of ``base_tariffs.csv`` that set them, in layers:
``mfn`` is the rate the MFN and preferential rows alone give, ``section_232`` what the rows
citing Section 232 add to it, ``section_301`` what the rows citing Section 301 add on top (the
steel and aluminium MFN is the all-goods MFN row, so that split is approximate). For another
importer, or a scenario that merges regions or sectors, the base rate is one part, ``base_2024``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import numpy as np
import pandas as pd

from simulator.calibration.dataset import _expand_tariffs, dataset_codes, dataset_path
from simulator.policy.tariffs import BASE, UNATTRIBUTED
from simulator.scenario.schema import AUTHORITIES

if TYPE_CHECKING:
    from pathlib import Path

    from simulator.results.result import SimulationResult

CONCEPTS = ("pre_substitution", "post_substitution")
DIMENSIONS = ("total", "authority", "partner", "sector")


LAYERS = ("section_232", "section_301")  # base-year rows citing these, applied in this order


def _base_parts(result: SimulationResult, importer: int) -> dict[str, np.ndarray]:
    """The base-year rate on imports into ``importer`` by authority, ``[origin, sector]``."""
    m = result.model
    data = m.data
    whole = {BASE: m.tau0[:, importer, :]}
    regions, sectors = dataset_codes(data.name)
    if data.regions[importer] != "USA" or (list(data.regions), list(data.sectors)) != (
        regions,
        sectors,
    ):
        return whole
    path = dataset_path(data.name) / "base_tariffs.csv"
    table = pd.read_csv(path)
    layer = pd.Series("mfn", index=table.index)
    for auth in LAYERS:
        cites = table["source"].str.startswith(auth.replace("_", " ").title())
        layer[cites & (table["imposer"] == "USA")] = auth
    goods = list(data.goods_mask)
    parts, below = {}, np.zeros_like(m.tau0[:, importer, :])
    for k, auth in enumerate(("mfn", *LAYERS)):
        rows = table[layer.isin(("mfn", *LAYERS[:k]))]
        rate = _expand_tariffs(rows, data.regions, data.sectors, goods, path)[:, importer, :]
        parts[auth] = rate - below
        below = rate
    if not np.allclose(below, m.tau0[:, importer, :]):
        return whole
    return parts


def _components(
    result: SimulationResult, importer: int, base: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Each authority's part of the rate on imports into ``importer``, ``[month, origin, sector]``,
    from the base-year parts (:func:`_base_parts`).

    The parts sum to the rate in force (``model.rates``).
    """
    m = result.model
    shape = (m.n_months, *m.tau0[:, importer, :].shape)
    parts = {a: np.broadcast_to(r, shape) for a, r in base.items()}
    for auth, path in m.schedule.by_authority.items():
        parts[auth] = parts.get(auth, 0.0) + path[:, :, importer, :]
    retaliation = m.retaliation_path[:, :, importer, :]
    if np.any(retaliation):
        parts["retaliation"] = parts.get("retaliation", 0.0) + retaliation
    return parts


def effective_rates(result: SimulationResult, importer: str = "USA") -> pd.DataFrame:
    """The importer's effective tariff rate each month, tidy.

    Columns: ``month``, ``concept`` (pre_substitution or post_substitution), ``dimension``
    (total, authority, partner or sector), ``group`` (the authority, partner or sector; 'all'
    for the total) and ``rate_pct``. By authority, the rows are each authority's contribution
    to the total rate (they sum to it); by partner or sector, the rate on that partner's or
    sector's goods. Computed once per result and importer (the summary and the plot share it);
    callers get a copy.
    """
    known = _COMPUTED.setdefault(result, {})
    if importer not in known:
        known[importer] = _effective_rates(result, importer)
    return known[importer].copy()


# the tables already computed, for as long as their result lives
_COMPUTED: WeakKeyDictionary[SimulationResult, dict[str, pd.DataFrame]] = WeakKeyDictionary()


def _effective_rates(result: SimulationResult, importer: str) -> pd.DataFrame:
    m = result.model
    regions, sectors = m.data.regions, m.data.sectors
    d = m.data.region_index(importer)
    goods = m.data.goods_mask
    origins = np.arange(m.data.n_regions) != d
    keep = origins[:, None] & goods[None, :]  # [origin, sector]
    base = _base_parts(result, d)
    parts = _components(result, d, base)
    flows = m.flows[:, :, d, :]
    # AI hardware bought under its own exempt rates pays the base rate only; gold bars pay none
    exempt = np.where(
        m.exempt_rates[:, :, d, :] < m.rates[:, :, d, :] - 1e-12, m.exempt_flows[:, :, d, :], 0.0
    )
    scheduled = np.divide(flows - exempt, flows, out=np.ones_like(flows), where=flows > 0)
    # what the exempt part pays, as a share of the base rate (1 for AI hardware, 0 for gold)
    tau0 = m.tau0[None, :, d, :]
    base_paid = np.divide(m.exempt_rates[:, :, d, :], tau0, out=np.ones_like(flows), where=tau0 > 0)
    weights = {
        "pre_substitution": (np.broadcast_to(m.flows0[:, d, :], flows.shape), None),
        "post_substitution": (flows, scheduled),
    }
    columns: dict[str, list] = {"concept": [], "dimension": [], "group": [], "rate_pct": []}
    for concept, (w, paid) in weights.items():
        w = np.where(keep[None], w, 0.0)
        # the exempt part pays its own rates: the base-year rate (AI hardware) or none (gold)
        rates = {
            auth: part
            if paid is None
            else part * paid + base.get(auth, 0.0) * base_paid * (1.0 - paid)
            for auth, part in parts.items()
        }
        total = sum(rates.values())
        rows = [("total", "all", _average(total, w, (1, 2)))]
        rows += [("authority", a, _average(r, w, (1, 2))) for a, r in rates.items()]
        by_partner = _average(total, w, (2,))
        rows += [("partner", c, by_partner[:, i]) for i, c in enumerate(regions) if origins[i]]
        by_sector = _average(total, w, (1,))
        rows += [("sector", c, by_sector[:, j]) for j, c in enumerate(sectors) if goods[j]]
        for dimension, group, values in rows:
            for column, value in zip(columns, (concept, dimension, group, values), strict=True):
                columns[column].append(value)
    # built at once, the months of each (concept, dimension, group) one after another
    n = len(result.months)
    return pd.DataFrame(
        {
            "month": np.tile(result.months, len(columns["rate_pct"])),
            **{c: np.repeat(columns[c], n) for c in ("concept", "dimension", "group")},
            "rate_pct": np.concatenate(columns["rate_pct"]),
        }
    )


def _average(rate: np.ndarray, w: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
    """Import-weighted average rate in percent over ``axis`` (zero where nothing is imported)."""
    num, den = (rate * w).sum(axis=axis), w.sum(axis=axis)
    return 100.0 * np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def summary_section(result: SimulationResult, importer: str = "USA") -> list[str]:
    """Markdown lines for summary.md: effective rates by authority, partner and sector."""
    if importer not in result.model.data.regions:
        return []
    rates = effective_rates(result, importer)
    counts = rates.drop_duplicates("month").month.dt.year.value_counts()
    full = sorted(counts[counts == 12].index)
    if not full:
        return []
    year = 2025 if 2025 in full else full[-1]
    lines = [
        f"## Effective tariff rates ({importer}, {year}, %)",
        "",
        "Averages of the monthly rates. Pre-substitution: the rates in force, with exemptions, "
        "at 2024 import weights (the Yale Budget Lab's statutory rate); post-substitution: at "
        "the simulated imports of each month (revenue over goods imports). By authority: each "
        "authority's part of the rate (the parts add up to the total), the 2024 rates included "
        "(`mfn`: MFN and preferential rates; the 2024 Section 232 and 301 duties under theirs). "
        "By partner or sector: the rate on that partner's or sector's goods. Plot: "
        "effective_rates.png.",
        "",
        "| | | pre-substitution | post-substitution |",
        "|---|---|---:|---:|",
    ]
    pre = rates[(rates.concept == "pre_substitution") & (rates.month.dt.year == year)]
    post = rates[(rates.concept == "post_substitution") & (rates.month.dt.year == year)]
    a = pre.groupby(["dimension", "group"], sort=False)["rate_pct"].mean()
    b = post.groupby(["dimension", "group"], sort=False)["rate_pct"].mean()
    for (dimension, group), value in a.items():
        if dimension == "authority" and abs(value) < 0.005 and abs(b[(dimension, group)]) < 0.005:
            continue
        label = "total" if dimension == "total" else dimension
        lines.append(f"| {label} | {group} | {value:.1f} | {b[(dimension, group)]:.1f} |")
    lines.append("")
    return lines


def plot_inputs(result: SimulationResult, importer: str = "USA") -> dict:
    """What :func:`plot` draws: each concept's parts by authority and its total, as arrays."""
    rates = effective_rates(result, importer)
    by_auth = rates[rates.dimension == "authority"]
    panels = []
    for concept in CONCEPTS:
        wide = by_auth[by_auth.concept == concept].pivot(
            index="month", columns="group", values="rate_pct"
        )
        order = [a for a in (BASE, *AUTHORITIES, UNATTRIBUTED) if a in wide]
        wide = wide.loc[:, [a for a in order if wide[a].abs().max() > 0.005]]
        total = rates[(rates.concept == concept) & (rates.dimension == "total")]
        panels.append(
            {
                "title": concept.replace("_", "-"),
                "months": wide.index.to_numpy(),
                "stacks": wide.clip(lower=0.0).T.values,
                "labels": [c.replace("_", " ") for c in wide],
                "total_months": total.month.to_numpy(),
                "total": total.rate_pct.to_numpy(),
            }
        )
    return {
        "importer": importer,
        "panels": panels,
        "title": f"{result.scenario.name}: effective tariff rate by legal authority",
        "subtitle": "pre-substitution: 2024 import weights; post-substitution: simulated imports",
    }


def plot(result: SimulationResult, path: Path, importer: str = "USA") -> Path:
    """Monthly effective rate, pre- and post-substitution, stacked by authority."""
    from simulator.results import drawing

    return drawing.effective_rates(plot_inputs(result, importer), path)
