"""Duty (issue 17).

The roster (值班表: who is on duty when, with contact) and the duty log (值班日志: events and
actions per shift). ``service.py`` holds the use cases; HTTP in ``api/routers/duty.py``. Contacts
are personal data: reading the roster needs a viewer's token.
"""
