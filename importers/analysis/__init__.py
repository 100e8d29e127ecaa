"""Reading a pool back: the analysis side."""
