"""The simulated-method-of-moments estimator.

With published moments m* (standard errors s) and the model's moments m(theta)
(:class:`~simulator.estimation.replay.Replays`), the estimate minimises

    Q(theta) = (m(theta) - m*)' W (m(theta) - m*),    W = diag(1/s^2),

the optimal weighting for moments from independent studies, within the bounds (searched on
the unit box, on a log scale for positive parameters). Two searches, both scipy's:
differential evolution (derivative-free; each generation is one batch of members), for
moments that are step functions of a parameter, as they are of the switching costs; or a
Latin hypercube of starts followed by trust-region-reflective least squares, for smooth
moments. Standard errors come from the sandwich formula,

    V = (1 + 1/S) (G'WG)^-1 G'W Omega W G (G'WG)^-1,    Omega = diag(s^2),

with the Jacobian G fitted by least squares over a Latin hypercube of points within ``step``
of the estimate (a smoothed derivative: a finite difference of a step function is zero or
infinite). The simulation-noise factor 1 + 1/S applies only when firms are drawn (with a
continuum of firms the model is deterministic and the factor is 1).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.estimation.moments import Estimation, FreeParameter, MomentsFile
from simulator.estimation.replay import Replays
from simulator.runs.executors import Executor

Progress = Callable[[str], None]
NEAR_BOUND = 0.05
"""An estimate within this share of its (log) range from a bound is reported as at the bound:
the moments want a value the bounds do not allow, and its standard error is not a guide."""


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
        out.append(1.0 if param.scales else float(replays.default(param.name)))
    return np.array(out)


def estimate(
    moments: MomentsFile,
    *,
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    say: Progress | None = None,
) -> Estimate:
    """Estimate the freed parameters of a moments file (see the module docstring). With
    Dask and no scheduler, one local cluster serves every batch of the search."""
    if executor == "dask" and scheduler is None:
        from dask.distributed import LocalCluster

        with LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            address = cluster.scheduler_address
            return estimate(moments, jobs=jobs, executor=executor, scheduler=address, say=say)
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

    def simulate(units: np.ndarray) -> np.ndarray:
        """Simulated moments for points of the unit box ``[candidate, parameter]``."""
        nonlocal evaluations
        evaluations += len(units)
        thetas = np.array([box.theta(u) for u in units])
        return replays.simulate(
            thetas, draws=draws, jobs=jobs, executor=executor, scheduler=scheduler
        )

    def note(text: str) -> None:
        if say is not None:
            say(text)

    theta0 = np.clip(start_values(replays), box.low, box.high)
    search = _evolve if settings.method == "differential_evolution" else _least_squares
    unit, message, info = search(simulate, box.unit(theta0), published, se, box, settings, note)
    theta = box.theta(unit)

    # standard errors: the Jacobian fitted over a neighbourhood of the estimate (one batch,
    # with the defaults for the report)
    cloud = _neighbourhood(theta, box, settings.step, settings.seed)
    note(f"standard errors: {len(cloud)} points around the estimate")
    rows = simulate(np.array([box.unit(x) for x in [theta, theta0, *cloud]]))
    simulated, simulated_start = rows[0], rows[1]
    jacobian = local_jacobian(cloud, rows[2:], theta)
    noise = 1.0 if deterministic else 1.0 + 1.0 / draws
    cov = noise * sandwich(jacobian, se)
    standard = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    at_bound = [bool(u < NEAR_BOUND or u > 1 - NEAR_BOUND) for u in unit]
    residual = (simulated - published) / se
    start_residual = (simulated_start - published) / se
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
        objective_start=float(start_residual @ start_residual),
        evaluations=evaluations,
        seconds=time.monotonic() - began,
        noise_factor=noise,
        message=message,
        info=info,
    )


Simulate = Callable[[np.ndarray], np.ndarray]


def _evolve(
    simulate: Simulate,
    u0: np.ndarray,
    published: np.ndarray,
    se: np.ndarray,
    box: _Box,
    settings: Estimation,
    note: Progress,
) -> tuple[np.ndarray, str, dict[str, Any]]:
    """scipy's differential evolution on the unit box, each generation one batch of
    members (a derivative-free search: the model's moments are step functions of the
    switching-cost parameters, its buyers having a few discrete cost levels)."""
    from scipy.optimize import differential_evolution

    def objective(units: np.ndarray) -> np.ndarray:  # [parameter, candidate] -> [candidate]
        sims = simulate(units.T)
        values = (((sims - published) / se) ** 2).sum(axis=1)
        values[~np.isfinite(values)] = np.inf
        note(f"generation: best Q = {values.min():.4g}")
        return values

    fit = differential_evolution(
        objective,
        bounds=[(0.0, 1.0)] * len(u0),
        x0=u0,
        popsize=settings.population,
        maxiter=settings.generations,
        tol=settings.tolerance,
        seed=settings.seed,
        init="latinhypercube",
        polish=False,
        updating="deferred",
        vectorized=True,
    )
    return fit.x, str(fit.message), {"generations": int(fit.nit), "best_q": float(fit.fun)}


def _least_squares(
    simulate: Simulate,
    u0: np.ndarray,
    published: np.ndarray,
    se: np.ndarray,
    box: _Box,
    settings: Estimation,
    note: Progress,
) -> tuple[np.ndarray, str, dict[str, Any]]:
    """A Latin hypercube of starting points (one batch), then scipy's trust-region-reflective
    least squares from the best; each step evaluates the point and its forward-difference
    Jacobian as the members of one batch. For smooth moments."""
    from scipy.optimize import least_squares
    from scipy.stats import qmc

    points = [u0]
    if settings.starts:
        points += list(qmc.LatinHypercube(d=len(u0), seed=settings.seed).random(settings.starts))
    sims = simulate(np.array(points))
    objectives = (((sims - published) / se) ** 2).sum(axis=1)
    objectives[~np.isfinite(objectives)] = np.inf
    best = int(np.argmin(objectives))
    note(f"best of {len(points)} starts: Q = {objectives[best]:.4g}")
    cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def evaluate(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = np.asarray(u, dtype=float).tobytes()
        if key not in cache:
            h = box.steps(box.theta(u), settings.step)
            shifted = [u.copy() for _ in u]
            for j, point in enumerate(shifted):
                h[j] = -h[j] if u[j] + h[j] > 1.0 else h[j]
                point[j] += h[j]
            rows = simulate(np.array([u, *shifted]))
            residual = (rows[0] - published) / se
            jac = ((rows[1:] - rows[0]) / se).T / h[None, :]
            cache[key] = (residual, jac)
            note(f"search: Q = {residual @ residual:.4g}")
        return cache[key]

    fit = least_squares(
        lambda u: evaluate(u)[0],
        points[best],
        jac=lambda u: evaluate(u)[1],
        bounds=(0.0, 1.0),
        method="trf",
        max_nfev=settings.max_evaluations,
    )
    return fit.x, str(fit.message), {"status": int(fit.status), "nfev": int(fit.nfev)}


def _neighbourhood(theta: np.ndarray, box: _Box, step: float, seed: int) -> list[np.ndarray]:
    """A Latin hypercube of points within ``step`` of the estimate (a share of each value,
    on a log scale for positive parameters), clipped to the bounds: ``4K + 4`` points."""
    from scipy.stats import qmc

    k = len(theta)
    z = 2.0 * qmc.LatinHypercube(d=k, seed=seed).random(4 * k + 4) - 1.0
    log = np.exp(np.log(np.maximum(theta, 1e-300)) + step * z)
    lin = theta + step * np.maximum(np.abs(theta), 1e-6) * z
    return list(np.clip(np.where(box.log, log, lin), box.low, box.high))


def local_jacobian(points: list[np.ndarray], moments: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """d m / d theta ``[moment, parameter]``: the slopes of a linear fit of the moments over
    points around ``theta`` (a smoothed derivative, defined where the moments are step
    functions of a parameter and a finite difference is not)."""
    design = np.column_stack([np.ones(len(points)), np.array(points) - theta])
    coef, *_ = np.linalg.lstsq(design, moments, rcond=None)
    return coef[1:].T


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
