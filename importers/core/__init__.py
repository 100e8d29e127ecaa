"""The shared core: the record envelope, the pool (writer and reader), reports, errors,
the text-log engine, time zones and parallel parts. No source-specific code lives here."""
