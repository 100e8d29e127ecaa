"""The local web page of common queries (``ev-import serve``).

Every view is a module under :mod:`importers.web.views` with the same three faces:
``Params.from_query(query)`` (the URL is the query), ``data(pool, params)`` (the numbers, from
the analysis functions) and ``figure(data)`` (a Plotly figure, or None). A notebook calls the
same two functions the page does, so what the browser shows can be reproduced with one call::

    from importers import analysis as ev
    from importers.web.views import overview
    pool = ev.open_pool("evpool")
    data = overview.data(pool, overview.Params())
    data.total_records

Needs the ``web`` extra (Starlette, uvicorn, Jinja2, Plotly, DuckDB).
"""
