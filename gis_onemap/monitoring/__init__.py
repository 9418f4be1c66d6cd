"""Monitoring feeds (issue #17): sensors on hazard sources, readings, warnings, stale sensors.

``levels`` (pure: which warning level a value reaches), ``ingest`` (a batch of readings: checked,
stored in monthly partitions, warnings opened/escalated/closed in the same transaction),
``repository`` (points, warnings, series, stale sensors); HTTP in ``api/routers/monitoring.py``.
"""
