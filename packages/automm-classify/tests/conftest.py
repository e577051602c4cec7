"""Shared fixtures: a tiny text model folder built once per session, and iris (both from automm.core.testing)."""

from __future__ import annotations

from automm.core.testing import fixtures

iris, tiny_text_model = fixtures.iris, fixtures.tiny_text_model
