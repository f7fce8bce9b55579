"""Hypothesis strategies for scenario documents of every model, valid and broken.

Valid documents are the shipped scenario files (every model has some); broken ones are
those files with one to three mutations: a key deleted, a value of the wrong type, an
unknown key or name, an extreme number, a data path outside the source directory, or the
whole document replaced by something that is not a mapping. Shared by the property test
(tests/properties/test_scenario_fuzz.py) and the benchmark (benchmarks/bench_scenario_fuzz.py).
"""

from __future__ import annotations

import copy
import math
import random
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def shipped_documents() -> list[dict[str, Any]]:
    out = []
    for path in SHIPPED:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict):
            out.append(doc)
    return out


DOCUMENTS = shipped_documents()
MODELS = sorted({str(d.get("model")) for d in DOCUMENTS})

#: Values of the wrong type or size, and names nobody defined.
JUNK_VALUES = [None, True, False, 0, -1, 1, 2**63, 10**400, -(10**30), 1e308, -1e308, 1e-320,
               math.inf, -math.inf, math.nan, -0.0, 0.5, "", "ZZZ", "cobalt ore", "Atlantis",
               "all", "rest", "EU99", "G7", "QUAD", "${CRITMIN_SOURCE_DIR}",
               "${UNSET_VARIABLE}/x.csv", "\x00", "\u2013", "yes", "0x10", "1e3", "2026-02-02",
               [], [1, 2], {}, {"a": 1}, [None], [[]], {"type": "ban"}]
#: Data paths that must never be read: outside the document's folder and the source dir.
HOSTILE_PATHS = ["/etc/passwd", "../../../../etc/passwd", "${CRITMIN_SOURCE_DIR}/../../etc/passwd",
                 "~/.ssh/id_rsa", "/proc/self/environ", "..", "/", "data/../../../etc/hosts",
                 "${CRITMIN_SOURCE_DIR}/yotov2016/../../../../../etc/shadow", "file:///etc/passwd",
                 "\\\\server\\share\\x.csv", "nul", ""]
UNKNOWN_KEYS = ["shocks2", "elastcities", "basline", "rate_pct", "foo", "", "model ", "Model",
                "countries", "exporter", "type", "from", "to", "year", 3, None]
EXTREMES = [1e308, -1e308, math.inf, -math.inf, math.nan, 10**100, -(10**12), 0, -0.0, 5e-324,
            1900, 2100, 99999, -5]
MUTATIONS = ("delete", "junk", "junk", "unknown_key", "hostile_path", "extreme", "rename_value",
             "swap_type")


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys / indexes) to a value inside ``node``."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out.extend(_paths(v, (*prefix, i)))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    node = doc
    for part in path[:-1]:
        node = node[part]
    return node


def _is_path(path: tuple, value: Any) -> bool:
    return bool(path) and path[-1] in ("file", "flows_csv", "path", "csv") and isinstance(value, str)


def junk(rng: random.Random) -> Any:
    if rng.random() < 0.2:
        return rng.uniform(-1e6, 1e6)
    if rng.random() < 0.1:
        return "".join(chr(rng.randint(32, 0x24F)) for _ in range(rng.randint(0, 12)))
    return copy.deepcopy(rng.choice(JUNK_VALUES))


def mutate(document: Any, rng: random.Random) -> Any:
    """``document`` with one to three mutations, or (1 in 20) replaced by a non-mapping."""
    doc = copy.deepcopy(document)
    if rng.randrange(20) == 0:
        return rng.choice([junk(rng), [junk(rng)], None, "model: pe", 42])
    for _ in range(rng.randint(1, 3)):
        paths = _paths(doc)
        if not paths:
            break
        path = rng.choice(paths)
        parent = _parent(doc, path)
        key = path[-1]
        kind = rng.choice(MUTATIONS)
        if kind == "delete":
            del parent[key]
        elif kind == "junk":
            parent[key] = junk(rng)
        elif kind == "unknown_key" and isinstance(parent, dict):
            parent[rng.choice(UNKNOWN_KEYS)] = junk(rng)
        elif kind == "hostile_path":
            files = [p for p in paths if _is_path(p, _parent(doc, p)[p[-1]])]
            target = rng.choice(files) if files else path
            _parent(doc, target)[target[-1]] = rng.choice(HOSTILE_PATHS)
        elif kind == "extreme":
            parent[key] = rng.choice(EXTREMES)
        elif kind == "rename_value" and isinstance(parent[key], str):
            parent[key] = parent[key] + rng.choice(["x", " ", "_", "-old", "s"])
        elif kind == "swap_type":
            v = parent[key]
            parent[key] = ([v] if not isinstance(v, list) else (v[0] if v else {}))
    return doc


def document(rng: random.Random, valid_share: float = 0.1) -> Any:
    """A shipped document untouched (share ``valid_share``) or mutated."""
    base = rng.choice(DOCUMENTS)
    return copy.deepcopy(base) if rng.random() < valid_share else mutate(base, rng)


def documents(valid_share: float = 0.1) -> Any:
    """The same generator as a hypothesis strategy (shrinks through hypothesis' Random)."""
    from hypothesis import strategies as st

    return st.builds(lambda r: document(r, valid_share), st.randoms(use_true_random=False))


def mutated() -> Any:
    """Hypothesis strategy of broken documents only."""
    from hypothesis import strategies as st

    return st.builds(lambda r: mutate(r.choice(DOCUMENTS), r), st.randoms(use_true_random=False))


def dump(doc: Any) -> str:
    """YAML text of ``doc`` (non-finite floats and huge ints as YAML writes them)."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True)
