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
