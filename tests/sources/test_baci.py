"""BACI parser: the staged HS92 extract, BACI quirks, and bad files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from critmin.errors import SourceFormatError
from critmin.sources.baci import read_baci, release

EXTRACT = "baci_extracts/BACI_HS92_Y2021_V202301_exporters_AFG_ZAF.csv.gz"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.shared
def test_south_africa_pgm_manganese_chromium_exports_parse(shared_data: Path) -> None:
    parsed = read_baci(shared_data / EXTRACT, country_codes=shared_data /
                       "baci_codes/country_codes_V202301.csv")
    frame = parsed.frame
    zaf = frame[frame["exporter"] == "ZAF"]
    by_code = zaf.groupby("hs6")["value_usd"].sum()
    # PGM refined metal (7110xx), manganese ore (260200), chromium ore (261000), ferrochrome.
    pgm = by_code[by_code.index.str.startswith("7110")].sum()
    assert pgm > 2e9  # South Africa is the world's largest platinum-group metal exporter
    assert by_code["260200"] > 1e8
    assert by_code["261000"] > 1e8
    assert by_code["720241"] > 1e9
    assert zaf.loc[zaf["hs6"] == "260200", "importer"].nunique() > 5
    assert set(frame["exporter"]) == {"AFG", "ZAF"}
    assert frame["year"].unique().tolist() == [2021]
    assert parsed.origins[0].licence == "Etalab 2.0"
    assert parsed.origins[0].redistributable
    assert frame["source"].eq(parsed.origins[0].source).all()
    # "NA" quantities are NULL, never 0 or a parse failure.
    assert frame["quantity_gross_t"].isna().any()
    assert (frame["quantity_gross_t"].dropna() >= 0).all()


def test_quirks_zero_padding_na_and_thousand_usd(tmp_path: Path) -> None:
    path = _write(tmp_path / "BACI_HS17_Y2022_V202401.csv",
                  't,i,j,k,v,q\n'
                  '2022,490,842,811292,1.5,"        0.250"\n'    # Taiwan -> USA, kUSD
                  '2022,710,156,260200,2000,"           NA"\n'   # NA quantity
                  '2022,710,156,81010,3,"  1"\n'                 # lost zero; heading 0810
                  '2022,58,251,750210,10,"  2.000"\n')            # Belgium-Luxembourg
    frame = read_baci(path).frame
    taiwan = frame[frame["hs6"] == "811292"].iloc[0]
    assert taiwan["exporter"] == "TWN" and taiwan["importer"] == "USA"
    assert taiwan["value_usd"] == pytest.approx(1500.0)
    assert taiwan["quantity_gross_t"] == pytest.approx(0.25)
    assert frame.loc[frame["hs6"] == "260200", "quantity_gross_t"].isna().all()
    assert "081010" not in set(frame["hs6"])  # zero-padded, then filtered out (strawberries)
    assert frame.loc[frame["hs6"] == "750210", "exporter"].item() == "BEL"


def test_release_is_read_from_the_file_name(tmp_path: Path) -> None:
    assert release(tmp_path / "BACI_HS92_Y2021_V202301.csv") == ("HS92", 2021, "202301")
    with pytest.raises(SourceFormatError, match="HS revision"):
        release(tmp_path / "trade.csv")


def test_wrong_columns_name_the_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "BACI_HS17_Y2022_V202401.csv", "year,exporter,importer,hs,v,q\n1,2,3,4,5,6\n")
    with pytest.raises(SourceFormatError, match=r"exactly \['t', 'i', 'j', 'k', 'v', 'q'\]"):
        read_baci(path)


def test_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "BACI_HS17_Y2022_V202401.csv",
                  't,i,j,k,v,q\n2022,710,156,260200,2000,"  1"\n2022,710,156,2602')
    with pytest.raises(SourceFormatError, match="truncated or malformed"):
        read_baci(path)


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    data = gzip.compress(b't,i,j,k,v,q\n' + b'2022,710,156,260200,2000,"  1"\n' * 5000)
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match="truncated"):
        read_baci(path)


def test_unknown_country_code_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "BACI_HS17_Y2022_V202401.csv",
                  't,i,j,k,v,q\n2022,999,156,260200,2000,"  1"\n')
    with pytest.raises(SourceFormatError, match=r"\[999\]"):
        read_baci(path)
