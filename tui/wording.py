"""English for what the engine reports as data: plan warnings (engine.autogen.planview.PlanWarning), and
what a tenant run left waiting for a pending public migration."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snapshift.engine.autogen.planview import PlanWarning
    from snapshift.engine.db.dbactions import TenantsResult


def warning_text(warning: PlanWarning) -> str:
    """One warning as the command line prints it."""
    if warning.code == "destructive":
        return (
            "Warning: this migration includes destructive operations (drops or column removals). "
            "Review carefully before migrating."
        )
    if warning.code == "commented":
        return "Warning: there are migration steps commented out and in need of manual review."
    if warning.code == "unused_rename":
        return (
            f"Warning: the rename answer {warning.facts[0]} was not used: its old table is still declared, "
            "or its new name is not a new table."
        )
    if warning.code == "not_null_on_rows":
        return (
            f"Warning: NOT NULL without a default ({_first_three(warning.facts)}) fails on a table that has "
            "rows (or NULLs in that column): give it a default, or fill it in a migration of your own first."
        )
    if warning.code == "lossy_type_change":
        return (
            "Warning: a type change can fail on existing rows or change their values "
            f"({_first_three(warning.facts)}): "
            "check the data first, or convert it in a migration of your own."
        )
    if warning.code == "unused_answer":
        kind, answer = warning.facts
        why = {
            "column rename": "its old column is still declared or was never there, or its new name is not "
            "a new column of that table",
            "drop": "no table of that name lost its resource",
            "keep": "no table of that name lost its resource",
        }[kind]
        return f"Warning: the {kind} answer {answer} was not used: {why}."
    return f"Warning: {warning.facts[0]}"


def _first_three(facts: tuple[str, ...]) -> str:
    """The operations a warning names, three at most: the migration's header lists them all."""
    return "; ".join(facts[:3]) + ("; ..." if len(facts) > 3 else "")


def tenants_waiting(result: TenantsResult, named: bool = False) -> str | None:
    """What a tenant run left for after a pending public migration ("1 tenant migration(s) and 2 new
    tenant(s) wait for public migration V"), None when nothing waits; `named` lists the new tenants."""
    parts = [f"{len(result.held_back)} tenant migration(s)"] if result.held_back else []
    held = result.report.held
    if held:
        parts.append(f"{len(held)} new tenant(s)" + (f" ({', '.join(held)})" if named else ""))
    if not parts:
        return None
    return f"{' and '.join(parts)} wait for public migration {result.waiting_for}"
