"""The use cases shared by HTTP and the CLI (issue 12; pygeoapi's ``api/`` is the model).

Each function takes a session, a :class:`~gis_onemap.usecases.context.Caller` (who asks,
under which settings) and parsed inputs, and returns a plain result (a dict, a report). The
routers in ``api/routers/`` and the typer commands are thin adapters around them: they parse
their own transport (query string, form, options), call one use case, and render the result
(JSON, an HTML map, a table on the terminal). A rule written here holds for both.

- :mod:`.analysis`: nearest, within, surroundings around a point or an incident, buffers,
  hazard zones;
- :mod:`.transfer`: import a file, export a collection to a file.
"""
