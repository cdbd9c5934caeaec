"""UI string tables, one module per language, with the same keys (tests check that none is missing)."""
