"""Exports of a pool to other systems' formats, one module per format."""
