"""lifecycle.adam.Adam makes exactly torch.optim.Adam's updates (so the MLP's weights, metrics and
promotions are those of torch's optimizer), without importing torch's compiler."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lifecycle.adam import Adam

torch = pytest.importorskip("torch")


def _net(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))


@pytest.mark.parametrize("weight_decay", [0.0, 1e-4])
def test_same_weights_as_torch_adam_bit_for_bit(weight_decay: float) -> None:
    ours, theirs = _net(0), _net(0)
    opt_ours = Adam(ours.parameters(), lr=3e-3, weight_decay=weight_decay)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=3e-3, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(1)
    for _ in range(200):
        x, y = torch.randn(16, 5, generator=gen), torch.randn(16, 1, generator=gen)
        for net, opt in ((ours, opt_ours), (theirs, opt_theirs)):
            opt.zero_grad()
            torch.nn.functional.mse_loss(net(x), y).backward()
            opt.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_parameter_without_gradient_is_left_alone() -> None:
    frozen, live = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(3))
    opt = Adam([frozen, live], lr=0.1)
    (live * 2).sum().backward()
    opt.step()
    assert torch.equal(frozen, torch.ones(3))
    assert not torch.equal(live, torch.ones(3))


def test_training_the_mlp_never_imports_torchs_compiler() -> None:
    code = (
        "import sys, numpy as np\n"
        "from lifecycle.mlp import TorchMLPRegressor\n"
        "x = np.random.default_rng(0).normal(size=(64, 3))\n"
        "TorchMLPRegressor(hidden=(4,), epochs=2).fit(x, x[:, 0])\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
