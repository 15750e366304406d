"""User interfaces over the ``Answer`` contract: the ``guideqa`` command line (and, later, the web app)."""
