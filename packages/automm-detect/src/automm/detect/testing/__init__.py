"""Test helpers for automm-detect: composited detection datasets built from bundled real data."""
