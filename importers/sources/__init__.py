"""The sources: one module (or package) per input format, each with a ``read()`` generator
that yields records and writes nothing."""
