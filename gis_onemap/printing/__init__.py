"""Print-ready maps (PNG/PDF, A4/A3) with Chinese text, drawn by matplotlib without a browser.

``area.py`` resolves what to print (bbox, region, incident), ``layers.py`` holds the registry of
printable layer providers (the 8 categories, an incident's surroundings; more are one
:func:`~gis_onemap.printing.layers.register_provider` call away), ``page.py`` the paper and scale
arithmetic, ``fonts.py`` the CJK font and its glyph coverage, ``render.py`` the drawing and
``service.py`` the one entry point used by HTTP (``api/routers/printing.py``) and the CLI.
"""
