"""snapshift's user interfaces: the command line (`tui.cli`) and the Textual app, both calling the
engine.project facade."""
