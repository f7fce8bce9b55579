"""A live critmin server on loopback (the REST app with the dashboard, on the bundled
snapshot store) and Debian's chromium driven by Playwright.

The browser tests skip, saying why, only when chromium is not installed (``make test``
installs it when run as root) or Playwright cannot start it.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "out" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps"]
LOOPBACK = ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def server(snapshot_store) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` serving create_app(snapshot store)."""
    import uvicorn

    from critmin.api import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(snapshot_store.path)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start within 60 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    exe = chromium_path()
    if exe is None:
        pytest.skip("chromium is not installed (`make test` installs it with apt-get when "
                    "run as root)")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.skip(f"Playwright could not start {exe}: {exc}")
        yield b
        b.close()


class Visit:
    """One page in a fresh browser context, with a loopback-only route guard and a record
    of console errors."""

    def __init__(self, browser: object, base: str, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._guard)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _guard(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(LOOPBACK):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    def open(self, path: str) -> object:
        self.page.goto(self.base + path)
        return self.page

    def wait_for_figures(self, n: int = 1, timeout_ms: int = 90_000) -> None:
        self.page.wait_for_function(
            f"document.querySelectorAll('.figure[data-drawn]').length >= {n} || "
            "!document.querySelector('#error').hidden", timeout=timeout_ms)
        assert self.page.locator("#error").is_hidden(), self.page.text_content("#error")

    def paths(self, selector: str) -> int:
        return self.page.locator(selector).count()

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.wait_for_timeout(300)
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check_clean(self) -> None:
        assert self.outside == [], f"requests left loopback: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def visit(browser, server):  # type: ignore[no-untyped-def]
    opened: list[Visit] = []

    def make(width: int = 1280, height: int = 800) -> Visit:
        v = Visit(browser, server, width, height)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()
