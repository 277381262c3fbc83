"""The ``tradesim`` command line.

Exit codes: 0 success; 1 an unexpected error; 2 bad input (scenario, data or arguments);
3 an output location refused or unwritable. On 2 and 3 nothing is written, and the output
location is checked before any simulation runs.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import gc
import hashlib
import importlib
import json
import re
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.version import __version__

# The model, pandas and pydantic are imported by the commands that need them, so that
# ``tradesim --help`` answers at once and a pooled command's own process stays small.
if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from simulator.results import SimulationResult
    from simulator.results.plotworker import PlotWorker
    from simulator.results.result import RunTables
    from simulator.runs import RunSet
    from simulator.scenario import LoadedScenario

DEFAULT_SCENARIO = "us_2025"
BASELINE = "baseline"
EXIT_BAD_INPUT = 2
EXIT_OUTPUT = 3

EXAMPLES = {
    "run": """examples:
  tradesim run                                   # the bundled us_2025 scenario
  tradesim run scenarios/autos_25.yaml --out out/autos
  tradesim run my.yaml --seed 7 --set parameters.pass_through=0.8 --set tariffs.autos.rate=35
  tradesim run my.yaml --quiet --json            # machine-readable key outcomes
  tradesim run us_2025 --no-csv                  # Parquet only: no CSV copies of the tables
  tradesim run us_2025 --ensemble 200 --jobs 2   # parameter uncertainty: fan charts""",
    "sweep": """examples:
  tradesim sweep autos_sweep.yaml --jobs 2 --out out/autos_sweep
  tradesim sweep big.yaml --executor dask --scheduler tcp://10.0.0.5:8786""",
    "compare": """examples:
  tradesim compare baseline autos_25 steel_50 --out out/compare
  tradesim compare scenarios/baseline.yaml my.yaml --baseline scenarios/baseline.yaml""",
    "validate": """examples:
  tradesim validate scenarios/*.yaml
  tradesim validate my.yaml --json""",
    "decompose": """examples:
  tradesim decompose us_2025                     # contributions to the 2025 deficit change
  tradesim decompose us_2025 --period 2025-11 --out out/decompose
  tradesim decompose my.yaml --baseline baseline --json""",
    "validate-history": """examples:
  tradesim validate-history                      # writes out/validation.md and out/validation/
  tradesim validate-history --out docs           # in a checkout: regenerates docs/validation.md
  tradesim validate-history --ensemble 400 --jobs 2   # more runs for the 90 % bands
  tradesim validate-history --ensemble 0         # the central run alone, no bands""",
    "calibrate": """examples:
  tradesim calibrate pre2025 --jobs 2            # the bundled moments: out/calibrate_pre2025/
  tradesim calibrate pre2025 --set parameters.sourcing.classes=within_sectors --out out/cls
  tradesim calibrate my_moments.yaml --out out/est --executor dask""",
    "report": """examples:
  tradesim report us_2025 --out report.html      # one self-contained HTML page
  tradesim report baseline autos_25 steel_50 --out out/compare.html
  tradesim report out/us_2025 --out us_2025.html   # a run folder: its scenario and seed
  tradesim report my.yaml --set parameters.pass_through=0.8 --out my.html --force""",
    "dashboard": """examples:
  tradesim dashboard                             # http://127.0.0.1:8765 in a browser
  tradesim dashboard --host 0.0.0.0 --port 8080  # a classroom on the local network""",
    "list": """examples:
  tradesim list""",
    "schema": """examples:
  tradesim schema > scenario.schema.json""",
}


