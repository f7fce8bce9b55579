"""A fresh clone: `make demo`, then the README's commands in the same shell with nothing
set, find the store that `make demo` built (the default store location).

Cheap by design: the clone gets a bare venv that sees this venv's installed dependencies
and the clone's own ``src`` (no pip install), and a private XDG data directory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_make_demo_then_a_readme_command_works_in_the_same_shell(tmp_path: Path) -> None:
    if shutil.which("make") is None or shutil.which("git") is None:
        pytest.skip("make and git are needed")
    clone = tmp_path / "critmin"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True).stdout.strip())
    # this venv's dependencies, then the clone's code (not this checkout's)
    (site / "critmin_clone.pth").write_text(f"{clone / 'src'}\n{sysconfig.get_path('purelib')}\n")
    script = venv / "bin" / "critmin"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nfrom critmin.cli import main\nmain()\n")
    script.chmod(0o755)
    digest = hashlib.sha256((clone / "pyproject.toml").read_bytes()).hexdigest()[:12]
    (venv / f".installed-{digest}").touch()  # the Makefile's "installed" stamp

    env = {k: v for k, v in os.environ.items() if not k.startswith("CRITMIN_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    demo = subprocess.run(["make", "demo", f"VENV={venv}"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert (clone / "out" / "report.md").is_file()
    assert (tmp_path / "data" / "critmin" / "critmin.duckdb").is_file()

    readme = (clone / "README.md").read_text()
    for command in (["critmin", "production", "gallium", "--year", "2024"],
                    ["critmin", "concentration", "gallium", "--stage", "refinery",
                     "--share-of", "CHN", "--series", "all"]):
        assert " ".join(command[1:3]) in readme
        got = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True,
                             timeout=300)
        assert got.returncode == 0, got.stdout[-1500:] + got.stderr[-1500:]
        assert "CHN" in got.stdout
