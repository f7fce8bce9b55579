"""CLI commands: reference (being written)."""

from critmin.cli.app import app  # noqa: F401
