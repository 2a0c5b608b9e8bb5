"""A PyTorch MLP wrapped as a scikit-learn regressor: it fits, predicts and logs like the rest."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from tqdm.auto import tqdm


class TorchMLPRegressor(RegressorMixin, BaseEstimator):
    """Fully connected ReLU network trained with Adam on mean squared error.

    Only plain numpy arrays are kept on the fitted estimator (`weights_`), so it pickles and
    loads without torch-specific serialization; torch is imported lazily when needed.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 32),
        epochs: int = 40,
        learning_rate: float = 3e-3,
        batch_size: int = 128,
        weight_decay: float = 1e-4,
        seed: int = 0,
        progress: bool = False,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.seed = seed
        self.progress = progress  # show a bar with one tick per epoch

    def _network(self, n_in: int):  # type: ignore[no-untyped-def]
        import torch

        layers: list[torch.nn.Module] = []
        for width in self.hidden:
            layers += [torch.nn.Linear(n_in, width), torch.nn.ReLU()]
            n_in = width
        layers.append(torch.nn.Linear(n_in, 1))
        return torch.nn.Sequential(*layers)

    def fit(self, X: np.ndarray, y: np.ndarray) -> TorchMLPRegressor:
        """Train from scratch; the same seed and data give the same weights."""
        import torch

        torch.manual_seed(self.seed)
        # A network this small trains faster on one thread (and identically run to run).
        torch.set_num_threads(1)
        gen = torch.Generator().manual_seed(self.seed)
        x = torch.as_tensor(np.asarray(X, dtype=np.float32))
        target = np.asarray(y, dtype=np.float32).reshape(-1, 1)
        # Standardise the target so one learning rate suits any scale; undone in predict().
        self.y_mean_, self.y_std_ = float(target.mean()), float(target.std() or 1.0)
        t = torch.as_tensor((target - self.y_mean_) / self.y_std_)
        net = self._network(x.shape[1])
        opt = torch.optim.Adam(
            net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        bar = tqdm(
            range(self.epochs), desc="  mlp", unit="epoch", disable=not self.progress, leave=False
        )
        for _ in bar:
            bar.set_postfix(loss=f"{self._epoch(net, opt, x, t, gen):.4f}")
        self.weights_ = [p.detach().numpy().copy() for p in net.state_dict().values()]
        self.n_features_in_ = x.shape[1]
        return self

    def _epoch(self, net, opt, x, t, gen) -> float:  # type: ignore[no-untyped-def]
        import torch

        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for idx in order.split(self.batch_size):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x[idx]), t[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / len(x)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Forward pass in numpy: no torch needed at serving time."""
        h = np.asarray(X, dtype=np.float32)
        pairs = list(zip(self.weights_[::2], self.weights_[1::2], strict=True))
        for i, (w, b) in enumerate(pairs):
            h = h @ w.T + b
            if i < len(pairs) - 1:
                h = np.maximum(h, 0.0)
        return (h[:, 0] * self.y_std_ + self.y_mean_).astype(np.float64)
