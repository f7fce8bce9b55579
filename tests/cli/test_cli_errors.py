"""The CLI turns errors into one clear message and an exit code, never a traceback."""

from typer.testing import CliRunner

from critmin.cli import app

runner = CliRunner()


def test_missing_store_exits_1_and_says_how_to_build_it(tmp_path):
    result = runner.invoke(app, ["data", "status", "--store", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "critmin data build" in result.output
    assert "Traceback" not in result.output


def test_unknown_format_is_a_usage_error_listing_the_formats(tmp_path):
    result = runner.invoke(app, ["data", "status", "--format", "xml"])
    assert result.exit_code == 2
    assert "table" in result.output and "json" in result.output and "csv" in result.output


def test_help_lists_every_command_group():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("data", "production", "scenario", "gravity"):
        assert name in result.output


def test_source_dir_that_is_not_a_directory_is_bad_input_and_leaves_no_store(tmp_path):
    store = tmp_path / "critmin.duckdb"
    result = runner.invoke(app, ["data", "build", "--source-dir", str(tmp_path / "nowhere"),
                                 "--store", str(store)])
    assert result.exit_code == 2
    assert f"--source-dir {tmp_path / 'nowhere'} is not a directory" in result.output
    assert "bundled snapshot" in result.output and "Traceback" not in result.output
    assert not store.exists()


def test_blocs_lists_the_packaged_blocs_and_one_bloc_its_members():
    """Regression: the package re-exports the function ``critmin.blocs``, which once shadowed
    the module the CLI imported and made ``critmin blocs`` crash with AttributeError."""
    listing = runner.invoke(app, ["blocs", "--format", "json"])
    assert listing.exit_code == 0, listing.output
    assert "EU27" in listing.output and "CMM2026" in listing.output
    one = runner.invoke(app, ["blocs", "Quad", "--format", "csv"])
    assert one.exit_code == 0, one.output
    assert [line.split(",")[0] for line in one.output.splitlines()[1:]] == ["AUS", "IND", "JPN", "USA"]
