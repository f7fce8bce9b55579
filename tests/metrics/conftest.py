import pytest
from store_fixture import build


@pytest.fixture(scope="session")
def metrics_store(tmp_path_factory):
    from critmin.store import Store

    return Store.open(build(tmp_path_factory.mktemp("metrics") / "critmin.duckdb"))
