"""The runtime's errors, in automm-core's one hierarchy (its torch-free base is installed with automm-deploy).

``InputError`` is ``automm.core.errors.InputError`` itself, so ``except automm.core.InputError`` catches bad rows
whichever package raised them; ``DeployError`` is an ``AutoMMError``.
"""

from __future__ import annotations

from automm.core.errors import AutoMMError, InputError

__all__ = ["DeployError", "InputError"]


class DeployError(AutoMMError):
    """An exported model folder that cannot be used: missing, damaged, or from a newer automm-deploy."""
