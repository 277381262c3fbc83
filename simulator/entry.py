"""The ``tradesim`` console script.

A command that will run a process pool (a decomposition, a sweep, an ensemble) starts the
workers' fork server first, so that it imports the model while this process imports it too,
then hands over to :func:`simulator.cli.main`. The command line is read leniently here: a
wrong guess only starts the fork server without need, or later.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if _will_start_a_pool(args):
        from simulator.runs.workers import start_fork_server

        start_fork_server()
    from simulator.cli import main as cli_main

    return cli_main(args)


def _will_start_a_pool(args: list[str]) -> bool:
    """Whether the command will run its runs on a local process pool of several workers."""
    if "-h" in args or "--help" in args:
        return False
    command = next((a for a in args if not a.startswith("-")), None)
    jobs = _option(args, "--jobs")
    if jobs is None:
        from simulator.runs.workers import available_cores

        jobs = str(available_cores())
    if not jobs.isdigit() or int(jobs) < 2:
        return False
    if command == "decompose":
        return True
    if command == "sweep":
        return _option(args, "--executor") in (None, "local")
    if command in ("run", "validate-history"):
        return _option(args, "--ensemble") not in (None, "0", "1")
    return False


def _option(args: list[str], name: str) -> str | None:
    """The value of ``name VALUE`` or ``name=VALUE`` (the last one given), else None."""
    value = None
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


if __name__ == "__main__":
    sys.exit(main())
