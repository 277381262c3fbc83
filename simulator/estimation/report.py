"""The estimation report: Markdown and tables (CSV, JSON), written atomically."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.estimation.moments import MomentsFile
from simulator.estimation.smm import Estimate
from simulator.version import __version__

MARKER = "<!-- written by tradesim calibrate -->"


def tables(est: Estimate, moments: MomentsFile) -> dict[str, pd.DataFrame]:
    """The report's tables: moments, estimates, identification and sensitivity."""
    spec = moments.spec
    moment_rows = pd.DataFrame(
        {
            "moment": est.moment_ids,
            "published": est.published,
            "se": est.published_se,
            "se_derived": [m.se_derived is not None for m in spec.moments],
            "simulated_at_defaults": est.simulated_start,
            "simulated": est.simulated,
            "t": est.t_stats,
            "source": [" ".join(m.source.split()) for m in spec.moments],
        }
    )
    estimates = pd.DataFrame(
        {
            "parameter": est.names,
            "default": est.start,
            "estimate": est.theta,
            "se": est.se,
            "low": [p.bounds[0] for p in spec.parameters],
            "high": [p.bounds[1] for p in spec.parameters],
            "at_bound": est.at_bound,
            "scales": [",".join(p.scales or []) for p in spec.parameters],
        }
    )
    identification = pd.DataFrame(est.identification, index=est.moment_ids, columns=est.names)
    sensitivity = pd.DataFrame(est.sensitivity, index=est.names, columns=est.moment_ids)
    return {
        "moments": moment_rows,
        "estimates": estimates,
        "identification": identification.rename_axis("moment"),
        "sensitivity": sensitivity.rename_axis("parameter"),
    }


def _number(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}g}"


