"""Tests through the Registre and the adapters on real stores (SQLite and PostgreSQL): commands, read models, rebuilds, the log."""
