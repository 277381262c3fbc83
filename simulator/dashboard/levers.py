"""The dashboard's levers, as a scenario: what the sliders mean, without any web code.

A set of :class:`Levers` becomes a child scenario that ``extends`` the chosen one
(:meth:`Levers.child`): new tariffs with their own ids, a retaliation rule, a scaled AI-capex
path, a dollar path, parameters and mechanism switches. The same mapping is the YAML file a
student downloads, so what ran in the page runs again with ``tradesim run``.
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simulator.api import run_scenario
from simulator.calibration.dataset import load_dataset
from simulator.game.game import RETALIATION_SECTORS
from simulator.results.incidence import incidence, no_tariff_counterfactual
from simulator.results.result import SimulationResult
from simulator.scenario import (
    LoadedScenario,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    resolve_parameters,
)
from simulator.scenario.schema import Mechanisms

MAX_UPLOAD_BYTES = 256 * 1024
"""Largest scenario file the page accepts (bundled ones are under 20 KB)."""

NEEDS_A_PARAMETER = ("export_scale",)
"""Channels the page does not offer: switching one on needs a parameter it has no lever for
(scale in exporting needs parameters.export_scale_elasticity; docs/mechanisms.md §16)."""
MECHANISMS = tuple(k for k in Mechanisms.model_fields if k not in NEEDS_A_PARAMETER)


@dataclass(frozen=True)
class Slider:
    """A lever's slider: its range and step. A browser's slider snaps a value to its step and
    range (a scenario's adjustment speed of 0.0055 sits at 0.01), so a lever takes the slider's
    value only once the student has moved it away from where the scenario's own value sits."""

    low: float
    high: float
    step: float

    def snap(self, value: float) -> float:
        """Where the slider puts ``value``."""
        return min(max(round(value / self.step) * self.step, self.low), self.high)

    def lever(self, value: float, own: float) -> float | None:
        """The lever for the slider at ``value``: None (the scenario's ``own`` value, kept
        exactly) while the slider sits at ``own`` or where ``own`` snaps to."""
        if value == own or abs(value - self.snap(own)) < 1e-9:
            return None
        return value


PASS_THROUGH_SLIDER = Slider(0.0, 1.0, 0.05)
ADJUSTMENT_SLIDER = Slider(0.01, 1.0, 0.01)


@dataclass
class Levers:
    """What a class changes in the page. Rates are extra percentage points on US imports.

    ``pass_through`` and ``adjustment_speed`` are None to keep the scenario's value;
    ``dollar_change_pct`` None keeps the scenario's dollar path, a number replaces it with a
    straight line from 2024's average to that change by December 2025 (broad dollar index).
    """

    autos_rate: float = 0.0
    steel_rate: float = 0.0
    china_rate: float = 0.0
    eu_rate: float = 0.0
    effective: str = "2025-04"
    retaliation_rate: float = 0.0
    ai_capex_scale: float = 1.0
    dollar_change_pct: float | None = None
    pass_through: float | None = None
    adjustment_speed: float | None = None
    mechanisms: dict[str, bool] = field(default_factory=dict)

    def tariffs(self) -> list[dict[str, Any]]:
        announced = _month_before(self.effective)
        common = {"imposer": "USA", "announced": announced, "effective": f"{self.effective}-01"}
        wanted = [
            ("dashboard_autos", self.autos_rate, {"sectors": ["autos"]}),
            ("dashboard_steel", self.steel_rate, {"sectors": ["steel"]}),
            ("dashboard_china", self.china_rate, {"partners": ["CHN"]}),
            ("dashboard_eu", self.eu_rate, {"partners": ["EU"]}),
        ]
        return [
            {"id": tid, **common, **scope, "rate": rate, "source": "dashboard lever"}
            for tid, rate, scope in wanted
            if rate > 0
        ]

    def retaliates(self) -> bool:
        """A retaliation rate is set and the retaliation switch is not turned off."""
        return self.retaliation_rate > 0 and self.mechanisms.get("retaliation", True)

    def retaliation(self) -> list[dict[str, Any]]:
        if not self.retaliates():
            return []
        return [
            {
                "id": f"dashboard_{region.lower()}_retaliates",
                "imposer": region,
                "target": "USA",
                "trigger": {"threshold": 1},
                "lag_months": 1,
                "sectors": list(RETALIATION_SECTORS),
                "rate": self.retaliation_rate,
                "source": "dashboard lever",
            }
            for region in ("CHN", "EU")
        ]

    def child(self, base: LoadedScenario, extends: str, name: str) -> dict[str, Any]:
        """The child scenario of ``base`` (named by ``extends``) with these levers."""
        s = base.scenario
        needed = {"CHN"} if self.china_rate > 0 else set()
        needed |= {"EU"} if self.eu_rate > 0 else set()
        needed |= {"CHN", "EU"} if self.retaliates() else set()
        if s.regions is not None and (absent := sorted(needed - {"USA", *s.regions})):
            raise ScenarioError.simple(
                f"{s.name} does not model {' and '.join(absent)} as a region of its own "
                f"(its regions: {', '.join(s.regions)}); set that lever to 0"
            )
        months = effective_months(base)
        if (self.tariffs() or self.retaliation()) and self.effective not in months:
            span = f"{months[0]} to {months[-1]}" if months else "none"
            raise ScenarioError.simple(
                f"the levers' tariffs would take effect in {self.effective}, but {s.name} can "
                f"start new tariffs only in its horizon after its first month ({span}); "
                "choose a month in 'Take effect in', or set the tariff and retaliation levers to 0"
            )
        child: dict[str, Any] = {
            "extends": extends,
            "name": name,
            "description": f"{s.name} with the dashboard's levers: {self.describe(base)}",
        }
        if tariffs := self.tariffs():
            child["tariffs"] = tariffs
        if rules := self.retaliation():
            child["retaliation"] = rules
        shocks: dict[str, Any] = {}
        if s.shocks.ai_capex is not None and self.ai_capex_scale != 1.0:
            path = {m: round(v * self.ai_capex_scale, 6) for m, v in s.shocks.ai_capex.path.items()}
            shocks["ai_capex"] = {"path": path}
        if self.dollar_change_pct is not None:
            shocks["exchange_rates"] = [
                {
                    "region": "USA",
                    "path": {"2024-12": 1.0, "2025-12": round(1 + self.dollar_change_pct / 100, 6)},
                    "source": "dashboard lever",
                }
            ]
        if shocks:
            child["shocks"] = shocks
        params = {
            k: v
            for k, v in (
                ("pass_through", self.pass_through),
                ("adjustment_speed", self.adjustment_speed),
            )
            if v is not None and v != getattr(defaults(base), k)
        }
        if params:
            child["parameters"] = params
        switches = {k: v for k, v in self.mechanisms.items() if getattr(s.mechanisms, k) != v}
        if switches:
            child["mechanisms"] = switches
        return child

    def describe(self, base: LoadedScenario) -> str:
        """The levers that differ from the scenario, in a few words."""
        words = [
            f"+{t['rate']:g}% on {'/'.join(t.get('sectors', t.get('partners', [])))}"
            for t in self.tariffs()
        ]
        if self.retaliates():
            words.append(f"CHN and EU retaliate {self.retaliation_rate:g}%")
        if self.ai_capex_scale != 1.0 and base.scenario.shocks.ai_capex is not None:
            words.append(f"AI capex x{self.ai_capex_scale:g}")
        if self.dollar_change_pct is not None:
            words.append(f"dollar {self.dollar_change_pct:+g}% by 2025-12")
        d = defaults(base)
        if self.pass_through is not None and self.pass_through != d.pass_through:
            words.append(f"pass-through {self.pass_through:g}")
        if self.adjustment_speed is not None and self.adjustment_speed != d.adjustment_speed:
            words.append(f"adjustment {self.adjustment_speed:g}/month")
        off = [
            k for k, v in self.mechanisms.items() if not v and getattr(base.scenario.mechanisms, k)
        ]
        on = [
            k for k, v in self.mechanisms.items() if v and not getattr(base.scenario.mechanisms, k)
        ]
        words += [f"{k} off" for k in off] + [f"{k} on" for k in on]
        return ", ".join(words) or "none changed"


def _month_before(month: str) -> str:
    year, mon = map(int, month.split("-"))
    year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return f"{year:04d}-{mon:02d}-01"


def defaults(base: LoadedScenario):
    """The scenario's behaviour parameters with the data set's defaults filled in."""
    data = load_dataset(base.scenario.data)
    return resolve_parameters(base.scenario.parameters, data)


def effective_months(base: LoadedScenario) -> list[str]:
    """Months in which the levers' tariffs may start: the scenario's horizon after its first
    month (so that importers can hear of them a month ahead)."""
    s = base.scenario
    year, mon = map(int, s.start.split("-"))
    months = []
    for _ in range(s.n_months):
        months.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return months[1:]


# -- uploads ---------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """A file name with no folders and only plain characters, ending in .yaml."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(name).name).strip("._") or "scenario"
    stem = re.sub(r"\.(ya?ml)$", "", stem, flags=re.IGNORECASE)[:60] or "scenario"
    return f"{stem}.yaml"


@dataclass(frozen=True)
class Upload:
    """A scenario file uploaded from a browser: its (safe) name and its bytes."""

    filename: str
    data: bytes

    @staticmethod
    def check(name: str, size: int) -> None:
        """Refuse, before reading it, a file that is not YAML or is above
        :data:`MAX_UPLOAD_BYTES`."""
        shown = Path(name).name
        if not shown.lower().endswith((".yaml", ".yml")):
            raise ScenarioError.simple(
                "this is not a scenario file: scenario files are YAML files whose names end "
                "in .yaml or .yml (download one with 'Settings (YAML)' to see the format)",
                file=shown,
            )
        if size > MAX_UPLOAD_BYTES:
            raise ScenarioError.simple(
                f"the file is {size / 1024:,.0f} KB; scenario files are at most "
                f"{MAX_UPLOAD_BYTES // 1024} KB",
                file=shown,
            )

    @classmethod
    def receive(cls, name: str, data: bytes) -> Upload:
        """An upload, validated: a file that is not YAML, too large or a bad scenario raises
        ScenarioError."""
        cls.check(name, len(data))
        upload = cls(safe_filename(name), data)
        base_info(upload)
        return upload


Source = str | Upload
"""A bundled scenario's name or an uploaded file."""


@contextmanager
def opened(source: Source) -> Iterator[tuple[LoadedScenario, str]]:
    """The scenario and the ``extends`` reference a child mapping uses for it.

    An upload lives in a temporary folder only while it is in use. It may extend bundled
    scenarios only, never a file on the server. Its errors name the file as the student
    called it, with line and key, and bundled files by their names, not the server's folders.
    """
    if isinstance(source, str):
        with _plain_errors():
            yield _bundled(source), source
        return
    with tempfile.TemporaryDirectory(prefix="tradesim-upload-") as folder:
        path = Path(folder) / source.filename
        path.write_bytes(source.data)
        with _plain_errors(folder):
            yield load_scenario(path, local_extends=False), str(path)


_loaded: dict[str, tuple[tuple | None, LoadedScenario]] = {}


def _bundled(name: str) -> LoadedScenario:
    """A bundled scenario, loaded again only when a file it is made of has changed (each
    student's run and page asks for it, in the server and in its workers)."""
    kept = _loaded.get(name)
    if kept is not None and kept[0] is not None and kept[0] == _stamps(kept[1].chain):
        return kept[1]
    loaded = load_scenario(name)
    _loaded[name] = (_stamps(loaded.chain), loaded)
    return loaded


def _stamps(files: list[str]) -> tuple | None:
    """When and how big each file was last written (None if one is gone)."""
    try:
        return tuple((f, (st := os.stat(f)).st_mtime_ns, st.st_size) for f in files)
    except OSError:
        return None


@contextmanager
def _plain_errors(*folders: str) -> Iterator[None]:
    """Scenario errors without the server's folders (the upload's and the bundled ones), as
    messages write them: absolute, or relative to the working folder when inside it."""
    try:
        yield
    except ScenarioError as exc:
        message = str(exc)
        bundled = {str(path.resolve().parent) for path in bundled_scenarios().values()}
        for folder in sorted({*folders, *bundled}, key=len, reverse=True):
            for shown in {folder, _relative(folder)}:
                message = message.replace(f"{shown}/", "")
        raise ScenarioError.simple(message) from None


def _relative(folder: str) -> str:
    """``folder`` as a message shows it: relative to the working folder when inside it."""
    try:
        return str(Path(folder).relative_to(Path.cwd()))
    except ValueError:
        return folder


@dataclass(frozen=True)
class BaseInfo:
    """What the levers need to know about the chosen scenario."""

    name: str
    description: str
    months: tuple[str, ...]
    has_ai_capex: bool
    pass_through: float
    adjustment_speed: float
    mechanisms: tuple[tuple[str, bool], ...]


@functools.lru_cache(maxsize=32)
def base_info(source: Source) -> BaseInfo:
    """Facts about a scenario, cached (pages re-render often); raises ScenarioError if bad."""
    with opened(source) as (base, _):
        params = defaults(base)
        return BaseInfo(
            name=base.scenario.name,
            description=" ".join(str(base.scenario.description or "").split()),
            months=tuple(effective_months(base)),
            has_ai_capex=base.scenario.shocks.ai_capex is not None,
            pass_through=params.pass_through,
            adjustment_speed=params.adjustment_speed,
            mechanisms=tuple(
                (k, on)
                for k, on in base.scenario.mechanisms.model_dump().items()
                if k in MECHANISMS
            ),
        )


def extends_name(source: Source) -> str:
    """How a downloaded file names its parent: the bundled name or the uploaded file."""
    return source if isinstance(source, str) else source.filename


def as_uploaded(result: SimulationResult, extends: str, source: Source) -> None:
    """Name an uploaded file in the result's provenance as the student named it, not by the
    server's temporary folder it was read from (``extends``, as :func:`opened` gives it)."""
    if isinstance(source, str):
        return
    chain = result.provenance.scenario_chain
    result.provenance.scenario_chain = [source.filename if p == extends else p for p in chain]


# -- running and exporting ---------------------------------------------------------------------


@dataclass
class Run:
    """One run in the page: its settings, result, and who pays (against the same world
    without tariffs; only that table is kept of the second run, to spare memory)."""

    label: str
    child: dict[str, Any]
    result: SimulationResult
    who_pays: pd.DataFrame


def run_levers(
    source: Source,
    levers: Levers,
    label: str,
    progress: Callable[[int, int], None] | None = None,
) -> Run:
    """Validate and run the child scenario (and its no-tariff counterfactual)."""
    with opened(source) as (base, extends):
        loaded = load_scenario(levers.child(base, extends, label))
    child = levers.child(base, extends_name(source), label)
    total = 2 * loaded.scenario.n_months

    def first(done: int, n: int) -> None:
        if progress:
            progress(done, total)

    def second(done: int, n: int) -> None:
        if progress:
            progress(n + done, total)

    result = run_scenario(loaded, progress=first)
    as_uploaded(result, extends, source)
    counterfactual = run_scenario(no_tariff_counterfactual(loaded), progress=second)
    return Run(label, child, result, incidence(result, counterfactual))


def scenario_yaml(child: dict[str, Any]) -> str:
    """The child scenario as a YAML file, with a header saying how to run it."""
    header = (
        f"# {child['name']}: settings from the tradesim dashboard.\n"
        f"# It extends {child['extends']}; run it with: tradesim run {child['name']}.yaml\n"
    )
    return header + yaml.safe_dump(child, sort_keys=False, allow_unicode=True)


def results_zip(run: Run, fmt: str) -> bytes:
    """The run's trade, macro and who-pays tables as CSV or Parquet files in a zip, with the
    settings file and the provenance (scenario hash, seed, versions)."""
    tables = {"trade": run.result.trade, "macro": run.result.macro, "who_pays": run.who_pays}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            if fmt == "parquet":
                data = io.BytesIO()
                frame = frame.copy(deep=False)  # the provenance travels with the data
                frame.attrs["provenance"] = run.result.provenance.__dict__
                frame.to_parquet(data, index=False)
                archive.writestr(f"{name}.parquet", data.getvalue())
            else:
                archive.writestr(f"{name}.csv", frame.to_csv(index=False))
        archive.writestr(f"{run.label}.yaml", scenario_yaml(run.child))
        provenance = json.dumps(run.result.provenance.__dict__, indent=2)
        archive.writestr("provenance.json", provenance + "\n")
    return buffer.getvalue()


def key_table(runs: list[Run]) -> pd.DataFrame:
    """Key outcomes in the last complete year of each run, and differences from the first."""
    from simulator.results.summary import key_outcomes

    columns = {}
    for run in runs:
        table = key_outcomes(run.result)
        if not table.empty:
            columns[run.label] = table.iloc[:, 1]
    # runs may differ in rows (gold switched off has none): keep the order of the longest
    rows = list(max((c.index for c in columns.values()), key=len, default=[]))
    for column in columns.values():
        rows += [r for r in column.index if r not in rows]
    frame = pd.DataFrame({label: c.reindex(rows) for label, c in columns.items()}, index=rows)
    if len(runs) > 1 and runs[0].label in frame:
        first = runs[0].label
        for run in runs[1:]:
            if run.label in frame:
                frame[f"{run.label} − {first}"] = frame[run.label] - frame[first]
    return frame
