"""Sweep files and run plans: what varies, how it is sampled, and the runs that result.

A sweep file names a scenario and the keys that vary, each by its ``--set`` path::

    scenario: us_2025              # a bundled name, or a path relative to this file
    method: latin_hypercube        # grid | latin_hypercube | monte_carlo
    samples: 50                    # points drawn (latin_hypercube, monte_carlo)
    seeds: 2                       # seeds per point: a count, or a list of seeds
    uncertain: true                # also draw every uncertain behaviour parameter
    vary:
      tariffs.autos_232.rate: [10, 25, 50]                    # a list of values
      parameters.pass_through: {range: [0.8, 1.0], steps: 5}  # a range (steps: for a grid)
      parameters.macro.twin_deficit: {distribution: triangular, low: 0.2, mode: 0.3, high: 0.6}

It is read with the scenario loader's YAML reader, so every error names the file, line and key.
A ``vary`` entry's form is picked by its keys (``_vary_form``), so a typo is reported for that
form only. The number of runs is counted before any is built: at most ``MAX_RUNS``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

from simulator.calibration.uncertainty import (
    Distribution,
    Kind,
    UncertainParameter,
    uncertain_parameters,
)
from simulator.runs.run import RunSpec
from simulator.scenario import LoadedScenario, ScenarioError, load_scenario
from simulator.scenario.errors import Issue, issues_from_validation, locator
from simulator.scenario.schema import yaml_number
from simulator.scenario.yaml_io import load_yaml

Method = Literal["grid", "latin_hypercube", "monte_carlo"]
MAX_RUNS = 1_000_000
MAX_BYTES = 1_000_000
MAX_STEPS = 10_000


class _Strict(BaseModel):
    """Unknown keys are errors, and every number is finite (no .nan, .inf)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Range(_Strict):
    range: Annotated[list[float], Field(min_length=2, max_length=2)] = Field(
        description="[low, high]"
    )
    steps: int | None = Field(
        None, ge=2, le=MAX_STEPS, description="Grid points (grid only), at most 10,000."
    )

    @model_validator(mode="before")
    @classmethod
    def _not_values(cls, data: Any) -> Any:
        if isinstance(data, dict) and "values" in data:
            raise ValueError("write the values as a YAML list, key: [1, 2, 3], without 'values:'")
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.range[0] < self.range[1]:
            raise ValueError("'range' must be [low, high] with low below high")
        return self


class DistributionSpec(_Strict):
    distribution: Kind = Field(description="uniform, loguniform, triangular or normal")
    low: float | None = Field(None, description="Lowest value (normal: truncated there).")
    high: float | None = Field(None, description="Highest value (normal: truncated there).")
    mode: float | None = Field(None, description="Most likely value (triangular).")
    mean: float | None = Field(None, description="Mean (normal).")
    sd: float | None = Field(None, description="Standard deviation (normal).")

    def to_distribution(self) -> Distribution:
        return Distribution(self.distribution, self.low, self.high, self.mode, self.mean, self.sd)

    @model_validator(mode="after")
    def _valid(self) -> DistributionSpec:
        problem = self.to_distribution().check()
        if problem:
            raise ValueError(problem)
        return self


