"""The web console for staff and admins: server-rendered pages over the same services
the JSON API calls. ``session`` is the edge (cookie session, CSRF, origin, errors);
each other module is one area of the console: ``signin`` (signed-out pages), ``work``
(queue and ticket), ``manage`` (admins' pages) and ``dashboard`` (scores and reviews).
Templates are in chalicelib/web/templates/console."""
