"""Records the git commit in the built package (``simulator/_commit.txt``), so that an
installed copy of tradesim names the exact code it runs (see simulator/version.py)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


def write_commit(build_lib: str, source: Path) -> None:
    """Write the checkout's commit into the built ``simulator`` package, if there is one."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_version", source / "simulator" / "version.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    commit = module.checkout_commit(source)
    if commit:
        target = Path(build_lib) / "simulator" / module.COMMIT_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(commit + "\n", encoding="utf-8")


class BuildWithCommit(build_py):
    def run(self) -> None:
        super().run()
        write_commit(self.build_lib, Path(__file__).resolve().parent)


setup(cmdclass={"build_py": BuildWithCommit})
