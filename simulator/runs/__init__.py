"""Many runs: the pure run function, ensembles, sweeps, executors and a resumable store."""

from simulator.runs.ensemble import RunSet, run_ensemble, run_sweep
from simulator.runs.run import RunSpec, run_one
from simulator.runs.spec import Sweep, load_sweep

__all__ = ["RunSet", "RunSpec", "Sweep", "load_sweep", "run_ensemble", "run_one", "run_sweep"]
