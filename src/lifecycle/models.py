"""The names under which models registered before the layout change refer to their target
transform. It now lives in lifecycle.target; a saved model names its functions by module and
name, so this module keeps the old ones importable and every registered model loadable.

New models refer to lifecycle.target directly. Nothing in the project imports this module.
"""

from __future__ import annotations

from lifecycle.target import clip_expm1 as _clip_expm1
from lifecycle.target import clip_log1p as _clip_log1p

__all__ = ["_clip_expm1", "_clip_log1p"]
