"""Incident reporting (issue 17): deadlines from a configurable table (``deadlines.py`` +
``data/report_deadlines.json``), reports filed against them, what is due and overdue.
"""
