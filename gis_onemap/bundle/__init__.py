"""Offline bundles.

One zip with a GeoPackage of every layer, a standalone HTML map, the printed map (PDF), a PMTiles
archive and a spreadsheet with Chinese headers (``build.py``).
"""