class Progress:
    """A one-line progress bar on stderr, shown once a task has run for a second."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or (not self.shown and time.monotonic() - self.started < 1.0):
            return
        self.shown = True
        width = 30
        filled = int(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.started
        eta = f" ETA {elapsed / done * (total - done):.0f}s" if 0 < done < total else ""
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total}{eta}   ")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _baseline_for(item: LoadedScenario) -> SimulationResult | None:
    """The bundled baseline over the same horizon and data (None for the baseline itself)."""
    from simulator.api import run_scenario
    from simulator.scenario.schema import Shocks

    s = item.scenario
    if s.name == BASELINE or not (s.tariffs or s.retaliation or s.shocks != Shocks()):
        return None
    overrides = [f"start={s.start}", f"end={s.end}", f"data={s.data}", "firms.count=0"]
    return run_scenario(BASELINE, overrides=overrides)


class _BackgroundBaseline:
    """The baseline of a scenario (:func:`_baseline_for`) run in a forked child while this
    process runs the scenario; :meth:`tables` waits for its tables (:class:`RunTables`, sent
    through a pipe: 0.02 s against 0.15 s to load, run and tabulate it here).

    Where a fork is not safe (no fork; threads running), or if the child fails, the baseline
    is run here instead, where its errors are reported as usual.
    """

    def __init__(self, item: LoadedScenario) -> None:
        import multiprocessing

        self._item = item
        self._child: multiprocessing.process.BaseProcess | None = None
        if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
            return
        context = multiprocessing.get_context("fork")
        self._conn, theirs = context.Pipe(duplex=False)
        self._child = context.Process(
            target=_send_baseline, args=(item, theirs), name="tradesim-baseline", daemon=True
        )
        self._child.start()
        theirs.close()

    def tables(self) -> RunTables | None:
        """The baseline's tables (None for the baseline itself)."""
        if self._child is None:
            return _baseline_tables(self._item)
        try:
            tables = self._conn.recv()
        except (EOFError, OSError):  # the child failed: run the baseline here
            tables = None
        finally:
            self.close()
        return tables if tables is not None else _baseline_tables(self._item)

    def close(self) -> None:
        """End the child (at once if it is still running)."""
        if self._child is None:
            return
        child, self._child = self._child, None
        self._conn.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()


def _send_baseline(item: LoadedScenario, conn: Connection) -> None:
    """The child of :class:`_BackgroundBaseline`: run the baseline and send its tables; on
    any failure send nothing (the run then runs the baseline itself)."""
    with contextlib.suppress(BaseException):  # the run runs it again and reports the error
        conn.send(_baseline_tables(item))


def _baseline_tables(item: LoadedScenario) -> RunTables | None:
    baseline = _baseline_for(item)
    if baseline is None:
        return None
    tables = baseline.tables()
    tables.annual()  # kept with the tables: the summary reads it (in the child, off the path)
    return tables


def _prefetch_plotting() -> None:
    """Import the plotting library in the background while runs go (this process mostly
    waits for its workers then), so that the plots written after them start at once."""

    def load() -> None:
        for name in ("matplotlib.figure", "matplotlib.backends.backend_agg"):
            importlib.import_module(name)

    threading.Thread(target=load, daemon=True).start()


def _load(source: str, overrides: Sequence[str], quiet: bool) -> LoadedScenario:
    """Load a scenario, printing its warnings (which say which file ran, for a bundled name
    that a local file shares)."""
    from simulator.scenario import load_scenario

    item = load_scenario(source, overrides)
    if not quiet:
        for warning in item.warnings:  # among them: a local file shadowed by a bundled name
            print(f"tradesim: warning: {warning}", file=sys.stderr)
    return item


def default_out(item: LoadedScenario) -> Path:
    """``out/<name>``; with overrides ``out/<name>-set-<hash of the overrides>``."""
    name = item.scenario.name
    if item.overrides:
        digest = hashlib.sha256("\n".join(item.overrides).encode()).hexdigest()[:8]
        name = f"{name}-set-{digest}"
    return Path("out") / name


def _check_same_scenario(out: Path, item: LoadedScenario) -> None:
    """Refuse to replace the outputs of another scenario file that has the same name (``my
    autos 35.yaml`` and ``my_autos_35.yaml`` both default to ``out/my_autos_35``)."""
    from simulator.results.output import OutputError
    from simulator.scenario.loader import recorded_path

    try:
        earlier = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    before = earlier.get("scenario_file") if isinstance(earlier, dict) else None
    now = recorded_path(item.path) if item.path else None
    if isinstance(before, str) and now is not None and before != now:
        raise OutputError(
            f"{out}: holds the outputs of another scenario file ({before}), not {now}\n"
            "    hint: give this run its own --out, or add --force to replace them"
        )


def _inputs(item: LoadedScenario) -> list[Path]:
    return [Path(p) for p in item.chain]


