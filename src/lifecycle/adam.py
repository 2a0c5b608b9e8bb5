"""Adam, written out: the update `torch.optim.Adam` makes on CPU tensors, step for step.

Why not `torch.optim.Adam` itself: constructing any torch optimizer imports `torch._dynamo`
(the compiler), ~2.5 s of every training process here, for a network that trains in about one.
This is the same arithmetic in the same order as torch's single-tensor path (the one it takes for
CPU tensors: no foreach, no fused kernel, no amsgrad), so the weights come out bit for bit the
same; tests/core/test_adam.py holds it to that against torch.optim.Adam.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


class Adam:
    """Adam with L2 weight decay added to the gradient (torch's `weight_decay`, not AdamW)."""

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        import torch

        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.weight_decay = weight_decay
        self.steps = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]  # first moment
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]  # second moment

    def zero_grad(self) -> None:
        """Forget the last gradients (set to None, as torch's optimizers do by default)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        import torch

        self.steps += 1
        bias1 = 1 - self.beta1**self.steps
        bias2_sqrt = (1 - self.beta2**self.steps) ** 0.5
        step_size = self.lr / bias1
        with torch.no_grad():
            for p, m, v in zip(self.params, self.exp_avg, self.exp_avg_sq, strict=True):
                if p.grad is None:
                    continue
                grad = p.grad
                if self.weight_decay != 0:
                    grad = grad.add(p, alpha=self.weight_decay)
                m.lerp_(grad, 1 - self.beta1)
                v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
                denom = (v.sqrt() / bias2_sqrt).add_(self.eps)
                p.addcdiv_(m, denom, value=-step_size)
