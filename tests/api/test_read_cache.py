"""The API's ReadCache is bounded by the real size of what it keeps (strings included)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from critmin.api.deps import ENTRY_OVERHEAD, ReadCache, frame_bytes


def _deep(frame: pd.DataFrame) -> int:
    return int(frame.memory_usage(index=True, deep=True).sum())


def _strings(k: int, rows: int = 1200) -> pd.DataFrame:
    """A store-like result: four text columns (ISO3 codes, labels, sources) and a number."""
    rng = np.random.default_rng(k)
    return pd.DataFrame({
        "exporter": [f"C{int(i):02d}" for i in rng.integers(0, 99, rows)],
        "label": [f"country label number {int(i)} of query {k}" for i in rng.integers(0, 10**6, rows)],
        "source": [f"baci-hs92-y2021-v202301-extract-{k}"] * rows,
        "note": [None if i % 3 else f"note {i}" for i in range(rows)],
        "quantity_t": rng.random(rows),
    })


def test_frame_bytes_is_the_deep_count_of_text_nulls_numbers_and_categories():
    """ASCII text, None and NaN, non-ASCII text, mixed objects, categories and numbers: the
    bytes pandas' deep count reports (taken after ours: converting non-ASCII text to UTF-8
    makes CPython keep that copy, which both then count)."""
    frame = pd.DataFrame({
        "ascii": ["CHN", None, "USA", np.nan] * 50,
        "latin": ["Côte d’Ivoire", "Türkiye", None, "USA"] * 50,
        "mixed": [1, "a", 2.5, None] * 50,
        "category": pd.Categorical(["mine", "refinery", "mine", "mine"] * 50),
        "flow_t": np.arange(200, dtype=float),
        "year": np.arange(200),
    }, index=[f"r{i}" for i in range(200)])
    ours = frame_bytes(frame)
    assert ours == _deep(frame)
    assert ours > 3 * int(frame.memory_usage(index=True, deep=False).sum())
    text = _strings(1)
    assert frame_bytes(text) == _deep(text)


def test_a_cache_bounded_at_2_mb_fed_text_frames_stays_under_2_mb_by_the_deep_count_and_evicts_oldest_first(
        tmp_path):
    """Each frame is ~0.05 MB by the shallow count (8 bytes a text cell) but ~0.35 MB by
    the deep count: a 2 MB cache keeps the newest 5 of 12 (all 12 by the shallow count)
    and drops the oldest first."""
    store = tmp_path / "store.duckdb"
    store.write_bytes(b"x")
    frames = [_strings(k) for k in range(12)]
    deep = [_deep(f) for f in frames]
    shallow = [int(f.memory_usage(index=True, deep=False).sum()) for f in frames]
    assert min(deep) > 2.5 * max(shallow)  # object-heavy: the shallow count would undercount
    cache = ReadCache(max_bytes=2 * 1024 * 1024)
    calls: list[int] = []

    def run(query: str, params: object) -> pd.DataFrame:
        calls.append(int(query))
        return frames[int(query)]

    for k in range(len(frames)):
        got = cache.get(store, str(k), None, run)
        assert got is frames[k]
        kept = [frames[int(key[2])] for key in cache._items]
        assert sum(_deep(f) for f in kept) <= cache.max_bytes
        assert cache.bytes == sum(frame_bytes(f) + ENTRY_OVERHEAD for f in kept) <= cache.max_bytes
        held = [int(key[2]) for key in cache._items]
        assert held == list(range(k - len(held) + 1, k + 1))  # the newest, in order: oldest went first
    sizes = [frame_bytes(f) + ENTRY_OVERHEAD for f in frames]
    fit = max(n for n in range(1, len(frames) + 1) if sum(sizes[-n:]) <= cache.max_bytes)
    assert len(cache) == fit == 5
    assert sum(s + ENTRY_OVERHEAD for s in shallow) <= cache.max_bytes  # 8 bytes a cell: all 12 "fit"
    # a hit is served from the cache, as a copy with the same rows
    before = len(calls)
    again = cache.get(store, "11", None, run)
    assert len(calls) == before and again is not frames[11]
    pd.testing.assert_frame_equal(again, frames[11])


def test_a_result_larger_than_a_quarter_of_the_bound_is_not_kept(tmp_path):
    store = tmp_path / "store.duckdb"
    store.write_bytes(b"x")
    frame = _strings(0, rows=3000)
    cache = ReadCache(max_bytes=4 * _deep(frame) - 1)  # a quarter is just below its deep size
    assert int(frame.memory_usage(index=True, deep=False).sum()) < cache.max_bytes // 4
    cache.get(store, "q", None, lambda q, p: frame)
    assert len(cache) == 0 and cache.bytes == 0


@pytest.mark.parametrize("mb, expected", [("64", 64 * 1024 * 1024), ("0.5", 512 * 1024)])
def test_serve_read_cache_mb_sets_the_app_read_cache_bound(monkeypatch, tmp_path, mb, expected):
    import uvicorn
    from typer.testing import CliRunner

    from critmin.cli import app

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: served.update(app=application))
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s.duckdb"), "--read-cache-mb", mb])
    assert result.exit_code == 0, result.output
    assert served["app"].state.reads.max_bytes == expected


def test_serve_reads_critmin_read_cache_mb_when_the_option_is_absent(monkeypatch, tmp_path):
    import uvicorn
    from typer.testing import CliRunner

    from critmin.cli import app

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: served.update(app=application))
    monkeypatch.setenv("CRITMIN_READ_CACHE_MB", "32")
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 0, result.output
    assert served["app"].state.reads.max_bytes == 32 * 1024 * 1024
    monkeypatch.delenv("CRITMIN_READ_CACHE_MB")
    CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s.duckdb")])
    assert served["app"].state.reads.max_bytes == 256 * 1024 * 1024


@pytest.mark.parametrize("args, env, where", [
    (["--read-cache-mb", "0"], None, "--read-cache-mb"),
    (["--read-cache-mb", "-5"], None, "--read-cache-mb"),
    (["--read-cache-mb", "lots"], None, "--read-cache-mb"),
    (["--read-cache-mb", "nan"], None, "--read-cache-mb"),
    ([], "a lot", "CRITMIN_READ_CACHE_MB"),
])
def test_a_bad_read_cache_size_is_bad_input_exit_2_before_the_server_starts(monkeypatch, tmp_path, args, env,
                                                                            where):
    import uvicorn
    from typer.testing import CliRunner

    from critmin.cli import app

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(1))
    if env is not None:
        monkeypatch.setenv("CRITMIN_READ_CACHE_MB", env)
    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s.duckdb"), *args])
    assert result.exit_code == 2
    assert f"{where} takes the megabytes of store query results the server keeps, a number above 0" \
        in result.output
    assert "Traceback" not in result.output and not started


def test_bytes_cells_are_sized_as_pandas_sizes_them():
    """pyarrow reads bytes as text; such columns take pandas' own cell-by-cell count."""
    frame = pd.DataFrame({"raw": np.array([b"abc", b"defgh"] * 1000, dtype=object)})
    assert frame_bytes(frame) == int(frame.memory_usage(index=True, deep=True).sum())


@pytest.mark.parametrize("value", ["1e308", "1e-7", "2000000"])
def test_read_cache_sizes_no_machine_holds_or_under_a_byte_are_refused(value):
    from critmin.config import read_cache_mb
    from critmin.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="--read-cache-mb takes the megabytes"):
        read_cache_mb(value)


def test_an_empty_read_cache_variable_counts_as_unset(monkeypatch):
    from critmin import config

    monkeypatch.setenv("CRITMIN_READ_CACHE_MB", "")
    assert config.read_cache_mb() == config.READ_CACHE_MB
