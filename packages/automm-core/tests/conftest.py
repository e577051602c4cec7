"""Shared fixtures: a tiny text model folder built once per session (from automm.core.testing)."""

from __future__ import annotations

from automm.core.testing import fixtures

tiny_text_model = fixtures.tiny_text_model
