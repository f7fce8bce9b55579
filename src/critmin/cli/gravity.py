"""CLI commands: gravity (being written)."""

from critmin.cli.app import app  # noqa: F401
