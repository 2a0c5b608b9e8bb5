"""Evaluation plots for binary classification: ROC curve, confusion matrix, calibration, timeline.

Each takes the predictions frame of `evaluation.evaluate` (event_time, actual 0/1, predicted =
P(class 1)) and writes one PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

from lifecycle.dataset import EVENT_TIME
from lifecycle.evaluation import _figure
from lifecycle.metrics_classification import ECE_BINS, THRESHOLD


def _save(fig, plt, path: Path) -> None:  # type: ignore[no-untyped-def]
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_roc(preds: pd.DataFrame, title: str, path: Path) -> None:
    """ROC curve with its area, against the diagonal of a random ranking."""
    plt = _figure(path)
    fpr, tpr, _ = roc_curve(preds["actual"], preds["predicted"])
    auc = roc_auc_score(preds["actual"], preds["predicted"])
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(fpr, tpr, label=f"ROC AUC {auc:.3f}")
    ax.plot([0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="random")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(loc="lower right")
    _save(fig, plt, path)


def plot_confusion(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Counts of actual against predicted labels at the 0.5 threshold."""
    plt = _figure(path)
    labels = (preds["predicted"] >= THRESHOLD).astype(int)
    counts = confusion_matrix(preds["actual"].astype(int), labels, labels=[0, 1])
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(counts, cmap="Blues")
    for (i, j), n in np.ndenumerate(counts):
        color = "white" if n > counts.max() / 2 else "black"
        ax.text(j, i, str(n), ha="center", va="center", color=color, fontsize=12)
    ax.set(xticks=[0, 1], yticks=[0, 1], xlabel=f"predicted (p >= {THRESHOLD})", ylabel="actual")
    ax.set_title(title)
    _save(fig, plt, path)


def plot_calibration(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Reliability curve: observed rate of class 1 per bin of predicted probability."""
    plt = _figure(path)
    observed, predicted = calibration_curve(
        preds["actual"], preds["predicted"], n_bins=ECE_BINS, strategy="uniform"
    )
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="perfect")
    ax.plot(predicted, observed, marker="o", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title=title)
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    _save(fig, plt, path)


def plot_rate_timeline(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Daily observed rate of class 1 and mean predicted probability over the window."""
    plt = _figure(path)
    daily = preds.set_index(pd.to_datetime(preds[EVENT_TIME]))[["actual", "predicted"]]
    daily = daily.resample("D").mean()
    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot(daily.index, daily["actual"], label="observed rate", linewidth=1, marker=".")
    ax.plot(daily.index, daily["predicted"], label="mean probability", linewidth=1, marker=".")
    ax.set(ylabel="share of class 1 per day", title=title, ylim=(0, 1))
    ax.legend()
    fig.autofmt_xdate()
    _save(fig, plt, path)


def plot_classification(preds: pd.DataFrame, title: str, folder: Path) -> None:
    """All classification plots of one candidate's predictions, as PNGs in a folder."""
    plot_roc(preds, title, folder / "roc_curve.png")
    plot_confusion(preds, title, folder / "confusion_matrix.png")
    plot_calibration(preds, title, folder / "calibration.png")
    plot_rate_timeline(preds, title, folder / "timeline.png")