def cmd_run(args: argparse.Namespace) -> int:
    if args.ensemble is not None:
        return _run_ensemble(args)
    # processes that draw the plots (plotworker): they import matplotlib now, on the other
    # core, while this one imports the model and runs; they draw while this one writes the
    # data. Forked once numpy is loaded, which all need.
    import numpy  # noqa: F401

    from simulator.results import plotworker

    # No cyclic garbage collection while the run imports and computes: each collection walks
    # every object the imports made (0.1-0.2 s CPU in all), and a run makes few cycles (its
    # model and agents), collected between runs (_run). Nor when the process ends: the
    # interpreter's last collections would walk all that again (0.2-0.5 s before it exits).
    collecting = gc.isenabled()
    gc.disable()
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    plotter = plotworker.start()
    try:
        return _run(args, plotter)
    finally:
        if plotter is not None:
            plotter.close()
        if collecting:
            # what the run made moves to the oldest generation (freeze, then unfreeze), so
            # that the first young collection does not walk it all (0.05 s); a full one will
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _run(args: argparse.Namespace, plotter: PlotWorker | None) -> int:
    from simulator.api import run_scenario
    from simulator.results.output import check_output_dir, folder_state
    from simulator.runs import budget
    from simulator.scenario import ScenarioError

    files = args.files or [DEFAULT_SCENARIO]
    loaded = [_load(f, args.set, args.quiet or args.json) for f in files]
    # --out is the folder of a single run, or the parent of several runs' folders
    outs = [
        default_out(x)
        if not args.out
        else Path(args.out)
        if len(loaded) == 1
        else Path(args.out) / default_out(x).name
        for x in loaded
    ]
    states = {}
    for item, out in zip(loaded, outs, strict=True):
        check_output_dir(out, force=args.force, protect=_inputs(item))
        if not args.force:
            _check_same_scenario(out, item)
        outputs = item.scenario.outputs
        size = budget.single_run(item.scenario.n_months, list(outputs.formats), outputs.plots)
        budget.check_disk(out, size, f"the run of {item.scenario.name}")
        states[out] = folder_state(out)  # what --force agreed to replace: nothing added later
    folders = [o.resolve() for o in outs]
    if shared := sorted({str(f) for f in folders if folders.count(f) > 1}):
        names = [x.scenario.name for x, f in zip(loaded, folders, strict=True) if str(f) in shared]
        raise ScenarioError.simple(
            f"the scenarios {', '.join(names)} would write into the same folder "
            f"({', '.join(shared)}): give them different 'name:' values, or run them one by one"
        )
    reports = []
    for item, out in zip(loaded, outs, strict=True):
        name = item.scenario.name
        background = _BackgroundBaseline(item)  # runs while the scenario runs here
        try:
            result = run_scenario(item, seed=args.seed, progress=Progress(name, not args.quiet))
            baseline = background.tables()
        finally:
            background.close()
        formats = [f for f in item.scenario.outputs.formats if f != "csv" or not args.no_csv]
        result.save(
            out,
            baseline=baseline,
            force=args.force,
            since=states[out],
            plotter=plotter,
            formats=formats,
        )
        annual = result.annual()
        reports.append(
            {
                "scenario": name,
                "file": str(item.path) if item.path else None,
                "overrides": item.overrides,
                "out": str(out),
                "seed": result.provenance.seed,
                "us_balance_usd_bn_by_year": {
                    int(y): round(v / 1e9, 3) for y, v in annual.balance.items()
                },
            }
        )
        if not args.quiet and not args.json:
            print(result.summary(baseline))
            print(f"Wrote {out}/ (ran {item.path or name})")
        if item is not loaded[-1]:
            del result, baseline
            gc.collect()  # this run's model and agents (cycles), before the next run
    if args.json:
        print(json.dumps(reports, indent=2))
    return 0


def _run_ensemble(args: argparse.Namespace) -> int:
    """``tradesim run FILE --ensemble N``: N runs drawing the uncertain parameters."""
    from simulator.runs import budget, run_ensemble
    from simulator.scenario import ScenarioError, load_scenario

    if len(args.files) > 1:
        raise ScenarioError.simple("--ensemble runs one scenario at a time")
    if args.ensemble < 2:
        raise ScenarioError.simple(
            f"--ensemble is {args.ensemble}: an ensemble needs at least 2 runs for its "
            "intervals\n    hint: leave out --ensemble for a single run"
        )
    if args.force:
        raise ScenarioError.simple(
            "--force does not apply to an ensemble: its store is resumed, never replaced\n"
            "    hint: give another --out, or remove the folder to start again"
        )
    loaded = load_scenario(args.files[0] if args.files else DEFAULT_SCENARIO, args.set)
    out = Path(args.out or f"out/{loaded.scenario.name}_ensemble{args.ensemble}")
    s = loaded.scenario
    estimate = budget.many_runs(f"an ensemble of {s.name}", args.ensemble, s.n_months, args.jobs)
    measure = functools.partial(budget.measure, loaded)
    budget.confirm(estimate, out, args.yes, "--ensemble", measure)
    progress = Progress(f"{args.ensemble} runs", not args.quiet)
    _prefetch_plotting()
    runs = run_ensemble(
        loaded, args.ensemble, out=out, seed=args.seed, jobs=args.jobs, progress=progress
    )
    _save_results(runs)
    return _report_runs(runs, args)


def _save_results(runs: RunSet) -> None:
    """Write the store's ``results/``; interrupted, say that every run is kept."""
    from simulator.runs.ensemble import RunsInterrupted

    try:
        runs.save_results()
    except KeyboardInterrupt:
        raise RunsInterrupted(
            f"every run is kept in {runs.store.runs_dir}; run the same command again to "
            "write results/"
        ) from None


