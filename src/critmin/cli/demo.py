"""CLI commands: demo (being written)."""

from critmin.cli.app import app  # noqa: F401
