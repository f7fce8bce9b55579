"""Help text survives rich's markup: square brackets in a help string are read as a style
tag and silently dropped ("--year  Year ." for "Year [default: latest with data]")."""

from __future__ import annotations

import typer.main
from rich.errors import MarkupError
from rich.markup import render

from critmin.cli import app


def _shown(text: str) -> str:
    """What rich prints of ``text`` (typer renders help with rich markup)."""
    try:
        return render(text).plain
    except MarkupError as exc:
        return f"markup error: {exc}"


def _walk(command, path: str):  # typer's own click: groups are known by their commands
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, f"{path} {name}")


def test_no_help_text_holds_square_brackets_that_rich_would_drop():
    found, seen = [], 0
    for path, command in _walk(typer.main.get_command(app), "critmin"):
        texts = [("help", command.help or ""), ("short help", command.short_help or "")]
        texts += [(p.name, getattr(p, "help", None) or "") for p in command.params]
        found += [f"{path} {what}: {text!r} shows as {_shown(text)!r}" for what, text in texts if _shown(text) != text]
        seen += 1
    assert seen > 30  # every command of every group was read (33 with the groups)
    assert found == []


def test_the_year_option_of_flows_shows_its_default_in_the_help(tmp_path):
    from typer.testing import CliRunner

    out = CliRunner().invoke(app, ["flows", "--help"], env={"COLUMNS": "200"}).output
    assert "Year (default: latest with data)." in out
