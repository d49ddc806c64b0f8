"""Charts as image files. The S-curve (cumulative PV, EV and AC by month, with the EAC forecast and the BAC)
as a PNG, drawn with matplotlib's Agg backend (no display, no global pyplot state: safe in a server thread)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

SERIES = (("pv", "PV (planned value)", "#1f5fa8", "-"), ("ev", "EV (earned value)", "#2e7d32", "-"),
          ("ac", "AC (actual cost)", "#c62828", "-"))  # fmt: skip


def _f(v: Any) -> float | None:
    return None if v is None else float(Decimal(str(v)))


def scurve_png(
    months: Sequence[dict[str, Any]], *, currency: str, title: str, eac: Any = None, bac: Any = None,
    width_px: int = 960, height_px: int = 480,
) -> bytes:  # fmt: skip
    """`months`: [{"month": "YYYY-MM", "pv": .., "ev": .. or None, "ac": ..}] in order (cumulative values)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 96
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    labels = [str(m["month"]) for m in months]
    xs = list(range(len(months)))
    for key, label, colour, style in SERIES:
        pts = [(x, v) for x, m in zip(xs, months, strict=True) if (v := _f(m.get(key))) is not None]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colour, label=label, marker="o",
                    markersize=3, linewidth=2)  # fmt: skip
    eac_f, bac_f = _f(eac), _f(bac)
    last_ac = _f(months[-1].get("ac")) if months else None
    if eac_f is not None and last_ac is not None and xs:
        ax.plot([xs[-1], xs[-1] + max(1, len(xs) // 6)], [last_ac, eac_f], "--", color="#c62828",
                label=f"EAC forecast ({eac_f:,.2f})")  # fmt: skip
    if bac_f:
        ax.axhline(bac_f, color="#555555", linestyle=":", linewidth=1, label=f"BAC ({bac_f:,.2f})")
    step = max(1, len(labels) // 12)
    ax.set_xticks(xs[::step], labels[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(f"Cumulative cost ({currency})")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.set_ylim(bottom=0)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": "Charter"})
    return buf.getvalue()
