"""Tests through the HTTP faces (JSON API and pages) on real stores."""
