"""What the classroom server keeps of a run, and how runs are queued.

A page shows aggregates: the US monthly series, balances by partner, sector balances by year,
who pays by year and a key table per year. :class:`RunView` holds exactly those (tens of kB),
not the model (tens of MB). Runs are made in a bounded pool of worker processes
(:class:`RunPool`); each request gets a ticket, so a page can say its place in the queue.
Identical requests (same scenario, levers and seed) share one result while a session keeps
it (the pool holds results weakly: a session's runs go when it closes); the no-tariff world a
run is compared with (for the deadweight loss) is shared by every run that differs from
another only in tariffs and retaliation.

A teacher bounds each run on the command line (``tradesim dashboard --max-firms N
--max-months M``): a run beyond those is refused before it starts, with the reason.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.scenario import ScenarioError

BN = 1e9
ENV_WORKERS = "TRADESIM_DASHBOARD_WORKERS"
ENV_MAX_FIRMS = "TRADESIM_MAX_FIRMS"
ENV_MAX_MONTHS = "TRADESIM_MAX_MONTHS"
DEFAULT_MAX_FIRMS = 200_000
DEFAULT_MAX_MONTHS = 60
MAX_BATCH = 8
"""Most runs a worker makes as one batch. A member of us_2025 holds about 40 MB while it runs
(a batch of 16 peaked at 865 MB against 218 MB for one run), so two workers with batches of 8
stay near 0.5 GB each; per run, batches of 8 cost about what batches of 16 do
(docs/ensembles.md)."""
BATCH_FIRMS = 1_000_000
"""Most firms in one batch, whatever the server's per-run limit (two members of 200,000
firms added 78 MB to a batch's peak): runs with many firms go in smaller batches."""
IDLE_SECONDS = 60.0
"""Workers are stopped after this long with nothing to do and no session open (their memory
goes back); the next session starts them again."""

KEY_ROWS: list[tuple[str, str, str, float]] = [
    # (column of the annual table, plain name, unit, scale); what it costs first
    ("real_income_change", "Real income against the no-policy path", "US$ bn", BN),
    ("real_income_change_pct", "Real income, same comparison, share of GDP", "%", 1.0),
    ("real_income_per_household", "Real income per household, same comparison", "US$", 1.0),
    ("household_cost", "What the average household pays more for its purchases", "US$", 1.0),
    ("consumer_prices_pct", "Consumer prices against the no-policy path", "%", 1.0),
    ("gdp_change", "GDP as counted, against the no-policy path", "US$ bn", BN),
    ("balance", "Trade balance (goods and services)", "US$ bn", BN),
    ("goods_balance", "Goods balance", "US$ bn", BN),
    ("services_balance", "Services balance", "US$ bn", BN),
    ("exports", "Exports (goods and services)", "US$ bn", BN),
    ("imports", "Imports (goods and services)", "US$ bn", BN),
    ("tariff_revenue", "Tariff revenue", "US$ bn", BN),
    ("effective_tariff_rate", "Average tariff paid (revenue ÷ goods imports)", "%", 0.01),
    ("buyers_cost", "What US buyers pay for the tariffs", "US$ bn", BN),
]
PARTNER_NAMES = {
    "CHN": "China",
    "EU": "European Union",
    "MEX": "Mexico",
    "CAN": "Canada",
    "VNM": "Vietnam",
    "JPN": "Japan",
    "KOR": "South Korea",
    "TWN": "Taiwan",
    "IND": "India",
    "CHE": "Switzerland",
    "GBR": "United Kingdom",
    "DEU": "Germany",
    "IRL": "Ireland",
    "EU_OTHER": "rest of the EU",
    "ROW": "rest of the world",
    "USA": "United States",
}
KEY_PARTNERS = ("CHN", "EU", "MEX", "CAN", "VNM")


SHOCK_NAMES = {
    "shocks.ai_capex": "the AI-capex boom",
    "shocks.exchange_rates": "the dollar's path",
    "shocks.capital_inflows": "capital inflows",
    "shocks.demand": "demand shocks",
}
LEVER_FOR_SHOCK = {
    "shocks.ai_capex": "set AI capex to × 0",
    "shocks.exchange_rates": "untick the dollar's own path and leave it at +0%",
}