def _report_runs(runs: RunSet, args: argparse.Namespace) -> int:
    if args.json:
        print(runs.intervals().to_json(orient="records", indent=2))
    elif not args.quiet:
        print(runs.summary_markdown())
        print(f"Wrote {runs.folder}/ (runs/ and results/)")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from simulator.runs import budget, load_sweep, run_sweep
    from simulator.runs.spec import count_runs

    out = Path(args.out or f"out/sweep_{Path(args.file).stem}")

    def check(spec, loaded) -> None:  # before the runs are planned: a plan can be vast
        s = loaded.scenario
        what = f"the sweep {args.file}"
        estimate = budget.many_runs(what, count_runs(spec), s.n_months, args.jobs)
        count = "'samples'" if spec.method != "grid" else "the values in 'vary'"
        budget.confirm(estimate, out, args.yes, count, functools.partial(budget.measure, loaded))

    sweep = load_sweep(args.file, before_plan=check)
    progress = Progress(f"{len(sweep.runs)} runs", not args.quiet)
    runs = run_sweep(
        sweep,
        out=out,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
        progress=progress,
    )
    _save_results(runs)
    return _report_runs(runs, args)


def cmd_compare(args: argparse.Namespace) -> int:
    from simulator.api import run_scenario
    from simulator.results.compare import Comparison
    from simulator.results.output import check_output_dir, folder_state
    from simulator.scenario import ScenarioError

    if len(args.files) < 2:
        raise ScenarioError.simple("compare needs at least two scenarios")
    loaded = [_load(f, args.set, args.quiet or args.json) for f in args.files]
    baseline = loaded[0]
    if args.baseline:
        baseline = _load(args.baseline, args.set, args.quiet or args.json)
        matches = [x for x in loaded if x.path and x.path == baseline.path]
        if matches:
            baseline = matches[0]
        else:
            loaded.insert(0, baseline)
    out = Path(args.out or "out/compare")
    check_output_dir(out, force=args.force, protect=[p for x in loaded for p in _inputs(x)])
    state = folder_state(out)
    results = [
        run_scenario(x, seed=args.seed, progress=Progress(x.scenario.name, not args.quiet))
        for x in loaded
    ]
    comparison = Comparison(results, baseline=baseline.scenario.name)
    comparison.save(out, force=args.force, since=state)
    if args.json:
        print(comparison.table().to_json(orient="split", indent=2))
    elif not args.quiet:
        print(comparison.markdown())
        print(f"Wrote {out}/")
    return 0


def cmd_decompose(args: argparse.Namespace) -> int:
    from simulator.analysis.decomposition import (
        check_permutations,
        decompose,
        decomposition_size,
    )
    from simulator.results.output import check_output_dir, folder_state, write_atomically
    from simulator.runs import budget
    from simulator.scenario.loader import recorded_path

    loaded = _load(args.file, args.set, args.quiet or args.json)
    baseline = _load(args.baseline, [], args.quiet or args.json)
    out = Path(args.out or f"out/decompose_{default_out(loaded).name}")
    inputs = _inputs(loaded) + _inputs(baseline)
    check_output_dir(out, force=args.force, protect=inputs)
    state = folder_state(out)
    runs, channels, permutations = decomposition_size(loaded, args.method, args.permutations)
    check_permutations(permutations, channels)
    what = f"the decomposition of {loaded.scenario.name}"
    estimate = budget.decomposition(what, runs, permutations, channels, args.jobs)
    measure = functools.partial(budget.measure, loaded, continuum=True)
    budget.confirm(estimate, None, args.yes, "--permutations", measure)
    progress = Progress(f"decompose {loaded.scenario.name}", not args.quiet)
    _prefetch_plotting()
    result = decompose(
        loaded,
        baseline,
        period=args.period,
        progress=progress,
        jobs=args.jobs,
        method=args.method,
        permutations=args.permutations,
    )

    def write(tmp: Path) -> None:
        result.table.to_csv(tmp / "decomposition.csv", index_label="channel")
        (tmp / "decomposition.md").write_text(result.markdown(), encoding="utf-8")
        result.waterfall(tmp / "waterfall.png")

    provenance = {
        "command": "decompose",
        "scenario": loaded.scenario.name,
        "scenario_file": recorded_path(loaded.path) if loaded.path else None,
        "scenario_sha256": loaded.sha256,
        "scenario_chain": [recorded_path(p) for p in loaded.chain],
        "overrides": loaded.overrides,
        "seed": loaded.scenario.seed,
        "baseline": baseline.scenario.name,
        "period": result.period,
        "method": result.method,
    }
    write_atomically(out, write, provenance, force=args.force, protect=inputs, since=state)
    if args.json:
        print(result.table.to_json(orient="index", indent=2))
    elif not args.quiet:
        print(result.markdown())
        print(f"Wrote {out}/")
    return 0


