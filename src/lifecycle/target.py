"""The target transform a regression candidate is saved with: log1p in, clipped expm1 out.

It lives in the shared layer, not with the stages that build the models, because a saved model
refers to these functions by name: every process that loads one (the service, monitoring, the
replay) imports this module, and tracking.TRUSTED_TYPES names them for skops.
"""

from __future__ import annotations

import numpy as np


def clip_log1p(y: np.ndarray) -> np.ndarray:
    """log(1 + y), with negative targets clipped to 0 first."""
    return np.log1p(np.clip(y, 0, None))


def clip_expm1(z: np.ndarray) -> np.ndarray:
    """exp(z) - 1, clipped at 0: counts cannot be negative, so no model predicts -3 rentals."""
    return np.clip(np.expm1(z), 0, None)