@dataclass
class RunView:
    """What a page shows of one run: small tables, no model."""

    label: str
    child: dict[str, Any]
    description: str
    seed: int
    us: pd.DataFrame  # monthly US series (index: month start)
    annual: pd.DataFrame  # complete calendar years (index: year)
    partners: pd.DataFrame  # monthly US goods balance by partner, groups beside members
    sectors: pd.DataFrame  # US balance by sector and complete year
    who_pays: pd.DataFrame  # US who-pays by year
    key: pd.DataFrame  # rows: plain names; columns: unit and one per complete year
    households: pd.DataFrame | None = None  # US households by year and income decile
    provenance: dict[str, Any] = field(default_factory=dict)
    shocks: list[str] = field(default_factory=list)  # its shocks besides tariffs (``shocks.*``)

    def extends(self, name: str) -> bool:
        """The run's scenario is bundled scenario ``name`` or extends it, at any remove (an
        upload with ``extends: us_2025`` as much as us_2025 itself)."""
        return name in self.provenance.get("scenario_chain", [])

    def years(self) -> list[int]:
        return [int(y) for y in self.annual.index]

    def shocks_note(self) -> str:
        """What besides the tariffs is in the run's figures, and the levers that take it out
        ("" when nothing is)."""
        if not self.shocks:
            return ""
        from simulator.results.costs import listed

        named = listed([SHOCK_NAMES.get(key, f"`{key}`") for key in self.shocks])
        how = [LEVER_FOR_SHOCK[key] for key in self.shocks if key in LEVER_FOR_SHOCK]
        out = f"Besides tariffs, {named} move these figures (against the no-policy path)."
        if how:
            out += f" For the tariffs alone: {' and '.join(how)} under Shocks and behaviour."
        return out

    def nbytes(self) -> int:
        """Bytes this view holds (its pickled size: what a kept run costs the server)."""
        return len(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    def relabel(self, label: str, child: dict[str, Any]) -> RunView:
        """The same numbers under another session's name for the run."""
        out = RunView(**{**self.__dict__})
        out.label, out.child = label, child
        return out


def key_frame(annual: pd.DataFrame, partners: pd.DataFrame, us: pd.DataFrame) -> pd.DataFrame:
    """Key US outcomes by complete year, with plain names and units."""
    rows: dict[str, list[Any]] = {}
    years = [int(y) for y in annual.index]
    for column, name, unit, scale in KEY_ROWS:
        if column in annual:
            rows[name] = [unit, *(annual[column].to_numpy() / scale).tolist()]
    # float32 sums, as the monthly table holds them
    sums = _by_year(partners.to_numpy(), np.asarray(partners.index.year))
    for p in KEY_PARTNERS:
        if p in partners.columns:
            j = partners.columns.get_loc(p)
            values = [sums[y][j] / BN if y in sums else np.nan for y in years]
            rows[f"Goods balance with {PARTNER_NAMES[p]}"] = ["US$ bn", *values]
    nx = us.nx_contribution_pp.to_numpy() if "nx_contribution_pp" in us else np.array([])
    known = ~np.isnan(nx)
    if known.any():
        means = _by_year(nx[known, None], np.asarray(us.index.year)[known], "mean")
        rows["Net exports' part of GDP growth (average quarter)"] = [
            "points",
            *(means[y][0] if y in means else np.nan for y in years),
        ]
    return pd.DataFrame.from_dict(rows, orient="index", columns=["unit", *map(str, years)])


def _by_year(values: np.ndarray, year: np.ndarray, how: str = "sum") -> dict[int, np.ndarray]:
    """Each year's sums (or means) of the rows of ``values`` (see
    :func:`~simulator.results.result.grouped`)."""
    from simulator.results.result import grouped

    return dict(zip(np.unique(year).tolist(), grouped(values, year, how), strict=True))


def view_of(result, who_pays_by_year: pd.DataFrame, label: str, child: dict) -> RunView:
    """The small tables of a finished run (``result`` is a SimulationResult)."""
    from simulator.results.plots import sector_balances

    months, series = result.region_series("USA")
    us = pd.DataFrame(
        np.column_stack(list(series.values())).astype(np.float32),
        index=pd.Index(months, name="month"),
        columns=list(series),
    )
    from simulator.results.costs import ALL_HOUSEHOLDS, annual_households, shocks_in

    annual = result.annual()
    annual["consumer_prices_pct"] = (annual.consumer_price_index - 1.0) * 100.0
    households = annual_households(result)
    if households is not None:
        everyone = households.xs(ALL_HOUSEHOLDS, level="group")
        annual["household_cost"] = everyone.cost.reindex(annual.index)
        annual["real_income_per_household"] = everyone.real_income_change.reindex(annual.index)
    partners = result.bilateral("USA", groups=True).astype("float32")
    if hasattr(partners.index, "to_timestamp"):
        partners.index = partners.index.to_timestamp()
    sectors = sector_balances(result)
    return RunView(
        label=label,
        child=child,
        description=str(child.get("description", "")),
        seed=int(result.provenance.seed),
        us=us,
        annual=annual,
        partners=partners,
        sectors=sectors,
        who_pays=who_pays_by_year,
        key=key_frame(annual, partners, us),
        households=households,
        provenance=dict(result.provenance.__dict__),
        shocks=[key for key, _, _ in shocks_in(result.scenario)],
    )


# -- limits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Per-run bounds a teacher sets for a classroom server."""

    max_firms: int = DEFAULT_MAX_FIRMS
    max_months: int = DEFAULT_MAX_MONTHS

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            int(os.environ.get(ENV_MAX_FIRMS, DEFAULT_MAX_FIRMS)),
            int(os.environ.get(ENV_MAX_MONTHS, DEFAULT_MAX_MONTHS)),
        )

    def check(self, scenario) -> None:
        """Refuse a scenario beyond the limits, before any work (raises ScenarioError)."""
        firms = scenario.firms.count
        if firms > self.max_firms:
            raise ScenarioError.simple(
                f"this scenario asks for {firms:,} firms; this classroom server runs at most "
                f"{self.max_firms:,} (the teacher sets it with tradesim dashboard --max-firms). "
                "Set firms: count: lower, or 0 for a continuum of firms"
            )
        if scenario.n_months > self.max_months:
            raise ScenarioError.simple(
                f"this scenario runs {scenario.n_months} months ({scenario.start} on); this "
                f"classroom server runs at most {self.max_months} months (the teacher sets it "
                "with tradesim dashboard --max-months). Choose an earlier end"
            )


