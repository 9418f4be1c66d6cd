"""Incident operations, live part (issue 17).

The event bus (``events.py``, PostgreSQL ``LISTEN/NOTIFY`` after commit → ``hub.py`` → Server-Sent
Events), the shared situation layer (``situation.py``, ``symbols.py``) and team positions
(``positions.py``).
"""
