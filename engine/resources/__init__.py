"""The project's files -> the schema model: config, resource files, types and TOML, with every problem
reported at once."""
