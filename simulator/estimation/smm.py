"""The simulated-method-of-moments estimator.

With published moments m* (standard errors s) and the model's moments m(theta)
(:class:`~simulator.estimation.replay.Replays`), the estimate minimises

    Q(theta) = (m(theta) - m*)' W (m(theta) - m*),    W = diag(1/s^2),

the optimal weighting for moments from independent studies. A Latin hypercube of starting
points (one batch) is followed by scipy's trust-region-reflective least squares within the
bounds, on a log scale for positive parameters; each step evaluates the point and its
forward-difference Jacobian as the members of one batch. Standard errors come from the
sandwich formula with the Jacobian G by central differences at the estimate,

    V = (1 + 1/S) (G'WG)^-1 G'W Omega W G (G'WG)^-1,    Omega = diag(s^2),

where the simulation-noise factor 1 + 1/S applies only when firms are drawn (with a continuum
of firms the model is deterministic and the factor is 1).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.estimation.moments import FreeParameter, MomentsFile
from simulator.estimation.replay import Replays
from simulator.runs.executors import Executor

Progress = Callable[[str], None]


@dataclass
class Estimate:
    """An estimation's results (natural units throughout)."""

    names: list[str]
    theta: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    start: np.ndarray  # the current defaults, the search's first point
    at_bound: list[bool]
    moment_ids: list[str]
    published: np.ndarray
    published_se: np.ndarray
    simulated: np.ndarray  # at the estimate
    simulated_start: np.ndarray  # at the defaults
    jacobian: np.ndarray  # d m / d theta at the estimate [moment, parameter]
    objective: float
    objective_start: float
    evaluations: int
    seconds: float
    noise_factor: float
    message: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def t_stats(self) -> np.ndarray:
        return (self.simulated - self.published) / self.published_se

    @property
    def degrees_of_freedom(self) -> int:
        return len(self.moment_ids) - len(self.names)

    @property
    def j_p_value(self) -> float:
        """p-value of the overidentification test (J = Q at the estimate, chi-square)."""
        from scipy.stats import chi2

        df = self.degrees_of_freedom
        return float(chi2.sf(self.objective, df)) if df > 0 else float("nan")

    @property
    def identification(self) -> np.ndarray:
        """Elasticity of each moment to each parameter at the estimate, d ln m / d ln theta."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.jacobian * self.theta[None, :] / self.simulated[:, None]

    @property
    def sensitivity(self) -> np.ndarray:
        """How far each estimate moves if one published moment moves up by one standard
        error, d theta / d m_published = (G'WG)^-1 G'W times s, ``[parameter, moment]``
        (the sensitivity of Andrews, Gentzkow & Shapiro 2017, QJE 132(4), up to its sign)."""
        weights = np.diag(1.0 / self.published_se**2)
        bread = np.linalg.pinv(self.jacobian.T @ weights @ self.jacobian)
        return (bread @ self.jacobian.T @ weights) * self.published_se[None, :]


class _Box:
    """Parameters mapped to the unit box: log scale for positive bounds, linear otherwise."""

    def __init__(self, params: list[FreeParameter]) -> None:
        self.low = np.array([p.bounds[0] for p in params], dtype=float)
        self.high = np.array([p.bounds[1] for p in params], dtype=float)
        self.log = np.array([p.log_scale for p in params])

    def theta(self, u: np.ndarray) -> np.ndarray:
        u = np.clip(u, 0.0, 1.0)
        lin = self.low + u * (self.high - self.low)
        with np.errstate(divide="ignore", invalid="ignore"):
            log = self.low * (self.high / self.low) ** u
        return np.where(self.log, log, lin)

    def unit(self, theta: np.ndarray) -> np.ndarray:
        theta = np.clip(theta, self.low, self.high)
        lin = (theta - self.low) / (self.high - self.low)
        with np.errstate(divide="ignore", invalid="ignore"):
            log = np.log(theta / self.low) / np.log(self.high / self.low)
        return np.where(self.log, log, lin)

    def steps(self, theta: np.ndarray, step: float) -> np.ndarray:
        """The unit-box step that changes each parameter by about ``step`` of its value."""
        span = self.high - self.low
        with np.errstate(divide="ignore"):
            log = step / np.log(self.high / self.low)
        lin = step * np.maximum(np.abs(theta), 0.01 * span) / span
        return np.where(self.log, log, lin)


def start_values(replays: Replays) -> np.ndarray:
    """The current value of each freed parameter: 1 for a scale, the default otherwise."""
    out = []
    for param in replays.file.spec.parameters:
        out.append(1.0 if param.scales else float(replays._default(param.name)))
    return np.array(out)


def estimate(
    moments: MomentsFile,
    *,
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    say: Progress | None = None,
) -> Estimate:
    """Estimate the freed parameters of a moments file (see the module docstring)."""
    from scipy.optimize import least_squares
    from scipy.stats import qmc

    began = time.monotonic()
    spec = moments.spec
    settings = spec.estimation
    replays = Replays(moments)
    box = _Box(spec.parameters)
    published = np.array([m.estimate for m in spec.moments])
    se = np.array([m.se for m in spec.moments])
    deterministic = moments.base.scenario.firms.count == 0
    draws = 1 if deterministic else settings.draws
    evaluations = 0

    def simulate(thetas: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        evaluations += len(thetas)
        return replays.simulate(
            thetas, draws=draws, jobs=jobs, executor=executor, scheduler=scheduler
        )

    def note(text: str) -> None:
        if say is not None:
            say(text)

    # 1. the defaults and a Latin hypercube of starting points, in one batch
    theta0 = np.clip(start_values(replays), box.low, box.high)
    points = [box.unit(theta0)]
    if settings.starts:
        sampler = qmc.LatinHypercube(d=len(theta0), seed=settings.seed)
        points += list(sampler.random(settings.starts))
    units = np.array(points)
    note(f"{len(units)} starting points ({len(replays.scenarios)} runs each)")
    sims = simulate(np.array([box.theta(u) for u in units]))
    objectives = (((sims - published) / se) ** 2).sum(axis=1)
    objectives[~np.isfinite(objectives)] = np.inf
    best = int(np.argmin(objectives))
    simulated_start, objective_start = sims[0], float(objectives[0])
    note(f"best start Q = {objectives[best]:.3g} (defaults: {objective_start:.3g})")

    # 2. local search: each point and its Jacobian in one batch
    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def evaluate(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(u, dtype=float).tobytes()
        if key not in cache:
            h = box.steps(box.theta(u), settings.step)
            shifted = [u.copy() for _ in u]
            for j, point in enumerate(shifted):
                h[j] = -h[j] if u[j] + h[j] > 1.0 else h[j]
                point[j] += h[j]
            rows = simulate(np.array([box.theta(x) for x in [u, *shifted]]))
            residual = (rows[0] - published) / se
            jac = ((rows[1:] - rows[0]) / se).T / h[None, :]
            cache[key] = (residual, jac)
            note(f"search: Q = {residual @ residual:.4g}")
        return cache[key]

    fit = least_squares(
        lambda u: evaluate(u)[0],
        units[best],
        jac=lambda u: evaluate(u)[1],
        bounds=(0.0, 1.0),
        method="trf",
        max_nfev=settings.max_evaluations,
        x_scale=1.0,
    )
    theta = box.theta(fit.x)

    # 3. standard errors: the Jacobian by central differences at the estimate
    delta = settings.step * np.maximum(np.abs(theta), 1e-6)
    up = np.minimum(theta + delta, box.high)
    down = np.maximum(theta - delta, box.low)
    candidates = [theta]
    for j in range(len(theta)):
        for value in (up[j], down[j]):
            point = theta.copy()
            point[j] = value
            candidates.append(point)
    note(f"standard errors: {len(candidates)} candidates")
    rows = simulate(np.array(candidates))
    simulated = rows[0]
    jacobian = np.column_stack(
        [(rows[1 + 2 * j] - rows[2 + 2 * j]) / (up[j] - down[j]) for j in range(len(theta))]
    )
    noise = 1.0 if deterministic else 1.0 + 1.0 / draws
    cov = noise * sandwich(jacobian, se)
    standard = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    near = 1e-3
    at_bound = [bool(u < near or u > 1 - near) for u in fit.x]
    residual = (simulated - published) / se
    return Estimate(
        names=[p.name for p in spec.parameters],
        theta=theta,
        se=standard,
        cov=cov,
        start=theta0,
        at_bound=at_bound,
        moment_ids=moments.moment_ids,
        published=published,
        published_se=se,
        simulated=simulated,
        simulated_start=simulated_start,
        jacobian=jacobian,
        objective=float(residual @ residual),
        objective_start=objective_start,
        evaluations=evaluations,
        seconds=time.monotonic() - began,
        noise_factor=noise,
        message=str(fit.message),
        info={"optimizer_status": int(fit.status), "optimizer_nfev": int(fit.nfev)},
    )


def sandwich(jacobian: np.ndarray, se: np.ndarray) -> np.ndarray:
    """(G'WG)^-1 G'W Omega W G (G'WG)^-1 with W = Omega^-1 = diag(1/se^2); infinite variance
    for a parameter no moment moves (a singular G'WG)."""
    weights = np.diag(1.0 / se**2)
    omega = np.diag(se**2)
    information = jacobian.T @ weights @ jacobian
    if np.linalg.matrix_rank(information) < information.shape[0]:
        return np.full(information.shape, math.inf)
    bread = np.linalg.inv(information)
    return bread @ jacobian.T @ weights @ omega @ weights @ jacobian @ bread