# -- one run, in a worker ---------------------------------------------------------------------

_counterfactuals: OrderedDict[str, Any] = OrderedDict()
"""Per worker: the quantities of recent no-tariff worlds, by scenario hash."""


def _scenario_key(loaded, seed: int | None) -> str:
    dump = loaded.scenario.model_dump(mode="json", exclude={"name", "description"})
    text = json.dumps(dump, sort_keys=True, default=str) + f"|{seed}"
    return hashlib.sha256(text.encode()).hexdigest()


class RunRefused(Exception):
    """A scenario error from a worker, as plain text (ScenarioError does not survive the trip
    between processes); :meth:`Ticket.result` raises it as a ScenarioError again."""


class _Quantities:
    """What :func:`~simulator.results.incidence.incidence` reads of the no-tariff world (its
    taxed quantities), without the rest of its run: 1 MB kept instead of 50."""

    def __init__(self, result) -> None:
        from types import SimpleNamespace

        from simulator.results.incidence import _quantity

        q = _quantity(result)
        self.model = SimpleNamespace(
            flows=q, exempt_flows=np.zeros((1, 1, 1, 1)), unit_values=np.ones((1, 1, 1, 1))
        )


@dataclass(frozen=True)
class Request:
    """One student's run: a scenario (a bundled name or an upload), levers, the run's label,
    the server's limits and the seed (None: the scenario's)."""

    source: Any
    levers: Any
    label: str
    limits: Limits
    seed: int | None = None

    def group(self) -> str:
        """Requests with the same group can usually share a batch: same scenario, and levers
        that differ only in tariffs (the worker checks the engine's rule, and runs apart the
        requests that cannot share one)."""
        from dataclasses import asdict

        src = self.source if isinstance(self.source, str) else _digest(self.source.data)
        levers = {k: v for k, v in asdict(self.levers).items() if k not in TARIFF_LEVERS}
        return json.dumps([src, levers], sort_keys=True, default=str)


TARIFF_LEVERS = ("autos_rate", "steel_rate", "china_rate", "eu_rate", "effective")
"""Levers that change only the child scenario's tariffs (members of a batch may differ in them)."""


