"""Scenario suite: multi-step generator behaviour modelled on AshPostgres's migration generator tests."""
