"""Moments files: published moments, the replays that produce them, the parameters to free.

A moments file says what to estimate and on what evidence::

    base:                          # what every replay starts from
      scenario: baseline           # a bundled name, or a path relative to this file
      set: [firms.count=0]         # --set overrides (a continuum of firms: deterministic)
    replays:                       # the studies' episodes, replayed from the base year
      china_2018:
        at: 2025-01                # the month the episode starts (windows count from it)
        end: 2026-12
        tariffs: [{imposer: USA, partners: [CHN], sectors: [machinery], rate: 15,
                   effective: 2025-01-01}]
    moments:
      - id: arw_targeted
        source: "Amiti, Redding & Weinstein (2019), JEP 33(4):187-210"
        estimate: -6.5
        se: 0.5
        se_derived: "how the standard error was obtained when the paper gives none"
        statistic: {kind: elasticity, replay: china_2018, window: [1, 12],
                    importers: [USA], exporters: [CHN], sectors: [machinery]}
    parameters:                    # what is freed, with bounds
      - {name: parameters.adjustment_speed, bounds: [0.005, 0.3]}
      - {name: elasticity_scale, scales: [parameters.elasticities], bounds: [0.1, 1.5]}
    estimation: {seed: 2025, starts: 24}

It is read with the scenario loader's YAML reader, so every error names the file, line and key,
and the replays' tariffs and shocks are checked by the scenario schema itself.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from simulator.runs.run import _member_parameter
from simulator.scenario import LoadedScenario, ScenarioError, load_scenario
from simulator.scenario.errors import (
    Issue,
    KeyPath,
    did_you_mean,
    issues_from_validation,
    locator,
)
from simulator.scenario.schema import Month, Parameters, SafeName
from simulator.scenario.yaml_io import load_yaml, read_yaml_text

BUNDLED = "simulator.estimation"
MAX_MOMENTS = 100
MAX_PARAMETERS = 20
MAX_STARTS = 1_000
MAX_EVALUATIONS = 500
PRE_MONTHS = 12
"""The pre-period of a regression: the twelve months before the replay's ``at`` month."""

Codes = Literal["all"] | Annotated[list[str], Field(min_length=1)]
Window = Annotated[list[int], Field(min_length=2, max_length=2)]


class _Strict(BaseModel):
    """Unknown keys are errors, and every number is finite (no .nan, .inf)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Base(_Strict):
    scenario: str = Field(min_length=1, description="A bundled scenario name or a path.")
    set: list[str] = Field(default_factory=list, description="--set overrides, e.g. firms.count=0.")


class Replay(_Strict):
    """A study's episode: tariffs (and shocks) added to the base scenario."""

    at: Month = Field(description="Month the episode starts; windows count from it (1 = at).")
    start: Month | None = Field(None, description="First month simulated (default: base's).")
    end: Month = Field(description="Last month simulated.")
    tariffs: list[dict[str, Any]] = Field(default_factory=list, description="Tariff entries.")
    shocks: dict[str, Any] = Field(default_factory=dict, description="A shocks block.")
    note: str = ""

    @model_validator(mode="after")
    def _something(self) -> Replay:
        if not self.tariffs and not self.shocks:
            raise ValueError("a replay needs 'tariffs' or 'shocks': what the study observed")
        return self


class Cells(_Strict):
    """Trade flows: from ``exporters`` to ``importers`` in ``sectors`` (foreign flows only)."""

    importers: Codes = "all"
    exporters: Codes = "all"
    sectors: Codes = "all"


class _Stat(Cells):
    replay: str = Field(min_length=1, description="Name of a replay in 'replays'.")
    measure: Literal["value", "volume"] = Field(
        "value", description="Customs value (US$), or volume (at base-year unit values)."
    )
    window: Window = Field(description="[first, last] month after 'at' (1 = 'at'), summed.")

    @field_validator("window")
    @classmethod
    def _ordered(cls, window: list[int]) -> list[int]:
        if not 1 <= window[0] <= window[1] <= 600:
            raise ValueError("'window' is [first, last] with 1 <= first <= last <= 600")
        return window


class Elasticity(_Stat):
    """(ln X - ln X*) / (ln(1+t) - ln(1+t*)): the replay (X) against the base (X*)."""

    kind: Literal["elasticity"]
    relative_to: Cells | None = Field(None, description="Cells whose log change is netted out.")


class LogChange(_Stat):
    """100 (ln X - ln X*): percent change of the cells' trade against the base."""

    kind: Literal["log_change"]
    relative_to: Cells | None = Field(None, description="Cells whose log change is netted out.")


class FxElasticity(_Stat):
    """(ln X - ln X*) / -(ln(e_o/e_d) - ln(e_o/e_d)*): response to the exporter's real
    depreciation against the importer (positive when exports rise)."""

    kind: Literal["fx_elasticity"]


