"""`critmin --help` and command discovery load no pandas, DuckDB or SciPy: every command
module imports its heavy dependencies inside the command body (the start-up time is
measured by benchmarks/bench_api.py, not here)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "duckdb", "scipy")
PROBE = (
    "import sys\n"
    "from critmin.cli import main\n"
    "sys.argv = ['critmin', *{args!r}]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "print('HEAVY=' + ','.join(sorted(m for m in {heavy!r} if m in sys.modules)))\n"
)


def _heavy_after(*args: str) -> tuple[str, str]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args), heavy=HEAVY)],
                          capture_output=True, text=True, timeout=120)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HEAVY=")]
    assert line, proc.stdout + proc.stderr
    return line[-1].removeprefix("HEAVY="), proc.stdout


@pytest.mark.parametrize("args", [
    ("--help",),
    ("production", "--help"),
    ("scenario", "run", "--help"),
    ("data", "build", "--help"),
])
def test_help_imports_no_pandas_duckdb_or_scipy(args):
    heavy, out = _heavy_after(*args)
    assert heavy == "", f"`critmin {' '.join(args)}` imported {heavy}"
    assert "Usage" in out


def test_help_lists_every_command_group():
    import re

    _, out = _heavy_after("--help")
    listed = set(re.findall(r"^│ (\w[\w-]*) ", out, flags=re.MULTILINE))
    assert {"data", "production", "concentration", "exposure", "flows", "scenario",
            "serve"} <= listed, listed
