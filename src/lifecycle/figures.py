"""The one way this project draws a PNG: a matplotlib figure that is saved and closed for you."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@contextmanager
def figure(
    path: Path,
    figsize: tuple[float, float],
    *,
    dpi: int = 100,
    bbox_inches: str | None = None,
    **subplots: Any,
) -> Iterator[tuple[Figure, Any]]:
    """Yield (figure, axes) from plt.subplots; on exit lay it out, save it to `path` and close it.

    matplotlib is imported here, on the file-only Agg backend, so that importing a module that
    draws costs nothing until it draws (and no display is ever needed). The figure is closed
    even when drawing fails: pyplot keeps every open figure alive otherwise.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(figsize=figsize, **subplots)
    try:
        yield fig, axes
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches=bbox_inches)
    finally:
        plt.close(fig)