class Regression(_Stat):
    """OLS across exporter x importer x sector cells of the change in log trade (window
    against the twelve months before ``at``, net of the base run's) on the change in
    ln(1+tariff), with importer-sector fixed effects (a local projection)."""

    kind: Literal["regression"]
    fixed_effects: Literal["importer_sector", "none"] = "importer_sector"


class DiversionShare(_Stat):
    """The rise of imports from other foreign origins over the fall of imports from
    ``exporters`` (the targeted ones), in the importers and sectors, against the base."""

    kind: Literal["diversion_share"]


def _kind(value: Any) -> str | None:
    """A statistic's ``kind`` (it picks the block's model)."""
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


_SIMPLE_KINDS = "elasticity, log_change, fx_elasticity, regression or diversion_share"
_KINDS = "elasticity, log_change, fx_elasticity, regression, diversion_share or ratio"
Simple = Annotated[
    Annotated[Elasticity, Tag("elasticity")]
    | Annotated[LogChange, Tag("log_change")]
    | Annotated[FxElasticity, Tag("fx_elasticity")]
    | Annotated[Regression, Tag("regression")]
    | Annotated[DiversionShare, Tag("diversion_share")],
    Discriminator(
        _kind,
        custom_error_type="statistic_kind",
        custom_error_message=f"Input should have 'kind': {_SIMPLE_KINDS}",
    ),
]


class Ratio(_Strict):
    """One statistic over another (each with its own replay)."""

    kind: Literal["ratio"]
    numerator: Simple
    denominator: Simple


Statistic = Annotated[
    Annotated[Elasticity, Tag("elasticity")]
    | Annotated[LogChange, Tag("log_change")]
    | Annotated[FxElasticity, Tag("fx_elasticity")]
    | Annotated[Regression, Tag("regression")]
    | Annotated[DiversionShare, Tag("diversion_share")]
    | Annotated[Ratio, Tag("ratio")],
    Discriminator(
        _kind,
        custom_error_type="statistic_kind",
        custom_error_message=f"Input should have 'kind': {_KINDS}",
    ),
]


class Moment(_Strict):
    id: SafeName = Field(description="Short name, unique in the file.")
    source: str = Field(min_length=10, description="The primary publication.")
    estimate: float = Field(description="The published estimate.")
    se: float = Field(gt=0.0, description="Its standard error.")
    se_derived: str | None = Field(
        None, description="How the standard error was derived when the paper gives none."
    )
    statistic: Statistic
    note: str = ""


class FreeParameter(_Strict):
    name: str = Field(min_length=1, description="A member parameter (parameters.x) or a label.")
    scales: list[str] | None = Field(
        None, min_length=1, description="Member parameters this multiplies (defaults x value)."
    )
    bounds: Annotated[list[float], Field(min_length=2, max_length=2)]
    log: bool | None = Field(None, description="Search on a log scale (default: low > 0).")
    note: str = ""

    @model_validator(mode="after")
    def _bounds(self) -> FreeParameter:
        low, high = self.bounds
        if not low < high:
            raise ValueError("'bounds' must be [low, high] with low below high")
        if self.log and low <= 0:
            raise ValueError("'log: true' needs a positive lower bound")
        return self

    @property
    def log_scale(self) -> bool:
        return self.bounds[0] > 0 if self.log is None else self.log


class Estimation(_Strict):
    method: Literal["differential_evolution", "least_squares"] = Field(
        "differential_evolution",
        description="scipy.optimize.differential_evolution (derivative-free, for moments "
        "that are step functions of a parameter) or least_squares (trust region, smooth).",
    )
    seed: int = Field(0, ge=0, description="Seed of the search and of the SE neighbourhood.")
    population: int = Field(
        6, ge=2, le=100, description="differential_evolution: population per parameter."
    )
    generations: int = Field(
        30, ge=1, le=MAX_EVALUATIONS, description="differential_evolution: most generations."
    )
    tolerance: float = Field(
        0.01, gt=0.0, le=1.0, description="differential_evolution: relative spread to stop."
    )
    starts: int = Field(
        16, ge=0, le=MAX_STARTS, description="least_squares: Latin hypercube starting points."
    )
    max_evaluations: int = Field(
        60, ge=1, le=MAX_EVALUATIONS, description="least_squares: most evaluations."
    )
    weighting: Literal["diagonal"] = Field(
        "diagonal", description="1/se^2: the optimal weights for independent studies."
    )
    step: float = Field(
        0.1,
        gt=0.0,
        le=0.5,
        description="Half-width of the neighbourhood over which the Jacobian is fitted "
        "(share of each value; least_squares also steps by it).",
    )
    draws: int = Field(1, ge=1, le=100, description="Seeds averaged per candidate (firms > 0).")


