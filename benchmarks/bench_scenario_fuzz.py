"""Robustness of the scenario language: generated documents of every model through the loader
(100,000) and through critmin.run (1,000), counting crashes (goal 0) and time.

Documents: the shipped scenario files, untouched (10 %) or with one to three mutations
(deleted keys, wrong types, unknown keys and names, extreme numbers, data paths outside the
source directory, non-mapping documents), from tests/properties/scenario_documents.py with
a fixed seed. Each is written to a file and loaded from it, so messages can name file and
line.

- crash: any exception that is not a CritminError;
- no line: a CritminError whose message does not name the file and a line.

critmin.run uses a store built from the snapshot (temporary folder); documents whose data
files live in ../shared/data run when it is there and fail cleanly when it is not.

Run: .venv/bin/python benchmarks/bench_scenario_fuzz.py [--load 100000] [--run 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "properties"))

from scenario_documents import document, dump  # noqa: E402


def _names_line(message: str, path: Path) -> bool:
    name = re.escape(str(path))
    return re.search(rf"{name}:\d+|{name}\b.*?\bline \d+", message, re.S) is not None


def fuzz(n: int, seed: int, call, folder: Path, label: str) -> dict:
    from critmin.errors import CritminError

    rng = random.Random(seed)
    path = folder / "scenario.yaml"
    counts: Counter = Counter()
    crashes: list[str] = []
    no_line: list[str] = []
    started = time.perf_counter()
    step = max(1, n // 10)
    for i in range(n):
        path.write_text(dump(document(rng)), encoding="utf-8")
        try:
            call(path)
            counts["ok"] += 1
        except CritminError as exc:
            counts[type(exc).__name__] += 1
            if not _names_line(str(exc), path):
                counts["no_line"] += 1
                text = f"{type(exc).__name__}: {str(exc).replace(str(path), '<file>')[:200]}"
                if text not in no_line and len(no_line) < 20:
                    no_line.append(text)
        except Exception as exc:  # noqa: BLE001  (counting crashes is the point)
            counts["CRASH"] += 1
            if len(crashes) < 20:
                tb = traceback.extract_tb(exc.__traceback__)[-1]
                crashes.append(f"{type(exc).__name__}: {str(exc)[:160]} at {tb.filename}:{tb.lineno}\n"
                               f"    document: {path.read_text()[:300]!r}")
        if (i + 1) % step == 0:
            print(f"  {label}: {i + 1:,} documents, {time.perf_counter() - started:.1f} s",
                  file=sys.stderr)
    seconds = time.perf_counter() - started
    return {"n": n, "seconds": seconds, "counts": counts, "crashes": crashes, "no_line": no_line}


def report(label: str, r: dict) -> None:
    crashes = r["counts"].get("CRASH", 0)
    missing = r["counts"].get("no_line", 0)
    print(f"{label}: {r['n']:,} documents in {r['seconds']:.1f} s "
          f"({1e6 * r['seconds'] / r['n']:.0f} us each); crashes {crashes} (goal 0); "
          f"errors without file:line {missing}")
    print("  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in r["counts"].most_common()
                                     if k != "no_line"))
    for c in r["crashes"][:10]:
        print("  CRASH " + c)
    for m in r["no_line"][:10]:
        print("  no line: " + m)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--load", type=int, default=100_000)
    ap.add_argument("--run", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    import critmin
    from critmin.scenario import load_scenario
    from critmin.store import Store
    from critmin.store.build import build_store

    folder = Path(tempfile.mkdtemp())
    if args.load:
        report("loader (critmin.scenario.load_scenario)",
               fuzz(args.load, args.seed, load_scenario, folder, "loader"))
    if args.run:
        store_path = folder / "snap.duckdb"
        build_store(store_path)
        store = Store.open(store_path)
        report("critmin.run", fuzz(args.run, args.seed + 1,
                                   lambda p: critmin.run(p, store=store), folder, "run"))


if __name__ == "__main__":
    from _machine import machine_report

    with machine_report("bench_scenario_fuzz"):
        main()
