"""A PyTorch MLP wrapped as scikit-learn estimators: it fits, predicts and logs like the rest.

One network and training loop, two heads: a regressor (mean squared error on a standardised
target) and a binary classifier (binary cross-entropy on logits; sigmoid gives P(class 1)).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from tqdm.auto import tqdm

from lifecycle.adam import Adam


class _TorchMLP(BaseEstimator):
    """Fully connected ReLU network trained with Adam (lifecycle.adam); subclasses pick the loss.

    Only plain numpy arrays are kept on the fitted estimator (`weights_`), so it pickles and
    loads without torch-specific serialization; torch is imported lazily, in fit() only.
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

    def _loss(self, out, t):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def _train(self, X: np.ndarray, target: np.ndarray) -> None:
        """Train from scratch on an (n, 1) float32 target; same seed and data, same weights."""
        import torch

        torch.manual_seed(self.seed)
        # A network this small trains faster on one thread (and identically run to run).
        torch.set_num_threads(1)
        gen = torch.Generator().manual_seed(self.seed)
        x = torch.as_tensor(np.asarray(X, dtype=np.float32))
        t = torch.as_tensor(target)
        net = self._network(x.shape[1])
        opt = Adam(net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        bar = tqdm(
            range(self.epochs), desc="  mlp", unit="epoch", disable=not self.progress, leave=False
        )
        for _ in bar:
            bar.set_postfix(loss=f"{self._epoch(net, opt, x, t, gen):.4f}")
        self.weights_ = [p.detach().numpy().copy() for p in net.state_dict().values()]
        self.n_features_in_ = x.shape[1]

    def _epoch(self, net, opt, x, t, gen) -> float:  # type: ignore[no-untyped-def]
        import torch

        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for idx in order.split(self.batch_size):
            opt.zero_grad()
            loss = self._loss(net(x[idx]), t[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / len(x)

    def _forward(self, X: np.ndarray) -> np.ndarray:
        """The network's single output per row, computed in numpy (no torch at serving time)."""
        h = np.asarray(X, dtype=np.float32)
        pairs = list(zip(self.weights_[::2], self.weights_[1::2], strict=True))
        for i, (w, b) in enumerate(pairs):
            h = h @ w.T + b
            if i < len(pairs) - 1:
                h = np.maximum(h, 0.0)
        return h[:, 0]


class TorchMLPRegressor(RegressorMixin, _TorchMLP):
    """The MLP on mean squared error, for regression."""

    def _loss(self, out, t):  # type: ignore[no-untyped-def]
        import torch

        return torch.nn.functional.mse_loss(out, t)

    def fit(self, X: np.ndarray, y: np.ndarray) -> TorchMLPRegressor:
        """Train from scratch; the same seed and data give the same weights."""
        target = np.asarray(y, dtype=np.float32).reshape(-1, 1)
        # Standardise the target so one learning rate suits any scale; undone in predict().
        self.y_mean_, self.y_std_ = float(target.mean()), float(target.std() or 1.0)
        self._train(X, (target - self.y_mean_) / self.y_std_)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Forward pass in numpy: no torch needed at serving time."""
        return (self._forward(X) * self.y_std_ + self.y_mean_).astype(np.float64)


class TorchMLPClassifier(ClassifierMixin, _TorchMLP):
    """The MLP on binary cross-entropy with logits, for 0/1 labels."""

    def _loss(self, out, t):  # type: ignore[no-untyped-def]
        import torch

        return torch.nn.functional.binary_cross_entropy_with_logits(out, t)

    def fit(self, X: np.ndarray, y: np.ndarray) -> TorchMLPClassifier:
        """Train from scratch on labels 0/1; the same seed and data give the same weights."""
        labels = np.asarray(y)
        if not set(np.unique(labels)) <= {0, 1}:
            raise ValueError(f"labels must be 0/1, got {sorted(set(np.unique(labels)))[:5]}")
        self.classes_ = np.array([0, 1])
        self._train(X, labels.astype(np.float32).reshape(-1, 1))
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """(n, 2) probabilities of class 0 and class 1 (sigmoid of the logit, in numpy)."""
        # exp of a clipped logit: no overflow warning for very confident rows
        p1 = 1.0 / (1.0 + np.exp(-np.clip(self._forward(X).astype(np.float64), -50, 50)))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels 0/1 at probability 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
