"""CLI commands: scenario (being written)."""

from critmin.cli.app import app  # noqa: F401
