"""One look for every figure of the report, and each figure rendered to PNG once.

:data:`STYLE` is the report's matplotlib style (white ground, light horizontal
grid, no box, titles left-aligned, a palette that stays apart for colour-blind
readers and in grey print); :func:`report_style` applies it while the
analyses draw and while the figures are saved. :func:`png` renders a figure
once to bytes (no timestamp or software tag, so equal figures give equal
bytes); the writer puts those bytes in ``figures/``, in the HTML page and in
the PDF. The axis helpers label shares as
percent and money in millions.
"""

from __future__ import annotations

import io
from typing import Any

# Okabe and Ito (2008), the palette most used for colour-blind-safe charts
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#F0E442")
DPI = 120

STYLE: dict[str, Any] = {
    "figure.facecolor": "white",
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 9.5,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#666666",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.7,
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # set below from PALETTE
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.8,
    "lines.markersize": 4,
}


def _style() -> dict[str, Any]:
    from cycler import cycler

    return {**STYLE, "axes.prop_cycle": cycler(color=list(PALETTE))}


def report_style():
    """A context in which matplotlib draws with the report's style (:data:`STYLE`).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with report_style():
    ...     plt.rcParams["axes.spines.top"]
    False
    """
    import matplotlib

    return matplotlib.rc_context(_style())


def png(figure: Any) -> bytes:
    """``figure`` as PNG bytes, the same bytes for the same figure (no date, no software tag).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(); _ = ax.plot([1, 2])
    >>> png(fig) == png(fig), png(fig)[:4]
    (True, b'\\x89PNG')
    >>> plt.close(fig)
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                   metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def percent_axis(ax: Any, axis: str = "y", decimals: int = 0) -> Any:
    """Label ``ax``'s ``axis`` (holding shares in [0, 1]) in percent; returns ``ax``."""
    from matplotlib.ticker import PercentFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(PercentFormatter(1.0, decimals=decimals))
    return ax


def millions_axis(ax: Any, axis: str = "y") -> Any:
    """Label ``ax``'s ``axis`` (holding US dollars) in millions, with no offset; returns ``ax``."""
    from matplotlib.ticker import FuncFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.0f}"))
    return ax

