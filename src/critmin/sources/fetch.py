"""Download official release files: resumable, checksummed, atomic.

:data:`REGISTRY` names each release critmin can fetch, with the publisher's download URL.
:func:`fetch` streams each file with httpx into ``<name>.part`` beside its destination,
resumes an interrupted download with an HTTP ``Range`` request (a server that ignores
``Range`` and answers 200 is handled by starting over), verifies the sha256, and only then
renames the file into place, so a half-downloaded or corrupt file is never installed.

Checksums. Where the exact published bytes are known (the release is versioned and the
staged copy in ``../shared/data`` is byte-identical to it), the sha256 is pinned and a
mismatch is a :class:`~critmin.errors.FetchError`; the bad file is kept aside as
``<name>.bad-<sha12>`` for inspection. Where it is not (zip archives not staged, files the
publisher updates at the same URL such as the monthly Pink Sheet or the WDI bulk file),
the first download's size and sha256 are recorded in ``critmin-fetch.lock.json`` in the
cache directory (trust on first use) and every later download is compared with it.

The URLs are those the publishers documented for these vintages. This module cannot check
them from a machine without internet; a moved file gives a clear 404 error, and
``--url`` overrides the registry.

Sources take an injectable :class:`httpx.Client`, so tests use ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from critmin.config import settings
from critmin.errors import FetchError, UnknownNameError
from critmin.sources.origin import sha256_file

Progress = Callable[[str, int, int], None]
LOCK_NAME = "critmin-fetch.lock.json"


class UnknownSourceError(UnknownNameError):
    kind = "source"


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One file of a release: where it is and, if known, its exact checksum and size."""

    url: str
    filename: str
    sha256: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class FetchSource:
    """A release critmin can download."""

    name: str
    publisher: str
    title: str
    landing: str
    licence: str
    files: tuple[RemoteFile, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What happened to one file. ``status``: downloaded, resumed or present;
    ``check``: pinned (matched the registry), recorded (first download, now in the lock
    file) or locked (matched the lock file)."""

    source: str
    path: Path
    sha256: str
    size: int
    status: str
    check: str
    changed: bool = False  # the publisher's file differs from the previously recorded one


_SB = "https://www.sciencebase.gov/catalog/file/get"
REGISTRY: dict[str, FetchSource] = {s.name: s for s in (
    FetchSource(
        "usgs-mcs2025-world", "U.S. Geological Survey",
        "Mineral Commodity Summaries 2025 Data Release: world data (zip)",
        "https://doi.org/10.5066/P13XCP3R", "public domain",
        (RemoteFile(f"{_SB}/677eaf95d34e760b392c4970?name=World_Data_Release_MCS_2025.zip",
                    "World_Data_Release_MCS_2025.zip"),),
        "ScienceBase item 677eaf95d34e760b392c4970; holds MCS2025_World_Data.csv. Zip checksum "
        "not known in advance: recorded on first download."),
    FetchSource(
        "usgs-mcs2025-salient", "U.S. Geological Survey",
        "Mineral Commodity Summaries 2025 Data Release: salient statistics (zip)",
        "https://doi.org/10.5066/P13XCP3R", "public domain",
        (RemoteFile(f"{_SB}/677eaf95d34e760b392c4970"
                    "?name=Salient_Commodity_Data_Release_Grouped_MCS_2025.zip",
                    "Salient_Commodity_Data_Release_Grouped_MCS_2025.zip"),),
        "Zip checksum recorded on first download."),
    FetchSource(
        "usgs-mcs2026", "U.S. Geological Survey",
        "Mineral Commodity Summaries 2026 Data Release: commodities data (v1.0)",
        "https://doi.org/10.5066/P1WKQ63T", "public domain",
        (RemoteFile(f"{_SB}/696a75d5d4be0228872d3bf8?name=MCS2026_Commodities_Data.csv",
                    "MCS2026_Commodities_Data.csv",
                    "582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5",
                    3_189_010),),
        "sha256 pinned: the v1.0 file as staged (and as pinned upstream). USGS later versions "
        "(v1.3) would not match; pass --url to a specific version and expect a mismatch."),
    FetchSource(
        "wb-wgi", "World Bank", "Worldwide Governance Indicators, 2024 update (wgidataset)",
        "https://www.worldbank.org/en/publication/worldwide-governance-indicators", "CC BY 4.0",
        (RemoteFile("https://www.worldbank.org/content/dam/sites/govindicators/doc/"
                    "wgidataset.xlsx", "wgidataset.xlsx"),),
        "The World Bank replaces this file with each annual update: checksum recorded on "
        "first download. critmin parses the long-format CSV export of it."),
    FetchSource(
        "wb-pink-sheet", "World Bank",
        "Commodity Price Data (The Pink Sheet), monthly historical prices",
        "https://www.worldbank.org/en/research/commodity-markets", "CC BY 4.0",
        (RemoteFile("https://thedocs.worldbank.org/en/doc/74e8be41ceb20fa0da750cda2f6b9e4e-"
                    "0050012026/related/CMO-Historical-Data-Monthly.xlsx",
                    "CMO-Historical-Data-Monthly.xlsx"),),
        "Updated monthly at the same address, so no checksum can be pinned; the 2 June 2026 "
        "vintage critmin was built on has sha256 78a3373386d6... (see SOURCES.md)."),
    FetchSource(
        "wb-wdi-gdp", "World Bank", "World Development Indicators: GDP (current US$) bulk CSV",
        "https://data.worldbank.org/indicator/NY.GDP.MKTP.CD", "CC BY 4.0",
        (RemoteFile("https://api.worldbank.org/v2/en/indicator/NY.GDP.MKTP.CD?downloadformat=csv",
                    "API_NY.GDP.MKTP.CD_DS2_en_csv_v2.zip"),),
        "Always the latest release: checksum recorded on first download."),
    FetchSource(
        "cepii-geodist", "CEPII", "GeoDist: bilateral distances and country geography",
        "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=6", "Etalab 2.0",
        (RemoteFile("https://www.cepii.fr/distance/dist_cepii.zip", "dist_cepii.zip"),
         RemoteFile("https://www.cepii.fr/distance/geo_cepii.xls", "geo_cepii.xls")),
        "Checksums recorded on first download."),
    FetchSource(
        "cepii-baci", "CEPII", "BACI: bilateral trade flows at HS6, HS22 nomenclature, V202501",
        "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37", "Etalab 2.0",
        (RemoteFile("https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS22_V202501.zip",
                    "BACI_HS22_V202501.zip"),),
        "About 1 GB; resumable. Checksum recorded on first download."),
)}


def source(name: str) -> FetchSource:
    """The registry entry for ``name``; UnknownSourceError with a did-you-mean otherwise."""
    key = name.strip().lower()
    if key not in REGISTRY:
        raise UnknownSourceError(name, REGISTRY, "List them with `critmin data fetch --list`.")
    return REGISTRY[key]


# --- the lock file: sizes and checksums of first downloads ----------------------------

def read_lock(cache_dir: Path) -> dict[str, dict[str, object]]:
    path = Path(cache_dir) / LOCK_NAME
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise FetchError(f"The fetch lock file {path} is not valid JSON ({exc}); "
                         "delete it to record checksums afresh.") from exc


def _write_lock(cache_dir: Path, lock: dict[str, dict[str, object]]) -> None:
    path = Path(cache_dir) / LOCK_NAME
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


# --- download -------------------------------------------------------------------------

def _download(client: httpx.Client, url: str, part: Path, label: str,
              progress: Progress | None) -> str:
    """Stream ``url`` into ``part``, resuming from its current size. Returns the status."""
    offset = part.stat().st_size if part.exists() else 0
    # identity: Range offsets count bytes on the wire, so they must be the file's bytes.
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True) as resp:
            if resp.status_code == 416 and offset:
                # Range past the end: the .part already holds the whole file.
                return "resumed"
            if resp.status_code >= 400:
                hint = (" The publisher may have moved the file; pass --url with its new address."
                        if resp.status_code in (403, 404, 410) else "")
                raise FetchError(f"Download of {url} failed: HTTP {resp.status_code} "
                                 f"{resp.reason_phrase}.{hint}")
            if resp.status_code == 206 and offset:
                start = _content_range_start(resp.headers.get("Content-Range", ""))
                if start != offset:
                    raise FetchError(f"Download of {url}: asked to resume at byte {offset}, "
                                     f"server sent Content-Range "
                                     f"{resp.headers.get('Content-Range')!r}.")
                mode, done, status = "ab", offset, "resumed"
            else:  # 200: the full file, whether or not we asked for a range
                mode, done, status = "wb", 0, "downloaded"
            length = resp.headers.get("Content-Length")
            total = done + int(length) if length and length.isdigit() else 0
            with open(part, mode) as fh:
                # iter_bytes() without a size yields bytes as they arrive, so an
                # interruption loses nothing already received.
                for chunk in resp.iter_bytes():
                    fh.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(label, done, total or done)
            if total and done != total:
                raise FetchError(f"Download of {url} stopped at {done:,} of {total:,} bytes. "
                                 "Run the same command again to resume.")
            return status
    except httpx.HTTPError as exc:
        have = part.stat().st_size if part.exists() else 0
        raise FetchError(f"Download of {url} was interrupted after {have:,} bytes ({exc!r}). "
                         "Run the same command again to resume.") from exc
    except OSError as exc:
        if isinstance(exc, FetchError):
            raise
        raise FetchError(f"Cannot write {part}: {exc}. Check free space and permissions of "
                         "the destination (--dest or CRITMIN_CACHE_DIR).") from exc


def _content_range_start(value: str) -> int | None:
    # "bytes 100-199/200"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def fetch(name: str, *, dest: Path | None = None, force: bool = False,
          client: httpx.Client | None = None, url: str | None = None,
          progress: Progress | None = None) -> list[FetchResult]:
    """Download every file of release ``name`` into ``dest`` (default: the cache dir).

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`, e.g. ``"usgs-mcs2026"``.
    dest : Path, optional
        Directory; files go to ``dest/<name>/<filename>``. Default ``settings().cache_dir``.
    force : bool
        Download again even if a verified copy is present, discarding partial downloads.
    client : httpx.Client, optional
        Injected HTTP client (tests pass one with ``httpx.MockTransport``).
    url : str, optional
        Override the URL of a single-file release (the publisher moved it).
    progress : callable, optional
        ``progress(label, done_bytes, total_bytes)``.

    Raises
    ------
    UnknownSourceError
        ``name`` is not in the registry.
    FetchError
        HTTP error, interruption (the partial file is kept for resuming) or checksum
        mismatch (the bad file is kept aside as ``.bad-<sha12>``, never installed).
    """
    src = source(name)
    files = src.files
    if url is not None:
        if len(files) != 1:
            raise FetchError(f"--url applies to single-file releases; {src.name} has "
                             f"{len(files)} files.")
        # A user-given address may serve another version: drop the pinned checksum.
        files = (replace(files[0], url=url, sha256=None, size=None),)
    cache = Path(dest) if dest is not None else settings().cache_dir
    target_dir = cache / src.name
    target_dir.mkdir(parents=True, exist_ok=True)
    own = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(60.0, connect=20.0),
                                    headers={"User-Agent": "critmin (+https://github.com/critmin)"})
    results = []
    try:
        lock = read_lock(cache)
        for f in files:
            results.append(_fetch_file(client, src, f, target_dir, cache, lock, force, progress))
    finally:
        if own:
            client.close()
    return results


def _fetch_file(client: httpx.Client, src: FetchSource, f: RemoteFile, target_dir: Path,
                cache: Path, lock: dict[str, dict[str, object]], force: bool,
                progress: Progress | None) -> FetchResult:
    final = target_dir / f.filename
    part = final.with_name(final.name + ".part")
    key = f"{src.name}/{f.filename}"
    recorded = lock.get(key, {})
    if force:
        part.unlink(missing_ok=True)
    elif final.exists():
        digest = sha256_file(final)
        expected = f.sha256 or (recorded.get("sha256") if recorded.get("url") == f.url else None)
        if expected is None or digest == expected:
            return FetchResult(src.name, final, digest, final.stat().st_size, "present",
                               "pinned" if f.sha256 else "locked" if expected else "unchecked")
        # An installed file that no longer matches: fetch it again.
    status = _download(client, f.url, part, f.filename, progress)
    digest = sha256_file(part)
    size = part.stat().st_size
    if f.sha256 is not None and digest != f.sha256:
        bad = final.with_name(f"{final.name}.bad-{digest[:12]}")
        os.replace(part, bad)
        raise FetchError(f"Checksum mismatch for {f.url}: expected sha256 {f.sha256}, got "
                         f"{digest} ({size:,} bytes). The file was not installed; it is kept "
                         f"at {bad} for inspection.")
    if f.size is not None and size != f.size:
        bad = final.with_name(f"{final.name}.bad-{digest[:12]}")
        os.replace(part, bad)
        raise FetchError(f"Size mismatch for {f.url}: expected {f.size:,} bytes, got {size:,}. "
                         f"Kept at {bad}; not installed.")
    changed = bool(recorded) and recorded.get("url") == f.url and recorded.get("sha256") != digest
    os.replace(part, final)
    check = "pinned" if f.sha256 else ("locked" if recorded.get("sha256") == digest else "recorded")
    lock[key] = {"url": f.url, "sha256": digest, "size": size,
                 "fetched_at": datetime.now(UTC).replace(microsecond=0).isoformat()}
    _write_lock(cache, lock)
    return FetchResult(src.name, final, digest, size, status, check, changed)


__all__ = ["REGISTRY", "FetchResult", "FetchSource", "RemoteFile", "UnknownSourceError",
           "fetch", "read_lock", "source"]
