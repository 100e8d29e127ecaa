"""One module per subcommand family: ``register(subparsers, common)`` adds its parser(s).

Each module parses its options, calls the source's ``read()`` and hands the records to
:func:`importers.cli.run_import`; it parses no input itself. ``cli.build_parser`` finds the
modules here by listing this package, in name order.
"""