def cmd_validate_history(args: argparse.Namespace) -> int:
    import os

    from simulator.results.output import OutputError

    out = Path(args.out)
    if Path(os.path.abspath(out)) == Path(os.path.abspath(out)).parent:  # before the imports
        raise OutputError(
            f"{out}: is the root of the file system; tradesim does not write there\n"
            "    hint: --out out (the default) or a folder of your own"
        )
    from simulator.analysis.validation import (
        ENSEMBLE,
        ESTIMATED,
        PAGE_MARKER,
        check_ensemble,
        ensemble_bands,
        validate_history,
    )
    from simulator.results.output import check_output_dir, check_output_file, write_text_atomically
    from simulator.results.result import write_atomically
    from simulator.runs.executors import check_executor

    members = ENSEMBLE if args.ensemble is None else args.ensemble
    check_ensemble(members)
    check_executor(args.jobs)
    plots, page = out / "validation", out / "validation.md"
    check_output_dir(plots, force=args.force)
    check_output_file(page, PAGE_MARKER, force=args.force)
    bands = estimated_bands = None
    if members:
        started = time.monotonic()
        bands, estimated_bands = (
            ensemble_bands(
                members,
                seed=args.seed,
                jobs=args.jobs,
                progress=Progress(f"{members} runs of {name}", not args.quiet),
                estimated=estimated,
            )
            for name, estimated in (("us_2025", False), (ESTIMATED, True))
        )
        if not args.quiet:
            seconds = time.monotonic() - started
            print(
                f"tradesim validate-history: {members} runs of us_2025 and {members} of "
                f"{ESTIMATED} for the 90 % bands in {seconds:.1f} s "
                f"({seconds / members / 2:.2f} s a run, --jobs {args.jobs})",
                file=sys.stderr,
            )
    validation = validate_history(seed=args.seed, bands=bands, estimated_bands=estimated_bands)

    out.mkdir(parents=True, exist_ok=True)
    write_text_atomically(page, validation.markdown(), PAGE_MARKER, force=args.force)
    provenance = validation.result.provenance.__dict__
    write_atomically(plots, validation.plot, provenance, force=args.force)
    if args.json:
        stats = {**validation.stats, **validation.targets()["met"].to_dict()}
        if bands is not None:
            rates = bands.coverage().rates()
            stats.update({f"ensemble coverage {k}, %": v for k, v in rates.items()})
        print(json.dumps(stats, indent=2, default=bool))
    elif not args.quiet:
        print(validation.markdown())
        print(f"Wrote {page} and {plots}/")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from simulator.estimation import estimate, load_moments, write_report
    from simulator.results.output import check_output_dir, folder_state
    from simulator.runs.executors import check_executor

    check_executor(args.jobs, args.executor, args.scheduler)
    moments = load_moments(args.file, args.set)
    out = Path(args.out or f"out/calibrate_{moments.spec.name}")
    check_output_dir(out, force=args.force, protect=[moments.path])
    since = folder_state(out)

    def say(text: str) -> None:
        if not args.quiet:
            print(f"tradesim calibrate: {text}", file=sys.stderr)

    result = estimate(
        moments, jobs=args.jobs, executor=args.executor, scheduler=args.scheduler, say=say
    )
    # the numbers depend on the file and --set alone, not on --jobs or the executor
    command = " ".join(
        ["tradesim calibrate", str(args.file), *(f"--set {shlex.quote(v)}" for v in args.set)]
    )
    write_report(result, moments, out, command, force=args.force, since=since)
    if args.json:
        from simulator.estimation.report import as_json

        print(json.dumps(as_json(result, moments), indent=2))
    elif not args.quiet:
        print((out / "report.md").read_text(encoding="utf-8"))
        print(f"Wrote {out}/")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from simulator.api import run_scenario
    from simulator.results.incidence import no_tariff_counterfactual
    from simulator.results.output import OutputError, check_output_file, write_text_atomically
    from simulator.results.report import MARKER, ReportRun, build_report, scenario_of_run
    from simulator.scenario import ScenarioError, load_scenario

    if len(args.files) > 4:
        raise ScenarioError.simple("a report shows at most four scenarios side by side")
    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise OutputError(f"{out}: a report is an HTML file\n    hint: --out report.html")
    check_output_file(out, MARKER, force=args.force)  # before any run
    items = [
        scenario_of_run(Path(f))
        if (Path(f) / "provenance.json").is_file()
        else (load_scenario(f, args.set), args.seed)
        for f in args.files
    ]
    runs = []
    for item, seed in items:
        progress = Progress(item.scenario.name, not args.quiet)
        result = run_scenario(item, seed=seed, progress=progress)
        counterfactual = run_scenario(no_tariff_counterfactual(item), seed=seed)
        runs.append(ReportRun(result, counterfactual))
    out.parent.mkdir(parents=True, exist_ok=True)
    out = write_text_atomically(out, build_report(runs), MARKER, force=args.force)
    if args.json:
        print(json.dumps({"out": str(out), "scenarios": [r.result.scenario.name for r in runs]}))
    elif not args.quiet:
        print(f"Wrote {out}")
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from simulator.dashboard.server import missing_extra, serve
    from simulator.scenario import ScenarioError

    if (missing := missing_extra()) is not None:
        raise ScenarioError.simple(
            f"the dashboard needs the optional extra ({missing} is missing): "
            'pip install ".[dashboard]" in a tradesim checkout'
        )
    return serve(
        args.host,
        args.port,
        game_dir=args.game_dir,
        max_firms=args.max_firms,
        max_months=args.max_months,
        workers=args.workers,
        session_timeout=args.session_timeout,
        teacher_code=args.teacher_code,
    )