def markdown(est: Estimate, moments: MomentsFile, command: str) -> str:
    """The report as Markdown."""
    t = tables(est, moments)
    spec = moments.spec
    lines = [
        MARKER,
        f"# Estimation `{spec.name}`",
        "",
        " ".join(spec.description.split()),
        "",
        f"Command: `{command}` · moments file `{moments.path.name}` (sha256 "
        f"{moments.sha256[:12]}) · base scenario `{moments.base.scenario.name}` (sha256 "
        f"{moments.base.sha256[:12]}) · seed {spec.estimation.seed} · tradesim {__version__} · "
        f"{est.evaluations} candidates in {est.seconds:.0f} s.",
        "",
        "## Estimates",
        "",
        "| parameter | default | estimate | standard error | bounds |",
        "|---|---:|---:|---:|---|",
    ]
    for row in t["estimates"].itertuples():
        flag = " (near a bound)" if row.at_bound else ""
        lines.append(
            f"| `{row.parameter}` | {_number(row.default)} | {_number(row.estimate)}{flag} | "
            f"{_number(row.se)} | [{_number(row.low)}, {_number(row.high)}] |"
        )
    lines += [
        "",
        "## Moments: published and simulated",
        "",
        "| moment | published | SE | at the defaults | at the estimate | t |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in t["moments"].itertuples():
        mark = "*" if row.se_derived else ""
        lines.append(
            f"| `{row.moment}` | {_number(row.published)} | {_number(row.se)}{mark} | "
            f"{_number(row.simulated_at_defaults)} | {_number(row.simulated)} | "
            f"{_number(row.t, 2)} |"
        )
    df = est.degrees_of_freedom
    lines += [
        "",
        "\\* a standard error derived or assumed where the paper gives none (see the moments "
        "file). t = (simulated − published) / SE.",
        "",
        f"Objective Q = {_number(est.objective)} at the estimate, {_number(est.objective_start)}"
        f" at the defaults. Overidentification: J = Q with {df} degree(s) of freedom, "
        f"p = {_number(est.j_p_value)}. Optimiser: {est.message}",
        "",
        "## Identification: elasticity of each moment to each parameter (d ln m / d ln θ)",
        "",
        _table(t["identification"]),
        "",
        "## Sensitivity: change of each estimate if one published moment moves by one SE",
        "",
        "dθ̂/dm̂ = (G′WG)⁻¹G′W times the moment's SE: the sensitivity of Andrews, Gentzkow & "
        "Shapiro (2017, QJE 132(4)), up to its sign. G is the Jacobian of the simulated "
        "moments, W = diag(1/SE²).",
        "",
        _table(t["sensitivity"]),
        "",
    ]
    return "\n".join(lines)


def _table(frame: pd.DataFrame) -> str:
    head = "| | " + " | ".join(f"`{c}`" for c in frame.columns) + " |"
    rule = "|---|" + "---:|" * len(frame.columns)
    body = [
        f"| `{index}` | " + " | ".join(_number(float(v)) for v in row) + " |"
        for index, row in zip(frame.index, frame.to_numpy(), strict=True)
    ]
    return "\n".join([head, rule, *body])


def as_json(est: Estimate, moments: MomentsFile) -> dict[str, Any]:
    """The estimate as plain data (NaN and infinity as null)."""

    def clean(values: Any) -> Any:
        array = np.asarray(values, dtype=float)
        return [None if not math.isfinite(v) else float(v) for v in array.ravel()]

    return {
        "name": moments.spec.name,
        "parameters": {
            name: {"estimate": theta, "se": se, "default": start, "at_bound": bound}
            for name, theta, se, start, bound in zip(
                est.names,
                clean(est.theta),
                clean(est.se),
                clean(est.start),
                est.at_bound,
                strict=True,
            )
        },
        "moments": {
            mid: {"published": p, "se": s, "simulated": m, "simulated_at_defaults": m0}
            for mid, p, s, m, m0 in zip(
                est.moment_ids,
                clean(est.published),
                clean(est.published_se),
                clean(est.simulated),
                clean(est.simulated_start),
                strict=True,
            )
        },
        "objective": clean([est.objective])[0],
        "objective_at_defaults": clean([est.objective_start])[0],
        "degrees_of_freedom": est.degrees_of_freedom,
        "j_p_value": clean([est.j_p_value])[0],
        "covariance": np.asarray(clean(est.cov)).reshape(len(est.names), -1).tolist(),
        "noise_factor": est.noise_factor,
        "evaluations": est.evaluations,
        "seconds": est.seconds,
        "optimizer": {"message": est.message, **est.info},
    }


def covariance_table(est: Estimate) -> pd.DataFrame:
    """The estimates' covariance in long form (``parameter,other,covariance``), as the
    bundled ``moments/<name>_covariance.csv`` holds it."""
    n = len(est.names)
    return pd.DataFrame(
        {
            "parameter": np.repeat(est.names, n),
            "other": np.tile(est.names, n),
            "covariance": np.asarray(est.cov, dtype=float).ravel(),
        }
    )


def estimated_scenario(est: Estimate, moments: MomentsFile, command: str) -> str:
    """A scenario file: the moments file's base scenario with the estimates (scales applied
    to its defaults), to run them or to copy onto another scenario (``extends``)."""
    import yaml

    from simulator.estimation.replay import Replays

    base = moments.base.scenario.name
    named = moments.spec.base.scenario  # a bundled name, or a file beside the moments file
    if "/" in named or "\\" in named or named.endswith((".yaml", ".yml")):
        named = str((moments.path.parent / named).resolve())
    parameters: dict[str, Any] = {}

    def put(key: str, value: Any) -> None:
        node = parameters
        *path, last = key.removeprefix("parameters.").split(".")
        for step in path:
            node = node.setdefault(step, {})
        node[last] = value

    # the base's parameter settings are part of the model estimated (firms.count and the
    # like only set up the replays)
    for item in moments.spec.base.set:
        key, _, text = item.partition("=")
        if key.strip().startswith("parameters."):
            put(key.strip(), yaml.safe_load(text))
    for key, value in Replays(moments).values(est.theta).items():
        put(key, float(value))
    scenario = {
        "extends": named,
        "name": f"{base}_{moments.spec.name}_estimated"[:60],
        "description": (
            f"{base} with the estimates of {command} (moments file sha256 "
            f"{moments.sha256[:12]}, seed {moments.spec.estimation.seed}, tradesim "
            f"{__version__}); change 'extends' to run them on another scenario."
        ),
        "parameters": parameters,
    }
    header = (
        f"# Written by {command}: the estimates as a scenario. Every other value is the base\n"
        "# scenario's with the parameters of the moments file's base.set (its other settings\n"
        "# only set up the replays); the scaled parameters are the base's values times the\n"
        "# estimated scales.\n"
    )
    return header + yaml.safe_dump(scenario, sort_keys=False, width=88)


def provenance(est: Estimate, moments: MomentsFile, command: str) -> dict[str, Any]:
    return {
        "command": command,
        "moments_file": str(moments.path),
        "moments_sha256": moments.sha256,
        "base_scenario": moments.base.scenario.name,
        "base_scenario_sha256": moments.base.sha256,
        "seed": moments.spec.estimation.seed,
        "seconds": round(est.seconds, 1),
    }


def write_report(
    est: Estimate,
    moments: MomentsFile,
    out: Path,
    command: str,
    *,
    force: bool = False,
    since: dict[str, tuple[int, int]] | None = None,
) -> Path:
    """Write the report folder atomically (a failure leaves ``out`` as it was); ``since`` is
    the folder's state when the command checked it (see ``write_atomically``)."""
    from simulator.results.output import write_atomically

    t = tables(est, moments)

    def write(folder: Path) -> None:
        (folder / "report.md").write_text(markdown(est, moments, command), encoding="utf-8")
        t["moments"].to_csv(folder / "moments.csv", index=False)
        t["estimates"].to_csv(folder / "estimates.csv", index=False)
        t["identification"].to_csv(folder / "identification.csv")
        t["sensitivity"].to_csv(folder / "sensitivity.csv")
        text = json.dumps(as_json(est, moments), indent=2, allow_nan=False)
        (folder / "estimate.json").write_text(text + "\n", encoding="utf-8")
        covariance_table(est).to_csv(folder / "covariance.csv", index=False)
        scenario = estimated_scenario(est, moments, command)
        (folder / "estimated.yaml").write_text(scenario, encoding="utf-8")

    record = provenance(est, moments, command)
    return write_atomically(out, write, record, force=force, since=since)
