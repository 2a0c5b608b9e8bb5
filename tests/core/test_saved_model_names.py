"""Models saved before the layout change still load: a saved model names its functions by
module and name, and those names must keep resolving (lifecycle.models, TRUSTED_TYPES)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io

from lifecycle.tracking import TRUSTED_TYPES

# Made by the code of commit e993728 (before the target transform moved to lifecycle.target):
#   TransformedTargetRegressor(Ridge(alpha=1.0), func=lifecycle.models._clip_log1p,
#   inverse_func=lifecycle.models._clip_expm1, check_inverse=False)
#   fitted on X = arange(12).reshape(6, 2), y = [1, 3, 5, 9, 15, 30], then skops.io.dump.
LEGACY = Path(__file__).with_name("legacy_target_model.skops")
LEGACY_PREDICTIONS = [1.1388741, 2.60212955, 5.06643338]  # what it predicted for X[:3] then


def test_a_model_saved_under_the_old_names_loads_and_predicts_the_same() -> None:
    assert set(skops.io.get_untrusted_types(file=LEGACY)) == {
        "lifecycle.models._clip_expm1",
        "lifecycle.models._clip_log1p",
    }
    model = skops.io.load(LEGACY, trusted=TRUSTED_TYPES)
    features = np.arange(12, dtype=float).reshape(6, 2)[:3]
    np.testing.assert_allclose(model.predict(features), LEGACY_PREDICTIONS, rtol=1e-7)


def test_new_models_name_the_target_module() -> None:
    from lifecycle.target import clip_expm1, clip_log1p

    names = {f"{f.__module__}.{f.__name__}" for f in (clip_log1p, clip_expm1)}
    assert names <= set(TRUSTED_TYPES)
    assert names == {"lifecycle.target.clip_log1p", "lifecycle.target.clip_expm1"}


def test_loading_a_model_imports_no_torch() -> None:
    # skops walks every scikit-learn package at import; without the shim block the walk imports
    # torch (~2.6 s of every process that loads a model). The model must load all the same.
    code = (
        "import sys\n"
        "from lifecycle.tracking import TRUSTED_TYPES, without_torch_shim\n"
        "without_torch_shim()\n"
        "import numpy as np, skops.io\n"
        f"model = skops.io.load({str(LEGACY)!r}, trusted=TRUSTED_TYPES)\n"
        "print(model.predict(np.arange(12, dtype=float).reshape(6, 2)[:1])[0])\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, torch_loaded = done.stdout.split()
    assert float(first) == pytest.approx(LEGACY_PREDICTIONS[0], rel=1e-7)
    assert torch_loaded == "False"
