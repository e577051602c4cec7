"""Errors of the torch-free runtime (it cannot import automm-core's)."""

from __future__ import annotations


class DeployError(Exception):
    """An exported model folder that cannot be used: missing, damaged, or from a newer automm-deploy."""


class InputError(ValueError):
    """Rows the exported model cannot predict on; the message names the column, the row and the fix."""
