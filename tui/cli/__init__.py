"""The `snapshift` command line: commands -> engine.project calls, asking on a terminal and taking flags
otherwise."""
