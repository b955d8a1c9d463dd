"""Database commands of the CLI (migrate, rollback, create, drop, status, devdb, regen)."""

from __future__ import annotations

import argparse


def add_database_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registered once the database side lands."""
