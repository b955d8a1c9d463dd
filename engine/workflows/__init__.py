"""regen, `rollback --untracked` and the `--to` check, built on the facade's services (`WorkflowProject`),
never on Project itself."""
