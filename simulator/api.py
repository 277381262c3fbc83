"""The Python API: run a scenario and get a result with tidy DataFrames."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from simulator.calibration.dataset import BaseData, load_dataset
from simulator.engine.members import batch_key
from simulator.engine.prefix import SharedStarts
from simulator.engine.worlds import RECORDS, MemberAccess, Worlds
from simulator.results import Provenance, SimulationResult
from simulator.scenario import LoadedScenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from simulator.analysis.decomposition import Decomposition
    from simulator.model import TradeModel

ScenarioSource = str | os.PathLike | Mapping[str, Any] | LoadedScenario


def build_model(loaded: LoadedScenario, seed: int | None = None) -> TradeModel:
    """A ready-to-step Mesa model for a loaded scenario (its data set aggregated as it asks),
    with its countries, governments and any firm as agents."""
    from simulator.model import TradeModel

    return TradeModel(loaded.scenario, _data(loaded), seed=seed)


def batch_of_one(loaded: LoadedScenario, seed: int | None = None) -> Worlds:
    """The engine's batch of one for a loaded scenario, ready to step: what a run advances,
    read through ``worlds.member(0)`` (the numbers of :func:`build_model`, without Mesa)."""
    seed = loaded.scenario.seed if seed is None else seed
    return Worlds([loaded.scenario], _data(loaded), [seed])


def _data(loaded: LoadedScenario) -> BaseData:
    """The scenario's data set, aggregated as it asks; refuses a firm count too small for it."""
    scenario = loaded.scenario
    data = load_dataset(scenario.data).aggregate(scenario.regions, scenario.sectors)
    groups = data.n_regions * data.n_sectors
    if 0 < scenario.firms.count < 2 * groups:
        raise ScenarioError.simple(
            f"firms.count is {scenario.firms.count}: use 0 (a continuum of firms) or at least "
            f"{2 * groups} (a producer and a buyer for each of {data.n_regions} regions × "
            f"{data.n_sectors} sectors)",
            file=str(loaded.path) if loaded.path else None,
        )
    return data


