"""The mutants are candidates, not tests: the module that fails on import is not collected."""

collect_ignore = ["broken_module.py", "import_error.py", "exits_on_import.py"]
