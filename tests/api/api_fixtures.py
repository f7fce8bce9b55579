"""Helpers of the API tests: a small source directory and scenario, a client."""

from __future__ import annotations

import warnings
from pathlib import Path

FLOWS = """exporter,importer,value
CHN,CHN,500
CHN,USA,100
CHN,JPN,80
USA,USA,20
USA,JPN,5
JPN,JPN,30
JPN,USA,10
"""

#: A scenario on a three-country user file: solves in milliseconds.
SMALL = """\
name: small-ban
baseline:
  flows_csv: flows.csv
  mineral: gallium
  stage: refinery
  price_usd_per_t: 500000
shocks:
  - type: export_quota
    exporter: CHN
    destinations: [USA]
    tonnes: 0
"""


def make_client(store: Path, source_dir: Path | None, **limits: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette: httpx TestClient is deprecated
        from fastapi.testclient import TestClient

    from critmin.api import Limits, create_app

    return TestClient(create_app(store, source_dir=source_dir, limits=Limits(**limits)))


def sleep_for(seconds: float, deadline_at: float) -> tuple[str, str]:
    """A solve job that never checks its deadline (runs in a worker process)."""
    import time

    time.sleep(seconds)
    return ("ok", "{}")


def quick(deadline_at: float) -> tuple[str, str]:
    return ("ok", '{"quick": true}')
