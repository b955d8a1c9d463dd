"""English for what the engine reports as data: plan warnings (engine.autogen.planview.PlanWarning)."""

from __future__ import annotations

from snapshift.engine.autogen.planview import PlanWarning


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
    return f"Warning: {warning.facts[0]}"