def run_scenario(
    source: ScenarioSource,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Run a scenario (a YAML path, a bundled scenario's name, a dict, or a loaded scenario).

    ``seed`` replaces the scenario's seed; ``overrides`` are ``key.path=value`` strings as for
    ``tradesim run --set``. ``progress(done, total)`` is called after each month.

    The run is the batch of one (:class:`~simulator.engine.worlds.Worlds`), read through its
    member view: the same numbers as :func:`build_model`'s Mesa model, without importing Mesa
    (a third of a second of ``tradesim run``). Build the model for its agents.
    """
    loaded = source if isinstance(source, LoadedScenario) else load_scenario(source, overrides)
    worlds = batch_of_one(loaded, seed)
    while worlds.t < worlds.n_months:
        worlds.step()
        if progress is not None:
            progress(worlds.t, worlds.n_months)
    return _result(worlds.member(0), loaded)


def run_scenarios(
    sources: Sequence[ScenarioSource],
    seeds: Sequence[int | None] | None = None,
    batch_size: int = 16,
    starts: SharedStarts | None = None,
) -> list[SimulationResult]:
    """Run many scenarios, in order, as few batches as they allow.

    Scenarios that differ only in their tariffs and behaviour parameters (the engine's
    :func:`~simulator.engine.members.batch_key`) advance together as the members of one batch,
    ``batch_size`` at most; each result equals :func:`run_scenario`'s for the same scenario and
    seed (``seeds[i]`` replaces scenario ``i``'s seed). A result reads its member of the batch,
    so the batch's arrays live as long as any of its results. With ``starts``, a batch that
    begins as one run before did carries on from that run's state where their tariffs part
    (:mod:`simulator.engine.prefix`: the dashboard server's students).
    """
    loaded = [s if isinstance(s, LoadedScenario) else load_scenario(s) for s in sources]
    seeds = [None] * len(loaded) if seeds is None else list(seeds)
    if len(seeds) != len(loaded):
        raise ValueError(f"{len(loaded)} scenarios but {len(seeds)} seeds")
    seeds = [
        item.scenario.seed if seed is None else seed
        for item, seed in zip(loaded, seeds, strict=True)
    ]
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(loaded):
        groups.setdefault(batch_key(item.scenario), []).append(i)
    results: list[SimulationResult | None] = [None] * len(loaded)
    for members in groups.values():
        for start in range(0, len(members), batch_size):
            chunk = members[start : start + batch_size]
            scenarios = [loaded[i].scenario for i in chunk]
            data, chunk_seeds = _data(loaded[chunk[0]]), [seeds[i] for i in chunk]
            if starts is None:
                worlds = Worlds(scenarios, data, chunk_seeds)
                worlds.run()
            else:
                worlds = starts.run(scenarios, data, chunk_seeds)
            for j, i in enumerate(chunk):
                results[i] = _result(worlds.member(j), loaded[i])
    return results  # type: ignore[return-value]


def _result(model: MemberAccess, loaded: LoadedScenario) -> SimulationResult:
    """A finished run's result, refused if its records blew up."""
    _check_finite(model, loaded)
    provenance = Provenance.collect(
        scenario=loaded.scenario.name,
        path=str(loaded.path) if loaded.path else None,
        sha256=loaded.sha256,
        seed=model.seed,
        data=loaded.scenario.data,
        overrides=loaded.overrides,
        chain=loaded.chain,
    )
    return SimulationResult(model, provenance)


MONEY = ("flows", "revenue", "spending", "gdp_gap")
"""Monthly records in $bn a month."""
MAX_MONEY_BN = 1e7
"""Far above anything a real economy trades in a month (world GDP is about 9,000 $bn a month):
a record beyond it has blown up."""


def _check_finite(model: MemberAccess, loaded: LoadedScenario) -> None:
    """Refuse a run whose monthly records hold NaN, infinity or money beyond
    :data:`MAX_MONEY_BN`: values each within their bounds can together go beyond what the
    model computes (huge inflows with a huge elasticity), and such a run must not look like a
    result."""
    for name in sorted(RECORDS):
        values = getattr(model, name)
        bad = ~np.isfinite(values)
        if name in MONEY:
            bad |= np.abs(values) > MAX_MONEY_BN
        if bad.any():
            month = model.month_label(int(np.argwhere(bad)[0][0]))
            raise ScenarioError.simple(
                f"the run blew up: its {name.removesuffix('_path')} hold values that are not "
                f"finite or beyond {MAX_MONEY_BN:,.0f} $bn a month from {month}. The "
                "scenario's values together go beyond what the model can compute; make its "
                "largest shocks or parameters smaller",
                file=str(loaded.path) if loaded.path else None,
            )


def decompose_scenario(
    source: ScenarioSource,
    baseline: ScenarioSource = "baseline",
    period: str | None = None,
    jobs: int = 1,
    method: Literal["auto", "exact", "sampled"] = "auto",
    permutations: int = 40,
) -> Decomposition:
    """Contributions of each channel to the change in the US deficit against a baseline.

    ``baseline`` is a bundled scenario's name, a path, a dict or a loaded scenario; ``period``
    is ``YYYY`` or ``YYYY-MM`` (default: the year the scenario's first tariff takes effect).
    Runs go ``jobs`` at a time through a process pool; ``method`` chooses exact or sampled
    Shapley values (see :func:`simulator.analysis.decomposition.decompose`).
    """
    from simulator.analysis.decomposition import decompose

    def load(item: ScenarioSource) -> LoadedScenario:
        return item if isinstance(item, LoadedScenario) else load_scenario(item)

    return decompose(
        load(source),
        load(baseline),
        period=period,
        jobs=jobs,
        method=method,
        permutations=permutations,
    )
