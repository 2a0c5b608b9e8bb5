"""The evaluate stage's plots: regression (predicted vs actual, residuals by hour, timeline,
importance) and binary classification (ROC curve, confusion matrix, calibration, timeline).

Each takes the predictions frame of `lifecycle.stages.evaluate.evaluate` (event_time, actual,
predicted; for classification actual is 0/1 and predicted is P(class 1)) and writes one PNG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

from lifecycle.dataset import EVENT_TIME
from lifecycle.figures import figure
from lifecycle.metrics_classification import ECE_BINS, THRESHOLD
from lifecycle.stages.evaluate import IMPORTANCE, CandidatesReport


def plot_predicted_vs_actual(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Scatter of predicted against actual, with the identity line."""
    with figure(path, (5, 5)) as (_, ax):
        ax.scatter(preds["actual"], preds["predicted"], s=6, alpha=0.5)
        top = float(np.nanmax(preds[["actual", "predicted"]].to_numpy())) * 1.05
        ax.plot([0, top], [0, top], color="black", linewidth=1)
        ax.set(xlabel="actual", ylabel="predicted", title=title, xlim=(0, top), ylim=(0, top))


def plot_residuals_by_hour(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Box plot of residuals (actual − predicted) for each hour of the day."""
    hours = pd.to_datetime(preds[EVENT_TIME]).dt.hour
    resid = preds["actual"] - preds["predicted"]
    groups = [resid[hours == h].to_numpy() for h in range(24)]
    with figure(path, (9, 4)) as (_, ax):
        ax.boxplot(groups, positions=range(24), showfliers=False)
        ax.axhline(0, color="black", linewidth=1)
        ax.set(xlabel="hour of day", ylabel="actual − predicted", title=title)


def plot_importance(
    imp: pd.Series, title: str, path: Path, xlabel: str = IMPORTANCE["regression"][1]
) -> None:
    """Horizontal bars of permutation importance."""
    with figure(path, (6, 4)) as (_, ax):
        ax.barh(imp.index, imp.to_numpy())
        ax.set(xlabel=xlabel, title=title)


def plot_timeline(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Actual and predicted over time on the window."""
    with figure(path, (10, 3.5)) as (fig, ax):
        ax.plot(preds[EVENT_TIME], preds["actual"], label="actual", linewidth=1)
        ax.plot(preds[EVENT_TIME], preds["predicted"], label="predicted", linewidth=1)
        ax.set(ylabel="target", title=title)
        ax.legend()
        fig.autofmt_xdate()


def plot_roc(preds: pd.DataFrame, title: str, path: Path) -> None:
    """ROC curve with its area, against the diagonal of a random ranking."""
    fpr, tpr, _ = roc_curve(preds["actual"], preds["predicted"])
    auc = roc_auc_score(preds["actual"], preds["predicted"])
    with figure(path, (5, 5)) as (_, ax):
        ax.plot(fpr, tpr, label=f"ROC AUC {auc:.3f}")
        ax.plot([0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="random")
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
        ax.legend(loc="lower right")


def plot_confusion(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Counts of actual against predicted labels at the 0.5 threshold."""
    labels = (preds["predicted"] >= THRESHOLD).astype(int)
    counts = confusion_matrix(preds["actual"].astype(int), labels, labels=[0, 1])
    with figure(path, (4.5, 4)) as (_, ax):
        ax.imshow(counts, cmap="Blues")
        for (i, j), n in np.ndenumerate(counts):
            color = "white" if n > counts.max() / 2 else "black"
            ax.text(j, i, str(n), ha="center", va="center", color=color, fontsize=12)
        ax.set(
            xticks=[0, 1], yticks=[0, 1], xlabel=f"predicted (p >= {THRESHOLD})", ylabel="actual"
        )
        ax.set_title(title)


def plot_calibration(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Reliability curve: observed rate of class 1 per bin of predicted probability."""
    observed, predicted = calibration_curve(
        preds["actual"], preds["predicted"], n_bins=ECE_BINS, strategy="uniform"
    )
    with figure(path, (5, 5)) as (_, ax):
        ax.plot([0, 1], [0, 1], color="black", linewidth=1, linestyle="--", label="perfect")
        ax.plot(predicted, observed, marker="o", label="model")
        ax.set(xlabel="mean predicted probability", ylabel="observed rate", title=title)
        ax.set(xlim=(0, 1), ylim=(0, 1))
        ax.legend(loc="upper left")


def plot_rate_timeline(preds: pd.DataFrame, title: str, path: Path) -> None:
    """Daily observed rate of class 1 and mean predicted probability over the window."""
    daily = preds.set_index(pd.to_datetime(preds[EVENT_TIME]))[["actual", "predicted"]]
    daily = daily.resample("D").mean()
    with figure(path, (10, 3.5)) as (fig, ax):
        ax.plot(daily.index, daily["actual"], label="observed rate", linewidth=1, marker=".")
        ax.plot(daily.index, daily["predicted"], label="mean probability", linewidth=1, marker=".")
        ax.set(ylabel="share of class 1 per day", title=title, ylim=(0, 1))
        ax.legend()
        fig.autofmt_xdate()


def plot_classification(preds: pd.DataFrame, title: str, folder: Path) -> None:
    """All classification plots of one candidate's predictions, as PNGs in a folder."""
    plot_roc(preds, title, folder / "roc_curve.png")
    plot_confusion(preds, title, folder / "confusion_matrix.png")
    plot_calibration(preds, title, folder / "calibration.png")
    plot_rate_timeline(preds, title, folder / "timeline.png")


def plot_evaluation(report: CandidatesReport, task: str, folder: Path) -> None:
    """Every PNG of the evaluate stage for the best candidate: the task's plots, and importance."""
    title = f"{report.best} on the test window"
    preds = report.predictions
    if task == "classification":
        plot_classification(preds, title, folder)
    else:
        plot_predicted_vs_actual(preds, title, folder / "predicted_vs_actual.png")
        plot_residuals_by_hour(preds, title, folder / "residuals_by_hour.png")
        plot_timeline(preds, title, folder / "timeline.png")
    plot_importance(
        report.importance,
        f"{report.best}: permutation importance (validation)",
        folder / "feature_importance.png",
        xlabel=IMPORTANCE[task][1],
    )