def cmd_validate(args: argparse.Namespace) -> int:
    """Check every file (not only up to the first bad one); exit 2 if any is bad."""
    from dataclasses import asdict

    from simulator.runs.spec import is_sweep_file, load_sweep
    from simulator.scenario import ScenarioError

    records, bad = [], False
    for f in args.files:
        try:
            if is_sweep_file(f):
                sweep = load_sweep(f, before_plan=_sweep_bound)
                record = {"sweep": sweep.spec.method, "runs": len(sweep.runs)}
                said = f"sweep of {sweep.loaded.scenario.name}, {len(sweep.runs)} runs"
            else:
                item = _load(f, args.set, args.quiet or args.json)
                record = {"scenario": item.scenario.name, "sha256": item.sha256}
                said = f"{item.scenario.name}, {item.scenario.n_months} months"
        except ScenarioError as exc:
            bad = True
            records.append({"file": str(f), "ok": False, "errors": [asdict(i) for i in exc.issues]})
            if not args.json:
                print(f"tradesim: error: {exc}", file=sys.stderr)
            continue
        records.append({"file": str(f), "ok": True, **record})
        if not args.quiet and not args.json:
            print(f"{f}: ok ({said})")
    if args.json:
        print(json.dumps(records, indent=2))
    return EXIT_BAD_INPUT if bad else 0


def _sweep_bound(spec, loaded) -> None:
    """Refuse a sweep whose plan and summaries would not fit in memory (before planning)."""
    from simulator.runs import budget
    from simulator.runs.spec import count_runs

    s = loaded.scenario
    estimate = budget.many_runs("the sweep", count_runs(spec), s.n_months, 1)
    budget.confirm(estimate, None, True, "'samples' or the values in 'vary'")


