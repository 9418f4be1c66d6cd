"""Turning client query parameters (CQL2 filters, property filters, sortby) into SQL clauses."""
