"""The `shadowdiff` command: settings, and one module per sub-command."""
