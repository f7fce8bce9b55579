"""``critmin flows`` and ``critmin data import baci|comtrade``."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flow_fixtures import flow_rows, make_store, production_rows

from critmin.cli import app
from critmin.store import Store

runner = CliRunner()
COUNTRIES = ["AUS", "CAN", "CHN", "IDN", "JPN", "PHL", "USA", "DEU"]


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    production = production_rows("nickel", "mine", 2022, {"IDN": 1.6e6, "PHL": 3.3e5, "AUS": 1.6e5})
    flows = pd.concat([
        flow_rows([("PHL", "CHN", 2.5e9, 3.0e5, "observed"), ("AUS", "JPN", 1e8, 2e3, "mirror")]),
        flow_rows([("CHN", "USA", 5e6, None, "observed")], mineral="gallium", stage="refinery",
                  hs="811292", source="usitc-dataweb-tidy").assign(hs_shared=True)])
    make_store(tmp_path / "s.duckdb", production, flows, COUNTRIES)
    return tmp_path / "s.duckdb"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_observed_flows_json_has_methods_share_and_provenance(store: Path) -> None:
    result = runner.invoke(app, ["flows", "nickel", "--year", "2022", "--format", "json",
                                 "--store", str(store)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {r["method"] for r in doc["rows"]} == {"observed", "mirror"}
    assert doc["estimated_share"] == 0.0
    assert {p["source"] for p in doc["provenance"]} == {"comtrade-fixture"}
    top = doc["rows"][0]
    assert (top["exporter"], top["importer"], top["value_usd"]) == ("PHL", "CHN", 2.5e9)


def test_gallium_imports_of_the_usa_are_marked_by_method(store: Path) -> None:
    result = runner.invoke(app, ["flows", "gallium", "--importer", "USA", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "CHN" in result.output and "observed" in result.output
    assert "upper bounds" in result.output  # 811292 is shared with Ge, In, Nb, ...


def test_complete_matrix_reports_the_estimated_share(store: Path) -> None:
    result = runner.invoke(app, ["flows", "nickel", "--complete", "--year", "2022", "-f", "json",
                                 "--store", str(store)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    methods = {r["method"] for r in doc["rows"]}
    assert {"observed", "estimated"} <= methods
    assert 0 < doc["estimated_share"] < 1
    assert any(r["domestic"] for r in doc["rows"])
    sent = sum(r["quantity_t"] for r in doc["rows"] if r["exporter"] == "IDN")
    assert sent == pytest.approx(1.6e6, rel=1e-6)  # supply = USGS production


def test_bloc_importer_filter(store: Path) -> None:
    result = runner.invoke(app, ["flows", "nickel", "--year", "2022", "--importer", "Quad",
                                 "-f", "csv", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "AUS,JPN" in result.output and "PHL,CHN" not in result.output


def test_unknown_mineral_exits_2_with_a_suggestion(store: Path) -> None:
    result = runner.invoke(app, ["flows", "nickle", "--store", str(store)])
    assert result.exit_code == 2
    assert "Did you mean 'nickel'" in result.output and "Traceback" not in result.output


def test_import_baci_adds_flows_atomically(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    path.write_text('t,i,j,k,v,q\n2022,608,156,260400,2000000,"   25000000.0"\n'
                    '2022,710,156,261000,1000,"  3000"\n2022,710,156,10121,5,"  1"\n')
    result = runner.invoke(app, ["data", "import", "baci", str(path), "--store", str(store)])
    assert result.exit_code == 0, result.output
    s = Store.open(store)
    flows = s.table("flows", source="baci-hs17-y2022-v202401")
    assert set(flows["mineral"]) == {"nickel", "chromium"}
    assert flows.loc[flows["mineral"] == "nickel", "value_usd"].item() == 2e9
    assert len(s.table("flows", source="comtrade-fixture")) == 2  # earlier rows kept
    assert "baci-hs17-y2022-v202401" in set(s.provenance(["flows"])["source"])
    # BACI now wins the PHL -> CHN cell.
    result = runner.invoke(app, ["flows", "nickel", "--year", "2022", "--exporter", "PHL", "-f",
                                 "json", "--store", str(store)])
    assert json.loads(result.stdout)["rows"][0]["source"] == "baci-hs17-y2022-v202401"
    # Importing the same file again replaces its rows instead of doubling them.
    runner.invoke(app, ["data", "import", "baci", str(path), "--store", str(store)])
    assert len(Store.open(store).table("flows", source="baci-hs17-y2022-v202401")) == len(flows)


@pytest.mark.parametrize("content, message", [
    ("year,exporter,importer,hs,v,q\n2022,710,156,260200,1,1\n", "exactly ['t', 'i'"),
    ('t,i,j,k,v,q\n2022,710,156,260200,2000,"  1"\n2022,710,1', "truncated or malformed"),
    ('t,i,j,k,v,q\n2022,710,156,10121,5,"  1"\n', "no row has an HS code"),
])
def test_bad_baci_file_exits_2_and_leaves_the_store_untouched(store: Path, tmp_path: Path,
                                                              content: str, message: str) -> None:
    path = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    path.write_text(content)
    before = _sha(store)
    result = runner.invoke(app, ["data", "import", "baci", str(path), "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert _sha(store) == before


def test_import_comtrade_reconciles_mirror_flows(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "comtrade_nickel.csv"
    path.write_text("refYear,reporterISO,flowCode,partnerISO,cmdCode,netWgt,primaryValue\n"
                    "2022,CHN,M,IDN,750110,1000000,20000000\n"
                    "2022,IDN,X,CHN,750110,990000,19000000\n"
                    "2022,IDN,X,JPN,750110,500000,9000000\n"
                    "2022,CHN,M,W00,750110,1000000,20000000\n")
    result = runner.invoke(app, ["data", "import", "comtrade", str(path), "--store", str(store)])
    assert result.exit_code == 0, result.output
    flows = Store.open(store).table("flows", stage="smelter").set_index(["exporter", "importer"])
    assert flows.loc[("IDN", "CHN"), "method"] == "observed"
    assert flows.loc[("IDN", "CHN"), "value_usd"] == 2e7
    assert flows.loc[("IDN", "JPN"), "method"] == "mirror"
    prov = Store.open(store).provenance(["flows"]).set_index("source")
    assert not prov.loc["comtrade-nickel", "redistributable"]


def test_wrong_comtrade_columns_exit_2(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "comtrade.csv"
    path.write_text("Year,Country,Value\n2022,CHN,1\n")
    before = _sha(store)
    result = runner.invoke(app, ["data", "import", "comtrade", str(path), "--store", str(store)])
    assert result.exit_code == 2 and "lacks column" in result.output
    assert _sha(store) == before


def test_import_baci_release_folder_uses_its_country_table(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "BACI_HS17_V202401"
    folder.mkdir()
    (folder / "BACI_HS17_Y2021_V202401.csv").write_text('t,i,j,k,v,q\n2021,710,156,261000,10,"  30"\n')
    (folder / "BACI_HS17_Y2022_V202401.csv").write_text('t,i,j,k,v,q\n2022,710,156,261000,20,"  60"\n')
    (folder / "country_codes_V202401.csv").write_text(
        "country_code,country_name,country_iso2,country_iso3\n710,South Africa,ZA,ZAF\n156,China,CN,CHN\n")
    result = runner.invoke(app, ["data", "import", "baci", str(folder), "--store", str(store)])
    assert result.exit_code == 0, result.output
    flows = Store.open(store).table("flows", mineral="chromium")
    assert sorted(flows["year"]) == [2021, 2022]
    assert set(flows["exporter"]) == {"ZAF"}
    zipped = tmp_path / "BACI_HS17_V202401.zip"
    zipped.write_bytes(b"PK")
    result = runner.invoke(app, ["data", "import", "baci", str(zipped), "--store", str(store)])
    assert result.exit_code == 2 and "unzip" in result.output


def test_import_comtrade_bulk_tab_separated(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "comtrade_bulk.txt"
    path.write_text("refYear\treporterCode\tflowCode\tpartnerCode\tpartner2Code\tcmdCode\tnetWgt\tprimaryValue\n"
                    "2022\t156\tM\t608\t0\t260400\t30000000000\t2500000000\n"
                    "2022\t156\tM\t608\t608\t260400\t30000000000\t2500000000\n")
    result = runner.invoke(app, ["data", "import", "comtrade", str(path), "--store", str(store)])
    assert result.exit_code == 0, result.output
    flows = Store.open(store).table("flows", source="comtrade-bulk")
    assert len(flows) == 1  # the partner2 sub-total row is not counted twice
    assert flows["quantity_gross_t"].item() == 3e7
