"""Imports each platform's connection module, which registers it."""

from planner.connections import x  # noqa: F401
