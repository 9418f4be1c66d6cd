"""Dispatch (issue 17): teams and supplies sent to an incident, tracked to their release.

``service.py`` holds the use cases (assign, advance the status, list); HTTP in
``api/routers/dispatch.py``. What a dispatch does to a resource is declared by its category
(``Category.dispatch``): supplies leave their stock, teams become ``deployed``.
"""