class MomentsSpec(_Strict):
    name: SafeName = Field(description="Short name of the estimation.")
    description: str = ""
    base: Base
    replays: dict[str, Replay] = Field(min_length=1)
    moments: list[Moment] = Field(min_length=1, max_length=MAX_MOMENTS)
    parameters: list[FreeParameter] = Field(min_length=1, max_length=MAX_PARAMETERS)
    estimation: Estimation = Field(default_factory=Estimation)


@dataclass(frozen=True)
class MomentsFile:
    """A valid moments file: its spec, where it came from, the loaded base scenario and each
    replay as a scenario mapping (loaded once to check it)."""

    spec: MomentsSpec
    path: Path
    sha256: str
    base: LoadedScenario
    replays: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def moment_ids(self) -> list[str]:
        return [m.id for m in self.spec.moments]


def bundled_moments() -> list[str]:
    """Names of the moments files shipped with tradesim."""
    folder = resources.files(BUNDLED) / "moments"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def resolve_path(source: str | os.PathLike) -> Path:
    """A path as given, or a bundled moments file by name (``pre2025``)."""
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    if str(source) in bundled_moments():
        return Path(str(resources.files(BUNDLED) / "moments" / f"{source}.yaml"))
    hint = did_you_mean(source, bundled_moments())
    message = "no such moments file, and no bundled one of that name"
    raise ScenarioError([Issue(str(source), None, None, "", message, hint=hint)])


def load_moments(source: str | os.PathLike, overrides: Sequence[str] = ()) -> MomentsFile:
    """Read and check a moments file (or a bundled one by name); errors name its file, line
    and key, with a hint. ``overrides`` (``key.path=value``, as ``--set``) are added to the
    file's ``base.set``."""
    path = resolve_path(source)
    name = str(source)
    text = read_yaml_text(path, name)
    data, positions = load_yaml(text, name)
    if not isinstance(data, dict):
        raise ScenarioError([Issue(name, 1, 1, "", "a moments file must be a block of keys")])
    locate = locator(name, positions)

    try:
        spec = MomentsSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(issues_from_validation(exc, MomentsSpec, data, locate)) from None
    if overrides:
        base_set = spec.base.model_copy(update={"set": [*spec.base.set, *overrides]})
        spec = spec.model_copy(update={"base": base_set})
    base = _load_base(spec, path, locate)
    _check_references(spec, base, locate)
    replays = {key: _replay_mapping(spec, base, key, locate) for key in spec.replays}
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return MomentsFile(spec, path, digest, base, replays)


def _load_base(spec: MomentsSpec, path: Path, locate: Any) -> LoadedScenario:
    named = spec.base.scenario
    if "/" in named or "\\" in named or named.endswith((".yaml", ".yml")):
        named = str(path.parent / named)
    try:
        return load_scenario(named, spec.base.set)
    except ScenarioError as exc:
        first = Issue.at(locate(("base",)), ("base",), f"base {spec.base.scenario!r} is invalid")
        raise ScenarioError([first, *exc.issues]) from None


def _replay_mapping(
    spec: MomentsSpec, base: LoadedScenario, key: str, locate: Any
) -> dict[str, Any]:
    """The replay as a scenario mapping (the base plus its tariffs and shocks), checked."""
    replay = spec.replays[key]
    raw = copy.deepcopy(base.raw)
    raw.pop("extends", None)
    raw["name"] = f"{spec.name}_{key}"[:60]
    raw["description"] = replay.note
    if replay.start is not None:
        raw["start"] = replay.start
    raw["end"] = replay.end
    raw["tariffs"] = [*raw.get("tariffs", []), *copy.deepcopy(replay.tariffs)]
    shocks = raw.setdefault("shocks", {})
    for block, entries in replay.shocks.items():
        shocks[block] = [*shocks.get(block, []), *copy.deepcopy(entries)]
    where = ("replays", key)
    try:
        loaded = load_scenario(raw)
    except ScenarioError as exc:
        first = Issue.at(locate(where), where, f"replay {key!r} is not a valid scenario")
        raise ScenarioError([first, *exc.issues]) from None
    s = loaded.scenario
    if not s.start <= _month_shift(replay.at, -PRE_MONTHS) or not replay.at <= s.end:
        message = (
            f"'at' ({replay.at}) must lie in the horizon {s.start} to {s.end} with "
            f"{PRE_MONTHS} months before it (a regression's pre-period)"
        )
        raise ScenarioError([Issue.at(locate((*where, "at")), (*where, "at"), message)])
    return {**loaded.raw, "start": s.start, "end": s.end}


