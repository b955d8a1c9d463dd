"""The app's dialogs: each returns its answer through `dismiss`, never touching the engine."""