def cmd_list(args: argparse.Namespace) -> int:
    from simulator.scenario import bundled_scenarios, load_scenario

    for name, path in sorted(bundled_scenarios().items()):
        first = load_scenario(path).scenario.description.strip().splitlines()
        print(f"{name:18s} {first[0] if first else ''}")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from simulator.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradesim",
        description="Agent-based simulator of trade policy: tariffs, retaliation, the AI-capex "
        "boom and trade balances, month by month.",
        epilog="examples (tradesim COMMAND --help shows more):\n"
        + "\n".join(text.splitlines()[1] for text in EXAMPLES.values())
        + "\n\nexit codes: 0 done; 1 unexpected error; 2 bad input (scenario, data or arguments);"
        "\n3 output location refused or not writable. On 2 and 3 nothing is written.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tradesim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str):
        p = sub.add_parser(
            name,
            help=help_,
            description=help_,
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(func=func)
        return p

    def jobs(p: argparse.ArgumentParser) -> None:
        from simulator.runs.workers import available_cores

        p.add_argument(
            "--jobs",
            type=int,
            default=available_cores(),
            metavar="J",
            help="runs at once (default: one per core, %(default)s here; 1 runs them in turn)",
        )

    def common(p: argparse.ArgumentParser, seed: bool = True) -> None:
        if seed:
            p.add_argument("--seed", type=_seed, help="replace the scenario's seed")
        p.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY.PATH=VALUE",
            help="override a scenario value (validated like the file), e.g. "
            "parameters.pass_through=0.8 or 'tariffs[0].rate=30' (a list entry by position, "
            "as errors print it, or by id: tariffs.autos_232.rate=30); repeatable",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
        p.add_argument("--json", action="store_true", help="print results as JSON")

    def executor(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--executor",
            choices=["local", "dask"],
            default="local",
            help='local processes (default), or Dask (pip install ".[dask]" in a checkout)',
        )
        p.add_argument(
            "--scheduler", metavar="ADDRESS", help="a Dask scheduler (with --executor dask)"
        )

    def yes(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--yes",
            action="store_true",
            help="run even when the estimate of time, memory or disk passes the thresholds of "
            "docs/ensembles.md (without it a terminal asks, and a script is refused)",
        )

    def force(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--force",
            action="store_true",
            help="replace an output folder even if it holds files tradesim did not write",
        )

    p = add("run", cmd_run, "Run scenarios and write data, plots and a summary.")
    p.add_argument("files", nargs="*", help=f"scenario files or bundled names ({DEFAULT_SCENARIO})")
    p.add_argument("--out", type=_path, help="output folder (default out/<scenario name>)")
    force(p)
    p.add_argument(
        "--no-csv",
        action="store_true",
        help="write the tables as Parquet only (no trade.csv and macro.csv copies; faster)",
    )
    p.add_argument(
        "--ensemble",
        type=int,
        metavar="N",
        help="N runs drawing the uncertain parameters (and seeds): fan charts and intervals",
    )
    yes(p)
    jobs(p)
    common(p)

    p = add("compare", cmd_compare, "Run scenarios and compare them side by side.")
    p.add_argument("files", nargs="+", help="scenario files or bundled names")
    p.add_argument("--baseline", help="the scenario the others are compared with (default: first)")
    p.add_argument("--out", type=_path, help="output folder (default out/compare)")
    force(p)
    common(p)

    p = add("decompose", cmd_decompose, "Split the change in the US deficit by channel.")
    p.add_argument("file", help="scenario file or bundled name")
    p.add_argument("--baseline", default="baseline", help="scenario to compare with (baseline)")
    p.add_argument(
        "--period", type=_period, help="YYYY or YYYY-MM (default: the year tariffs start)"
    )
    p.add_argument("--out", type=_path, help="output folder (default out/decompose_<scenario>)")
    force(p)
    p.add_argument(
        "--method",
        choices=["auto", "exact", "sampled"],
        default="auto",
        help="Shapley over every subset, or over random orders (auto: exact up to 10 channels)",
    )
    p.add_argument(
        "--permutations",
        type=int,
        default=40,
        help="random orders when sampled (default 40; the standard errors say if it is enough)",
    )
    yes(p)
    jobs(p)
    common(p, seed=False)

    p = add("sweep", cmd_sweep, "Run a sweep file: many runs varying scenario keys.")
    p.add_argument("file", help="sweep file (YAML; see docs/ensembles.md)")
    p.add_argument(
        "--out", type=_path, help="store folder, resumed when re-run (default out/sweep_<file>)"
    )
    yes(p)
    jobs(p)
    executor(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--json", action="store_true", help="print the intervals as JSON")

    p = add("validate", cmd_validate, "Check scenario and sweep files without running them.")
    p.add_argument("files", nargs="+", help="scenario or sweep files, or bundled names")
    common(p, seed=False)

    p = add(
        "validate-history",
        cmd_validate_history,
        "Run us_2025 against the published 2024–2025 data and write the validation report.",
    )
    p.add_argument(
        "--out",
        type=_path,
        default="out",
        help="folder that gets validation.md and its plots in validation/ (default out)",
    )
    force(p)
    p.add_argument("--seed", type=_seed, help="replace the scenario's seed")
    p.add_argument(
        "--ensemble",
        type=int,
        metavar="N",
        help="runs drawing the uncertain parameters for the 90 %% bands (default: as many as "
        "docs/validation.md uses; 0: the central run only, no bands)",
    )
    jobs(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--json", action="store_true", help="print the fit statistics as JSON")

    p = add(
        "calibrate",
        cmd_calibrate,
        "Estimate parameters from a file of published moments (simulated method of moments).",
    )
    p.add_argument("file", help="moments file (YAML; see docs/calibration.md) or a bundled name")
    p.add_argument(
        "--out", type=_path, help="report folder (default out/calibrate_<name in the file>)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a value of the base scenario every replay starts from, after the "
        "file's base.set, e.g. parameters.sourcing.classes=within_sectors; repeatable",
    )
    force(p)
    jobs(p)
    executor(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--json", action="store_true", help="print the estimates as JSON")

    p = add("report", cmd_report, "Run scenarios and write one self-contained HTML report.")
    p.add_argument(
        "files",
        nargs="+",
        help="scenario files, bundled names or folders written by tradesim run (up to four)",
    )
    p.add_argument(
        "--out", type=_path, required=True, help="the HTML file to write, e.g. report.html"
    )
    p.add_argument(
        "--force", action="store_true", help="replace --out even if tradesim did not write it"
    )
    common(p)

    p = add("dashboard", cmd_dashboard, "Serve the classroom dashboard and game in a browser.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")
    p.add_argument(
        "--game-dir",
        default="out/games",
        help="folder where tariff-war games are saved and resumed from (out/games)",
    )
    p.add_argument(
        "--max-firms",
        type=_positive_int,
        default=200_000,
        help="largest firms: count a run may ask for; larger ones are refused (200000)",
    )
    p.add_argument(
        "--max-months",
        type=_positive_int,
        default=60,
        help="longest horizon a run may ask for, in months; longer ones are refused (60)",
    )
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="worker processes (default: one per core), each making a batch of up to 8 "
        "students' runs at a time; others wait in a queue",
    )
    p.add_argument(
        "--session-timeout",
        default="3m",
        help="how long a session whose tab vanished keeps its runs (3m; closed tabs free "
        "theirs at once)",
    )
    p.add_argument(
        "--teacher-code",
        default=None,
        help="a code a teacher types to open, close and end games (default: one is made "
        "up and printed at start)",
    )

    add("list", cmd_list, "List the bundled scenarios.")
    add("schema", cmd_schema, "Print the JSON Schema of scenario files (for editors).")
    return parser


def _seed(text: str) -> int:
    """An argument that is a seed: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; a seed is 0 or more")
    return value


def _positive_int(text: str) -> int:
    """An argument that is a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _period(text: str) -> str:
    """An argument that is a year (YYYY) or a month (YYYY-MM)."""
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a year (2025) or a month (2025-11)")
    return text


def _path(text: str) -> str:
    """An argument that names a file or folder: not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the name is empty")
    return text


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``timeout``, a batch system, a closed terminal): stop as on Ctrl-C,
    so that partly written outputs are removed."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _terminated_by(exc: BaseException) -> int | None:
    """The signal number if ``exc`` was caused by :class:`Terminated` (Python wraps an
    exception raised while a class body is set up, e.g. during an import)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Terminated):
            return seen.args[0]
        seen = seen.__cause__ or seen.__context__
    return None


def _printable_streams() -> None:
    """A terminal that cannot show a character ("→" in cp1252) gets "?" instead of a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or detached stream
                reconfigure(errors="replace")


def _quiet_broken_pipe() -> int:
    """The reader of our output left (``tradesim list | head -1``): stop quietly. Python would
    report the failed flush of stdout at exit, so stdout is pointed at /dev/null first."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _printable_streams()
    try:
        return _main(args)
    except BrokenPipeError:
        return _quiet_broken_pipe()


def _main(args: argparse.Namespace) -> int:
    import os

    if args.command not in ("list", "schema"):
        try:
            os.getcwd()
        except FileNotFoundError:
            print(
                "tradesim: error: the working folder no longer exists (it was deleted or "
                "moved)\n    hint: cd to a folder that exists and run the command again",
                file=sys.stderr,
            )
            return EXIT_OUTPUT
    handled = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    in_main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _terminate) for s in handled} if in_main else {}
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:
        signum = _terminated_by(exc)  # a store's interruption keeps the signal as its cause
        how = "interrupted" if signum is None else "terminated"
        if _is(exc, "simulator.runs.ensemble", "RunsInterrupted"):  # a store keeps its runs
            print(f"tradesim: {how}; {exc}", file=sys.stderr)
        else:
            print(f"tradesim: {how}; nothing was written", file=sys.stderr)
        return 130 if signum is None else 128 + signum
    except Exception as exc:
        if (signum := _terminated_by(exc)) is not None:  # a signal raised inside an import
            print("tradesim: terminated; nothing was written", file=sys.stderr)
            return 128 + signum
        bad_input = _is(exc, "simulator.scenario.errors", "ScenarioError") or _is(
            exc, "simulator.calibration.dataset", "DataError"
        )
        if not bad_input and not _is(exc, "simulator.results.output", "OutputError"):
            raise
        print(f"tradesim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if bad_input else EXIT_OUTPUT
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _is(exc: BaseException, module: str, name: str) -> bool:
    """Whether ``exc`` is a ``module.name``, without importing the module: a command that
    raised one has imported it."""
    cls = getattr(sys.modules.get(module), name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


if __name__ == "__main__":
    sys.exit(main())