def _finite(value: Any) -> Any:
    """A listed value: anything the scenario key accepts, but never NaN or infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {yaml_number(value)}")
    return value


Values = Annotated[list[Annotated[Any, AfterValidator(_finite)]], Field(min_length=1)]

_RANGE_KEYS = {"range", "steps"}
_DISTRIBUTION_KEYS = {"distribution", "low", "high", "mode", "mean", "sd"}
VARY_FORMS = (
    "a list of values, {range: [low, high]} (with steps: N in a grid) or "
    "{distribution: uniform, loguniform, triangular or normal, ...}"
)


def _vary_form(entry: Any) -> str | None:
    """Which form a ``vary`` entry is written in, by its keys, so that an error is reported
    for that form only (not for each of the three): a list of values; a block with
    ``distribution`` (or only a distribution's keys) a distribution; any other block a range.
    The tags are bracketed so that they never read as a key of the user's data."""
    if isinstance(entry, list):
        return "[values]"
    if isinstance(entry, Range | DistributionSpec):  # serialising a validated spec
        return "[range]" if isinstance(entry, Range) else "[distribution]"
    if isinstance(entry, dict):
        keys = set(entry)
        if "distribution" in keys or (keys & _DISTRIBUTION_KEYS and not keys & _RANGE_KEYS):
            return "[distribution]"
        return "[range]"
    return None


VaryEntry = Annotated[
    Annotated[Values, Tag("[values]")]
    | Annotated[Range, Tag("[range]")]
    | Annotated[DistributionSpec, Tag("[distribution]")],
    Discriminator(
        _vary_form,
        custom_error_type="vary_form",
        custom_error_message=f"Input should be {VARY_FORMS}",
    ),
]


class SweepSpec(_Strict):
    """A sweep file (see the module docstring)."""

    scenario: str = Field(min_length=1, description="A bundled scenario name or a path.")
    method: Method = "grid"
    samples: int | None = Field(None, ge=1, le=MAX_RUNS, description="Points to draw.")
    seeds: int | list[int] = Field(1, description="Seeds per point: a count or a list.")
    seed: int = Field(0, ge=0, description="Seed of the sampler.")
    uncertain: bool = Field(False, description="Also draw the uncertain behaviour parameters.")
    vary: dict[str, VaryEntry] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        if self.method == "grid" and self.samples is not None:
            raise ValueError("'samples' is for latin_hypercube and monte_carlo, not a grid")
        if self.method != "grid" and self.samples is None:
            raise ValueError(f"'method' {self.method} needs 'samples' (how many points)")
        if self.method == "grid" and self.uncertain:
            raise ValueError("'uncertain' draws parameters: use monte_carlo or latin_hypercube")
        if isinstance(self.seeds, int) and not 1 <= self.seeds <= 10_000:
            raise ValueError("'seeds' must be a count from 1 to 10000 or a list of seeds")
        if isinstance(self.seeds, list) and not (
            1 <= len(self.seeds) <= 10_000 and min(self.seeds) >= 0
        ):
            raise ValueError("'seeds' as a list needs 1 to 10000 seeds, none negative")
        if not self.vary and not self.uncertain:
            raise ValueError("'vary' names nothing to vary (and 'uncertain' is not true)")
        return self


@dataclass(frozen=True)
class Sweep:
    """A valid sweep: its spec, the scenario and the planned runs."""

    spec: SweepSpec
    path: Path
    loaded: LoadedScenario
    runs: list[RunSpec]


def is_sweep_file(source: str | os.PathLike) -> bool:
    """Whether a file looks like a sweep file (a top-level ``scenario:`` key)."""
    path = Path(source)
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return False
    try:
        data, _ = load_yaml(path.read_text(encoding="utf-8")[:MAX_BYTES], str(path))
    except (ScenarioError, OSError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "scenario" in data


def load_sweep(
    source: str | os.PathLike,
    before_plan: Callable[[SweepSpec, LoadedScenario], None] | None = None,
) -> Sweep:
    """Read, validate and plan a sweep file; errors name its file, line and key.

    ``before_plan(spec, loaded)`` is called once the file is valid and before its runs are
    planned (a plan can be vast): to estimate the cost and refuse."""
    path = Path(source)
    name = str(source)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScenarioError.simple(f"larger than {MAX_BYTES} bytes", file=name)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ScenarioError.simple(f"cannot read the sweep file: {reason}", file=name) from None
    data, positions = load_yaml(text, name)
    if not isinstance(data, dict):
        raise ScenarioError([Issue(name, 1, 1, "", "a sweep file must be a block of keys")])
    locate = locator(name, positions)

    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(issues_from_validation(exc, SweepSpec, data, locate)) from None
    _check_size(spec, locate)
    _check_repeats(spec, locate)
    named = spec.scenario
    if "/" in named or "\\" in named or "." in named:  # a path, like extends: a .yaml file
        if "://" in named or not named.endswith((".yaml", ".yml")):
            where = locate(("scenario",))
            message = f"{named!r} is not a scenario file: a path must end in .yaml or .yml"
            hint = "name a bundled scenario (tradesim list) or a .yaml file relative to this one"
            raise ScenarioError([Issue.at(where, ("scenario",), message, hint=hint)])
        named = str(path.parent / named)
    try:
        loaded = load_scenario(named)
    except ScenarioError as exc:
        where = locate(("scenario",))
        first = f"scenario {spec.scenario!r} cannot be loaded"
        raise ScenarioError([Issue.at(where, ("scenario",), first), *exc.issues]) from None
    _check_keys(spec, loaded, locate)
    if before_plan is not None:
        before_plan(spec, loaded)
    return Sweep(spec, path, loaded, plan_sweep(spec, loaded))


def _check_repeats(spec: SweepSpec, locate: Any) -> None:
    """A value listed twice for one key would make identical runs: an error."""
    issues = []
    for key, entry in spec.vary.items():
        if not isinstance(entry, list):
            continue
        seen: set[str] = set()
        twice = [v for v in entry if (t := _yaml(v)) in seen or seen.add(t)]
        if twice:
            message = f"{_yaml(twice[0])} is listed more than once: its runs would be identical"
            hint = "list each value once; for repeated draws use 'seeds: N'"
            issues.append(Issue.at(locate(("vary", key)), ("vary", key), message, hint=hint))
    if issues:
        raise ScenarioError(issues)


def _seed_count(spec: SweepSpec) -> int:
    return len(spec.seeds) if isinstance(spec.seeds, list) else spec.seeds


def _grid_size(entry: Values | Range | DistributionSpec) -> int:
    """Points along one varied key of a grid (a distribution, refused in a grid, counts 1)."""
    if isinstance(entry, list):
        return len(entry)
    if isinstance(entry, Range):
        return entry.steps or 2
    return 1


def _grid_sizes(spec: SweepSpec) -> dict[str, int]:
    return {key: _grid_size(entry) for key, entry in spec.vary.items()}


def count_runs(spec: SweepSpec) -> int:
    """How many runs a sweep plans, counted without building them."""
    points = math.prod(_grid_sizes(spec).values()) if spec.method == "grid" else spec.samples
    return (points or 1) * _seed_count(spec)


def _check_size(spec: SweepSpec, locate: Any) -> None:
    """Refuse a sweep of more than MAX_RUNS runs before anything is built or loaded."""
    total = count_runs(spec)
    if total <= MAX_RUNS:
        return
    seeds = _seed_count(spec)
    per_point = f" × {seeds} seeds" if seeds > 1 else ""
    if spec.method == "grid":
        sizes = " × ".join(f"{n:,}" for n in _grid_sizes(spec).values())
        key, hint = ("vary",), "use fewer values or steps, or sample: method: latin_hypercube"
        how = f"{sizes} points{per_point}"
    else:
        key, hint = ("samples",), "draw fewer samples or use fewer seeds"
        how = f"{spec.samples:,} samples{per_point}"
    message = f"the sweep plans {total:,} runs ({how}); at most {MAX_RUNS:,}"
    raise ScenarioError([Issue.at(locate(key), key, message, hint=hint)])


def _extremes(entry: Values | Range | DistributionSpec) -> list[Any]:
    """Values to try a key with: every listed value, or a range's or distribution's ends."""
    if isinstance(entry, list):
        return entry
    dist = entry.to_distribution() if isinstance(entry, DistributionSpec) else None
    if dist is None:
        return list(entry.range)
    return [float(v) for v in dist.ppf(np.array([0.0, 0.5, 1.0 - 1e-9]))]


def _check_keys(spec: SweepSpec, loaded: LoadedScenario, locate: Any) -> None:
    """Every varied key must be a scenario key that accepts the values (and a grid's shape)."""
    issues = []
    for key, entry in spec.vary.items():
        where = locate(("vary", key))
        if spec.method == "grid" and isinstance(entry, DistributionSpec):
            message = "a grid needs values: a list, or a range with 'steps'"
            issues.append(Issue.at(where, ("vary", key), message, hint="use monte_carlo"))
            continue
        if spec.method == "grid" and isinstance(entry, Range) and entry.steps is None:
            message = "a range in a grid needs 'steps' (how many points)"
            issues.append(Issue.at(where, ("vary", key), message))
            continue
        for value in _extremes(entry):
            try:
                load_scenario(loaded.raw, [f"{key}={_yaml(value)}"])
            except ScenarioError as exc:
                for issue in exc.issues:
                    message = f"{value!r} does not fit the scenario: {issue.path}: {issue.message}"
                    extra = {"expected": issue.expected, "hint": issue.hint}
                    issues.append(Issue.at(where, ("vary", key), message, **extra))
                break
    if issues:
        raise ScenarioError(issues)


def _yaml(value: Any) -> str:
    return json.dumps(value, default=str)


def _seeds(spec_seeds: int | list[int], base: int) -> list[int]:
    return (
        list(spec_seeds) if isinstance(spec_seeds, list) else [base + i for i in range(spec_seeds)]
    )


def plan_sweep(spec: SweepSpec, loaded: LoadedScenario) -> list[RunSpec]:
    """The runs of a sweep, numbered from 0: every point with every seed."""
    total = count_runs(spec)  # before building anything: a grid can be vast
    if total > MAX_RUNS:
        raise ScenarioError.simple(f"the sweep plans {total:,} runs; at most {MAX_RUNS:,}")
    seeds = _seeds(spec.seeds, loaded.scenario.seed)
    if spec.method == "grid":
        axes = {k: _grid_values(v) for k, v in spec.vary.items()}
        points = [
            dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())
        ]
    else:
        dims: dict[str, Values | Range | Distribution] = dict(spec.vary)
        if spec.uncertain:
            for p in drawn_parameters(loaded):
                dims.setdefault(p.path, p.distribution)
        points = _sample(dims, spec.samples or 1, spec.method, spec.seed)
    raw = loaded.raw
    return [
        RunSpec(i, raw, seed, point)
        for i, (point, seed) in enumerate(itertools.product(points, seeds))
    ]


def _grid_values(entry: Values | Range | DistributionSpec) -> list[Any]:
    if isinstance(entry, Range):
        return [float(v) for v in np.linspace(*entry.range, _grid_size(entry))]
    return list(entry)  # a list (distributions were refused by the check)


def _sample(dims: dict[str, Any], n: int, method: Method, seed: int) -> list[dict[str, Any]]:
    """``n`` points: Monte Carlo (independent uniforms) or Latin hypercube (one per stratum)."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, len(dims)))
    if method == "latin_hypercube":
        strata = np.stack([rng.permutation(n) for _ in dims], axis=1) if dims else u
        u = (strata + u) / n
    columns = {}
    for j, (key, entry) in enumerate(dims.items()):
        col = u[:, j]
        if isinstance(entry, list):
            columns[key] = [entry[int(x * len(entry))] for x in col]
            continue
        if isinstance(entry, Range):
            dist = Distribution("uniform", *entry.range)
        elif isinstance(entry, DistributionSpec):
            dist = entry.to_distribution()
        else:
            dist = entry
        columns[key] = [float(v) for v in dist.ppf(col)]
    return [{k: columns[k][i] for k in dims} for i in range(n)]


# uncertain parameters that a scenario reads only when its buyers trade the classes within
# sectors (parameters.sourcing.classes: within_sectors)
WITHIN_SECTORS_ONLY = frozenset(
    {"parameters.sourcing.hazard_ratio_homogeneous", "parameters.sourcing.hazard_ratio_reference"}
)


def drawn_parameters(loaded: LoadedScenario) -> list[UncertainParameter]:
    """The uncertain parameters (``uncertainty.csv``) that an ensemble of the scenario draws:
    those it reads."""
    within = loaded.scenario.parameters.sourcing.classes == "within_sectors"
    return [
        p
        for p in uncertain_parameters(loaded.scenario.data)
        if within or p.path not in WITHIN_SECTORS_ONLY
    ]


def plan_ensemble(loaded: LoadedScenario, n: int, seed: int | None = None) -> list[RunSpec]:
    """``n`` Monte Carlo draws of the uncertain parameters, member ``i`` with seed ``seed+i``."""
    if not 1 <= n <= MAX_RUNS:
        raise ScenarioError.simple(f"--ensemble is {n}: give a count from 1 to {MAX_RUNS:,}")
    base = loaded.scenario.seed if seed is None else seed
    dims = {p.path: p.distribution for p in drawn_parameters(loaded)}
    points = _sample(dims, n, "monte_carlo", base)
    return [RunSpec(i, loaded.raw, base + i, point) for i, point in enumerate(points)]
