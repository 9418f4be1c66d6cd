"""Incident reporting (issue 17).

Deadlines from a configurable table (``deadlines.py`` + ``data/report_deadlines.json``), reports
filed against them, what is due and overdue.
"""
