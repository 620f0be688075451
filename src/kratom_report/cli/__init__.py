"""Command line: a thin layer over the library API (``kratom_report._api``).

A command is options → one library call → output. ``app`` holds the group, the shared options
and the one mapping from errors to exit codes; each other module holds one group of commands.
This package is the only place that imports Click (tests/test_layout.py holds it to that).
"""

from __future__ import annotations

from . import authoring, inspecting, making, reviewing  # noqa: F401 - importing registers the commands
from .app import main

__all__ = ["main"]
