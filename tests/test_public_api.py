"""The public surface: ``critmin.__all__`` is sorted and complete, names resolve, and
``import critmin`` stays light (names load on first use, PEP 562)."""

import subprocess
import sys

import critmin


def test_all_is_sorted_and_unique():
    assert list(critmin.__all__) == sorted(set(critmin.__all__))


def test_every_public_name_resolves():
    for name in critmin.__all__:
        assert getattr(critmin, name) is not None, name


def test_all_lists_every_public_attribute_defined_in_init():
    for name in critmin.__all__:  # load every lazy name, then nothing else may be public
        getattr(critmin, name)
    public = {n for n in dir(critmin) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(critmin, n)).__name__ == "module"}
    assert public - modules == set(critmin.__all__) - {"__version__"}


def test_unknown_attribute_raises_attribute_error():
    try:
        critmin.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("critmin.no_such_name resolved")


def test_import_critmin_loads_no_pandas_duckdb_or_scipy():
    code = ("import sys, critmin; heavy = {'pandas', 'duckdb', 'scipy'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