def _month_shift(month: str, months: int) -> str:
    from simulator.calendar import month_index, month_label

    return month_label(month_index(month) + months)


def _statistics(moment: Moment) -> list[tuple[KeyPath, Any]]:
    stat = moment.statistic
    if isinstance(stat, Ratio):
        return [(("numerator",), stat.numerator), (("denominator",), stat.denominator)]
    return [((), stat)]


def _check_references(spec: MomentsSpec, base: LoadedScenario, locate: Any) -> None:
    """Replays named, windows inside them, codes known, parameters freeable, ids unique."""
    from simulator.calendar import month_index

    issues: list[Issue] = []
    scenario = base.scenario
    regions, sectors = _codes(base)
    seen: set[str] = set()
    for i, moment in enumerate(spec.moments):
        at = ("moments", i)
        if moment.id in seen:
            issues.append(Issue.at(locate((*at, "id")), (*at, "id"), f"{moment.id!r} repeated"))
        seen.add(moment.id)
        for sub, stat in _statistics(moment):
            where = (*at, "statistic", *sub)
            if stat.replay not in spec.replays:
                message = f"no replay named {stat.replay!r}"
                hint = did_you_mean(stat.replay, spec.replays) or "add it under 'replays'"
                issues.append(
                    Issue.at(locate((*where, "replay")), (*where, "replay"), message, hint=hint)
                )
                continue
            replay = spec.replays[stat.replay]
            span = month_index(replay.end) - month_index(replay.at) + 1
            if stat.window[1] > span:
                message = (
                    f"window {stat.window} passes the end of replay {stat.replay!r} "
                    f"({span} months from {replay.at} to {replay.end})"
                )
                hint = f"end the window by {span}, or extend the replay's 'end'"
                issues.append(
                    Issue.at(locate((*where, "window")), (*where, "window"), message, hint=hint)
                )
            cells = [((), stat)]
            if getattr(stat, "relative_to", None) is not None:
                cells.append((("relative_to",), stat.relative_to))
            for sub2, block in cells:
                for key, valid in (
                    ("importers", regions),
                    ("exporters", regions),
                    ("sectors", sectors),
                ):
                    codes = getattr(block, key)
                    if codes == "all":
                        continue
                    for j, code in enumerate(codes):
                        if code not in valid:
                            path = (*where, *sub2, key, j)
                            message = f"unknown {'sector' if key == 'sectors' else 'region'} "
                            message += f"{code!r}"
                            issues.append(
                                Issue.at(
                                    locate(path),
                                    path,
                                    message,
                                    expected=", ".join(valid),
                                    hint=did_you_mean(code, valid),
                                )
                            )
    names = set()
    for i, param in enumerate(spec.parameters):
        at = ("parameters", i)
        if param.name in names:
            issues.append(Issue.at(locate((*at, "name")), (*at, "name"), "freed twice"))
        names.add(param.name)
        for j, target in enumerate(param.scales or [param.name]):
            path = (*at, "scales", j) if param.scales else (*at, "name")
            problem = _freeable(target, scenario.parameters)
            if problem:
                issues.append(Issue.at(locate(path), path, problem, hint=_param_hint(target)))
    if len(spec.parameters) > len(spec.moments):
        message = (
            f"{len(spec.parameters)} parameters freed with {len(spec.moments)} moments: "
            "a parameter needs at least one moment"
        )
        issues.append(Issue.at(locate(("parameters",)), ("parameters",), message))
    if issues:
        raise ScenarioError(issues)


def _codes(base: LoadedScenario) -> tuple[list[str], list[str]]:
    from simulator.calibration.dataset import load_dataset

    s = base.scenario
    data = load_dataset(s.data).aggregate(s.regions, s.sectors)
    return [*data.regions, *data.groups], list(data.sectors)


def _freeable(path: str, parameters: Parameters) -> str | None:
    """Why ``path`` cannot be freed (None if it can): members of a batch may differ only in
    member parameters, and a scalar one is freed (or all sector elasticities, scaled)."""
    if path == "parameters.elasticities":
        return None
    if not _member_parameter(path):
        return (
            f"{path!r} is not a parameter members of a batch may differ in (only those can "
            "be estimated on the member axis)"
        )
    node: Any = parameters.model_dump()
    for step in path.removeprefix("parameters.").split("."):
        if not isinstance(node, dict) or step not in node:
            return f"{path!r} is not a parameter of the scenario schema"
        node = node[step]
    if isinstance(node, dict):
        return f"{path!r} is a block: free one of its numbers"
    return None


def _param_hint(path: str) -> str:
    from simulator.engine.members import MEMBER_PARAMETERS

    choices = [f"parameters.{p}" for p in MEMBER_PARAMETERS]
    return did_you_mean(path, choices) or "see docs/calibration.md: member parameters only"
