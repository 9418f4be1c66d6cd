"""Database layer: the local cluster, tables built from the categories, engine and repositories."""
