"""Tests of the pure rules and of what reads files without a store: the grid, deadlines, charts, PDF, territory files."""