def compute(source, levers, label: str, limits: Limits, seed: int | None = None) -> RunView:
    """Run the levers on a scenario and its no-tariff world; return what a page shows.

    Runs in a worker process (or inline for tests). The model is dropped before returning.
    """
    outcome = compute_batch([Request(source, levers, label, limits, seed)])[0]
    if isinstance(outcome, RunRefused):
        raise outcome
    return outcome


def compute_batch(requests: list[Request]) -> list[RunView | RunRefused]:
    """Several students' runs at once: those that may share a batch are its members (the
    engine's member axis), and so are their no-tariff worlds. Each view equals the one its
    request makes alone; a request refused (bad levers, limits, a run that blew up) gets a
    :class:`RunRefused` in its place, and the others still run. The models are dropped, and
    their memory given back, before returning."""
    outcomes = _views(requests)
    _trim()
    return outcomes


def _views(requests: list[Request]) -> list[RunView | RunRefused]:
    from simulator.api import run_scenarios
    from simulator.calibration.dataset import DataError
    from simulator.dashboard.levers import as_uploaded, extends_name, opened
    from simulator.results.incidence import annual_incidence
    from simulator.scenario import load_scenario

    outcomes: list[RunView | RunRefused | None] = [None] * len(requests)
    ready: list[tuple[int, Any, dict, Any, str]] = []  # request, loaded, child, counter, extends
    for i, r in enumerate(requests):
        try:
            with opened(r.source) as (base, extends):
                loaded = load_scenario(r.levers.child(base, extends, r.label))
                r.limits.check(loaded.scenario)
                child = r.levers.child(base, extends_name(r.source), r.label)
                ready.append((i, loaded, child, _no_tariffs(loaded), extends))
        except (ScenarioError, DataError) as exc:
            outcomes[i] = RunRefused(str(exc))
    firms = max((item[1].scenario.firms.count for item in ready), default=0)
    size = max(1, min(MAX_BATCH, BATCH_FIRMS // firms)) if firms else MAX_BATCH
    run = functools.partial(run_scenarios, batch_size=size, starts=_shared_starts())
    worlds = _no_tariff_worlds([(item[3], requests[item[0]].seed) for item in ready], run)
    results = _each_or_refused(
        run, [item[1] for item in ready], [requests[item[0]].seed for item in ready]
    )
    for (i, _, child, counter, extends), result in zip(ready, results, strict=True):
        r = requests[i]
        world = worlds[_scenario_key(counter, r.seed)]
        if isinstance(result, RunRefused) or isinstance(world, RunRefused):
            outcomes[i] = result if isinstance(result, RunRefused) else world
            continue
        as_uploaded(result, extends, r.source)
        outcomes[i] = view_of(result, annual_incidence(result, world), r.label, child)
    return outcomes  # type: ignore[return-value]


@functools.cache
def _shared_starts() -> Any:
    """Per worker: the state of the last batch of a scenario in the month its students'
    tariffs part (a class's batches begin alike: the months before are run once)."""
    from simulator.engine.prefix import SharedStarts

    return SharedStarts()


_NOT_IN_NO_TARIFFS = ("extends", "name", "description", "tariffs", "retaliation")
_no_tariff_scenarios: OrderedDict[str, Any] = OrderedDict()
"""Per worker: recent no-tariff scenarios, by the child scenario they are made from less its
name, description, tariffs and retaliation (a class's runs share one: it is loaded once)."""


def _no_tariffs(loaded) -> Any:
    """The no-tariff counterfactual of a loaded child scenario (kept for the next requests)."""
    from simulator.results.incidence import no_tariff_counterfactual

    made_of = {k: v for k, v in loaded.raw.items() if k not in _NOT_IN_NO_TARIFFS}
    key = json.dumps(made_of, sort_keys=True, default=str)
    if key not in _no_tariff_scenarios:
        _no_tariff_scenarios[key] = no_tariff_counterfactual(loaded)
        while len(_no_tariff_scenarios) > 4:
            _no_tariff_scenarios.popitem(last=False)
    _no_tariff_scenarios.move_to_end(key)
    return _no_tariff_scenarios[key]


def _no_tariff_worlds(
    counters: list[tuple[Any, int | None]], run_scenarios: Callable
) -> dict[str, _Quantities | RunRefused]:
    """The taxed quantities of each distinct no-tariff world, by scenario key (kept for the
    next requests: most runs of a class share one), or why it could not run."""

    wanted: dict[str, tuple[Any, int | None]] = {}
    found: dict[str, _Quantities | RunRefused] = {}
    for loaded, seed in counters:
        key = _scenario_key(loaded, seed)
        if key not in _counterfactuals:
            wanted.setdefault(key, (loaded, seed))
    if wanted:
        items = list(wanted.values())
        runs = _each_or_refused(run_scenarios, [c for c, _ in items], [s for _, s in items])
        for key, result in zip(wanted, runs, strict=True):
            found[key] = result if isinstance(result, RunRefused) else _Quantities(result)
            if not isinstance(result, RunRefused):
                _counterfactuals[key] = found[key]
    for loaded, seed in counters:
        key = _scenario_key(loaded, seed)
        if key in _counterfactuals:
            _counterfactuals.move_to_end(key)
            found[key] = _counterfactuals[key]
    while len(_counterfactuals) > 4:
        _counterfactuals.popitem(last=False)
    return found


def _each_or_refused(run, loaded: list, seeds: list) -> list:
    """``run(loaded, seeds)`` as a batch; if the batch refuses (a member blew up), each run
    alone, so that only the failing ones are refused."""
    from simulator.calibration.dataset import DataError

    try:
        return run(loaded, seeds)
    except (ScenarioError, DataError):
        out = []
        for item, seed in zip(loaded, seeds, strict=True):
            try:
                out.append(run([item], [seed])[0])
            except (ScenarioError, DataError) as exc:
                out.append(RunRefused(str(exc)))
        return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _warm() -> int:
    """Import the engine in a new worker (so the first student's run does not pay for it)."""
    import simulator.api
    import simulator.results.incidence  # noqa: F401

    gc.freeze()  # what the imports made lives as long as the worker: _trim's collections skip it
    return os.getpid()


def _trim() -> None:
    """Give freed memory back to the system (glibc keeps it otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# -- the pool ---------------------------------------------------------------------------------


def request_key(source, levers, seed: int | None) -> str:
    """Identical requests (scenario or upload bytes, levers, seed) share one result."""
    from dataclasses import asdict

    src = source if isinstance(source, str) else _digest(source.data)
    text = json.dumps([src, asdict(levers), seed], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class RunPool:
    """A bounded pool of worker processes with a first-come queue, shared by all sessions.

    Requests wait in one queue. Whenever a worker is free it takes the oldest request and the
    waiting requests that can share its batch (the same scenario with other tariffs), up to
    :data:`MAX_BATCH`, spread evenly over the free workers, and makes them as members of one
    batch (:func:`compute_batch`): a class clicking Run together costs the server a few
    batches, not thirty runs. :meth:`submit` returns a :class:`Ticket`, which says whether its
    run is running or how many requests are ahead of it. Results of identical requests are
    shared while some session keeps them (held weakly here, so a closed session's runs are
    freed with it).
    """

    def __init__(self, workers: int | None = None, inline: bool = False):
        self.workers = workers or int(os.environ.get(ENV_WORKERS, max(1, os.cpu_count() or 1)))
        self.inline = inline
        self.lock = threading.Lock()
        self._executor: cf.Executor | None = None
        self._issued = 0
        self._waiting: list[int] = []  # tickets not finished, in order
        self._queue: list[tuple[int, str, Request]] = []  # requests not yet given to a worker
        self._busy = 0  # batches out with the workers
        self._futures: dict[str, cf.Future] = {}  # requests not finished, by request key
        self._cache: weakref.WeakValueDictionary[str, RunView] = weakref.WeakValueDictionary()
        self.batch_sizes: Counter[int] = Counter()
        """How many batches of each size the pool has given its workers."""
        self._last_used = time.monotonic()
        self._reaper: threading.Thread | None = None
        self.keep_alive = lambda: False
        """Set by the app: True while any session is open (workers then stay up)."""

    def _pool(self) -> cf.Executor:
        if self._executor is None:
            if self.inline:
                self._executor = cf.ThreadPoolExecutor(self.workers)
            else:
                context = multiprocessing.get_context("spawn")
                self._executor = cf.ProcessPoolExecutor(self.workers, mp_context=context)
                for f in [self._executor.submit(_warm) for _ in range(self.workers)]:
                    f.result()
            if self._reaper is None or not self._reaper.is_alive():
                self._reaper = threading.Thread(target=self._reap, daemon=True)
                self._reaper.start()
        return self._executor

    def _reap(self) -> None:
        """Stop idle workers, so a quiet server holds only its sessions' small views."""
        while True:
            time.sleep(5)
            if self.keep_alive():
                continue
            with self.lock:
                idle = not self._futures and time.monotonic() - self._last_used > IDLE_SECONDS
                if idle and self._executor is not None:
                    self._executor.shutdown(wait=False)
                    self._executor = None
                    self._reaper = None
                    _trim()
                    return

    def warm(self) -> None:
        with self.lock:
            self._pool()

    def submit(self, source, levers, label: str, limits: Limits, seed=None) -> Ticket:
        """Queue a run; identical ones in flight or done are shared."""
        key = request_key(source, levers, seed)
        with self.lock:
            self._last_used = time.monotonic()
            self._issued += 1
            number = self._issued
            if (kept := self._cache.get(key)) is not None:
                done: cf.Future = cf.Future()
                done.set_result(kept)
                return Ticket(self, number, done, label)
            future = self._futures.get(key)
            if future is None:
                future = cf.Future()
                self._futures[key] = future
                self._waiting.append(number)
                self._queue.append((number, key, Request(source, levers, label, limits, seed)))
                future.add_done_callback(lambda f, k=key, n=number: self._finished(k, n, f))
                self._dispatch()
            return Ticket(self, number, future, label)

    def _dispatch(self) -> None:
        """Give free workers batches from the queue (the lock is held)."""
        while self._queue and self._busy < self.workers:
            group = self._queue[0][2].group()
            alike = [item for item in self._queue if item[2].group() == group]
            free = self.workers - self._busy
            batch = alike[: min(MAX_BATCH, -(-len(alike) // free))]
            taken = {number for number, _, _ in batch}
            self._queue = [item for item in self._queue if item[0] not in taken]
            self._busy += 1
            self.batch_sizes[len(batch)] += 1
            task = self._pool().submit(compute_batch, [request for _, _, request in batch])
            task.add_done_callback(lambda f, b=batch: self._delivered(b, f))

    def _delivered(self, batch: list[tuple[int, str, Request]], task: cf.Future) -> None:
        """A batch came back: its results go to their tickets; the next batches go out."""
        with self.lock:
            self._busy -= 1
            self._last_used = time.monotonic()
            futures = [self._futures[key] for _, key, _ in batch]
            if self._queue:
                self._dispatch()
        failure = task.exception()
        outcomes = [failure] * len(batch) if failure is not None else task.result()
        for future, outcome in zip(futures, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _finished(self, key: str, number: int, future: cf.Future) -> None:
        with self.lock:
            self._futures.pop(key, None)
            if number in self._waiting:
                self._waiting.remove(number)
            if future.exception() is None:
                self._cache[key] = future.result()

    def running(self, number: int) -> bool:
        """Whether ticket ``number`` is with a worker (or done)."""
        with self.lock:
            return all(n != number for n, _, _ in self._queue)

    def position(self, number: int) -> int:
        """Requests ahead of ticket ``number`` that are not finished (running or waiting);
        0 when it is done."""
        with self.lock:
            if number not in self._waiting:
                return 0
            return sum(1 for n in self._waiting if n < number)

    def queued(self) -> int:
        with self.lock:
            return len(self._waiting)

    def shutdown(self) -> None:
        with self.lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None


@dataclass
class Ticket:
    pool: RunPool
    number: int
    future: cf.Future
    label: str

    def running(self) -> bool:
        return self.pool.running(self.number)

    def position(self) -> int:
        return self.pool.position(self.number)

    def result(self, timeout: float | None = None) -> RunView:
        try:
            return self.future.result(timeout)
        except RunRefused as exc:
            raise ScenarioError.simple(str(exc)) from None


_pool: RunPool | None = None
_pool_lock = threading.Lock()


def pool() -> RunPool:
    """The server's pool (one per process)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = RunPool()
        return _pool


def run_child(source, levers, label: str, limits: Limits) -> dict[str, Any]:
    """The child scenario a run will use, checked (bad levers or limits raise ScenarioError)
    before it is queued, so a refusal is immediate."""
    from simulator.dashboard.levers import extends_name, opened
    from simulator.scenario import load_scenario

    with opened(source) as (base, extends):
        loaded = load_scenario(levers.child(base, extends, label))
        limits.check(loaded.scenario)
        return levers.child(base, extends_name(source), label)
