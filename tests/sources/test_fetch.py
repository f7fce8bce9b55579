"""`critmin data fetch`: resumable, checksummed, atomic downloads, tested with
httpx.MockTransport (this machine has no internet)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from critmin.cli import app
from critmin.errors import FetchError
from critmin.sources import fetch as fetch_mod
from critmin.sources.fetch import (
    LOCK_NAME,
    REGISTRY,
    FetchSource,
    RemoteFile,
    UnknownSourceError,
    fetch,
    read_lock,
)

PAYLOAD = bytes(range(256)) * 1000  # 256,000 bytes
SHA = hashlib.sha256(PAYLOAD).hexdigest()
URL = "https://example.org/release/data.csv"


@pytest.fixture()
def pinned(monkeypatch: pytest.MonkeyPatch) -> FetchSource:
    src = FetchSource("test-pinned", "Tester", "A pinned file", "https://example.org", "CC0",
                      (RemoteFile(URL, "data.csv", SHA, len(PAYLOAD)),))
    monkeypatch.setitem(REGISTRY, src.name, src)
    return src


@pytest.fixture()
def unpinned(monkeypatch: pytest.MonkeyPatch) -> FetchSource:
    src = FetchSource("test-tofu", "Tester", "A file with no known checksum",
                      "https://example.org", "CC0", (RemoteFile(URL, "data.csv"),))
    monkeypatch.setitem(REGISTRY, src.name, src)
    return src


class Server:
    """A mock publisher: serves PAYLOAD, honours Range unless told not to, can cut the
    connection after ``fail_after`` bytes, and records every request."""

    def __init__(self, body: bytes = PAYLOAD, *, honour_range: bool = True,
                 fail_after: int | None = None, status: int = 200) -> None:
        self.body, self.honour_range, self.fail_after, self.status = (
            body, honour_range, fail_after, status)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status)
        start = 0
        rng = request.headers.get("Range")
        if rng and self.honour_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
        body = self.body[start:]
        headers = {"Content-Length": str(len(body))}
        code = 200
        if rng and self.honour_range:
            code = 206
            headers["Content-Range"] = f"bytes {start}-{len(self.body) - 1}/{len(self.body)}"
        if self.fail_after is not None:
            cut, self.fail_after = self.fail_after, None  # fail once, then serve normally
            return httpx.Response(code, headers=headers, stream=_Broken(body[:cut]))
        return httpx.Response(code, headers=headers, content=body)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


class _Broken(httpx.SyncByteStream):
    """Yields some bytes, then the connection drops."""

    def __init__(self, head: bytes) -> None:
        self.head = head

    def __iter__(self):
        yield self.head
        raise httpx.ReadError("connection reset by peer")


def test_full_download_is_verified_and_installed(tmp_path, pinned):
    server = Server()
    [result] = fetch(pinned.name, dest=tmp_path, client=server.client())
    assert result.path == tmp_path / pinned.name / "data.csv"
    assert result.path.read_bytes() == PAYLOAD
    assert (result.status, result.check, result.sha256, result.size) == (
        "downloaded", "pinned", SHA, len(PAYLOAD))
    assert not result.path.with_name("data.csv.part").exists()
    assert read_lock(tmp_path)[f"{pinned.name}/data.csv"]["sha256"] == SHA


def test_interrupted_download_resumes_with_range(tmp_path, pinned):
    server = Server(fail_after=100_000)
    with pytest.raises(FetchError, match="interrupted after 100,000 bytes.*again to resume"):
        fetch(pinned.name, dest=tmp_path, client=server.client())
    part = tmp_path / pinned.name / "data.csv.part"
    assert part.stat().st_size == 100_000
    assert not (tmp_path / pinned.name / "data.csv").exists()  # nothing half-installed

    [result] = fetch(pinned.name, dest=tmp_path, client=server.client())
    assert server.requests[-1].headers["Range"] == "bytes=100000-"
    assert result.status == "resumed"
    assert result.path.read_bytes() == PAYLOAD
    assert not part.exists()


def test_server_ignoring_range_restarts_from_zero(tmp_path, pinned):
    part = tmp_path / pinned.name / "data.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes of an earlier attempt")
    server = Server(honour_range=False)
    [result] = fetch(pinned.name, dest=tmp_path, client=server.client())
    assert "Range" in server.requests[0].headers  # we asked to resume...
    assert result.status == "downloaded"          # ...the server sent everything
    assert result.path.read_bytes() == PAYLOAD


def test_checksum_mismatch_keeps_bad_file_aside_and_installs_nothing(tmp_path, pinned):
    tampered = PAYLOAD[:-1] + b"\x00"
    server = Server(body=tampered)
    with pytest.raises(FetchError, match="Checksum mismatch.*expected sha256 " + SHA):
        fetch(pinned.name, dest=tmp_path, client=server.client())
    folder = tmp_path / pinned.name
    assert not (folder / "data.csv").exists()
    bad = list(folder.glob("data.csv.bad-*"))
    assert len(bad) == 1 and bad[0].read_bytes() == tampered
    assert not (folder / "data.csv.part").exists()
    assert f"{pinned.name}/data.csv" not in read_lock(tmp_path)


def test_http_404_is_a_clear_fetch_error(tmp_path, pinned):
    server = Server(status=404)
    with pytest.raises(FetchError, match=r"HTTP 404.*pass --url"):
        fetch(pinned.name, dest=tmp_path, client=server.client())
    assert not (tmp_path / pinned.name / "data.csv").exists()


def test_present_file_is_not_downloaded_again_unless_forced(tmp_path, pinned):
    server = Server()
    fetch(pinned.name, dest=tmp_path, client=server.client())
    [again] = fetch(pinned.name, dest=tmp_path, client=server.client())
    assert again.status == "present" and len(server.requests) == 1
    [forced] = fetch(pinned.name, dest=tmp_path, client=server.client(), force=True)
    assert forced.status == "downloaded" and len(server.requests) == 2


def test_unpinned_release_records_checksum_then_detects_a_change(tmp_path, unpinned):
    [first] = fetch(unpinned.name, dest=tmp_path, client=Server().client())
    assert first.check == "recorded" and not first.changed
    lock = json.loads((tmp_path / LOCK_NAME).read_text())
    assert lock[f"{unpinned.name}/data.csv"] == {
        "url": URL, "sha256": SHA, "size": len(PAYLOAD),
        "fetched_at": lock[f"{unpinned.name}/data.csv"]["fetched_at"]}
    newer = PAYLOAD + b"one more month"
    [second] = fetch(unpinned.name, dest=tmp_path, client=Server(body=newer).client(), force=True)
    assert second.changed and second.sha256 == hashlib.sha256(newer).hexdigest()


def test_unknown_source_suggests_the_nearest_name():
    with pytest.raises(UnknownSourceError, match="'usgs-mcs2062' is not a known source. "
                                                 "Did you mean 'usgs-mcs2026'"):
        fetch("usgs-mcs2062")


def test_registry_names_official_https_urls():
    for src in REGISTRY.values():
        for f in src.files:
            assert f.url.startswith("https://"), f.url
            assert any(host in f.url for host in ("sciencebase.gov", "worldbank.org",
                                                   "cepii.fr")), f.url
    assert REGISTRY["usgs-mcs2026"].files[0].sha256 == (
        "582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5")


def test_cli_fetch_unknown_source_exits_2_without_traceback():
    result = CliRunner().invoke(app, ["data", "fetch", "wb-pinksheet"])
    assert result.exit_code == 2
    assert "Did you mean 'wb-pink-sheet'" in result.output
    assert "Traceback" not in result.output


def test_cli_fetch_downloads_with_injected_client(tmp_path, pinned, monkeypatch):
    server = Server()
    original = fetch_mod.fetch
    monkeypatch.setattr("critmin.sources.fetch.fetch",  # the CLI imports it per call
                        lambda *a, **kw: original(*a, client=server.client(), **kw))
    result = CliRunner().invoke(app, ["data", "fetch", pinned.name, "--dest", str(tmp_path),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["rows"][0]
    assert (row["status"], row["check"], row["sha256"]) == ("downloaded", "pinned", SHA)
    assert (tmp_path / pinned.name / "data.csv").read_bytes() == PAYLOAD


def test_cli_fetch_list_names_every_release():
    result = CliRunner().invoke(app, ["data", "fetch", "--list", "--format", "json"])
    assert result.exit_code == 0
    names = {r["source"] for r in json.loads(result.stdout)["rows"]}
    assert {"usgs-mcs2025-world", "usgs-mcs2026", "wb-wgi", "wb-pink-sheet", "wb-wdi-gdp",
            "cepii-geodist", "cepii-baci"} <= names


def test_complete_part_file_and_416_installs_after_verification(tmp_path, pinned):
    part = tmp_path / pinned.name / "data.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD)

    def range_not_satisfiable(request: httpx.Request) -> httpx.Response:
        assert request.headers["Range"] == f"bytes={len(PAYLOAD)}-"
        return httpx.Response(416)

    client = httpx.Client(transport=httpx.MockTransport(range_not_satisfiable))
    [result] = fetch(pinned.name, dest=tmp_path, client=client)
    assert result.status == "resumed" and result.path.read_bytes() == PAYLOAD


def test_wrong_content_range_is_refused(tmp_path, pinned):
    part = tmp_path / pinned.name / "data.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(PAYLOAD[:1000])

    def wrong_offset(request: httpx.Request) -> httpx.Response:
        return httpx.Response(206, headers={"Content-Range": f"bytes 0-{len(PAYLOAD) - 1}/"
                                                             f"{len(PAYLOAD)}"}, content=PAYLOAD)

    client = httpx.Client(transport=httpx.MockTransport(wrong_offset))
    with pytest.raises(FetchError, match="asked to resume at byte 1000"):
        fetch(pinned.name, dest=tmp_path, client=client)
    assert not (tmp_path / pinned.name / "data.csv").exists()


def test_corrupted_installed_file_is_downloaded_again(tmp_path, pinned):
    server = Server()
    [first] = fetch(pinned.name, dest=tmp_path, client=server.client())
    first.path.write_bytes(b"bit rot")
    [again] = fetch(pinned.name, dest=tmp_path, client=server.client())
    assert again.status == "downloaded" and again.path.read_bytes() == PAYLOAD


def test_url_override_drops_the_pinned_checksum(tmp_path, pinned):
    other = b"a later version of the release"
    [result] = fetch(pinned.name, dest=tmp_path, url="https://example.org/v2/data.csv",
                     client=Server(body=other).client())
    assert result.check == "recorded" and result.path.read_bytes() == other


@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=0, max_value=len(PAYLOAD) - 1),
       honour_range=st.booleans())
def test_any_interruption_point_resumes_to_the_exact_file(cut, honour_range):
    src = FetchSource("test-prop", "Tester", "t", "https://example.org", "CC0",
                      (RemoteFile(URL, "data.csv", SHA, len(PAYLOAD)),))
    with tempfile.TemporaryDirectory() as tmp, mock_registry(src):
        server = Server(fail_after=cut, honour_range=honour_range)
        with pytest.raises(FetchError):
            fetch(src.name, dest=Path(tmp), client=server.client())
        [result] = fetch(src.name, dest=Path(tmp), client=server.client())
        assert result.path.read_bytes() == PAYLOAD
        assert result.status == ("resumed" if honour_range and cut else "downloaded")


@contextlib.contextmanager
def mock_registry(src: FetchSource):
    REGISTRY[src.name] = src
    try:
        yield
    finally:
        del REGISTRY[src.name]
