"""The eval report's chart: the main metrics per language and per category, as a PNG,
with the previous run's bars beside when there is one."""
from __future__ import annotations

from pathlib import Path

METRICS = (("hit@5", "hit@5"), ("mrr", "MRR"), ("quote_accuracy", "quote accuracy"),
           ("fact_recall", "fact recall"), ("abstention_recall", "abstention recall"))
BEFORE, AFTER = "#b8b8b8", "#2f6db5"


def chart_groups(summary: dict) -> list[tuple[str, str]]:
    """(summary key, axis label) of every group: overall, then languages, then categories.

    >>> chart_groups({"cases": 9, "lang:fr": {"cases": 6}, "cat:figure": {"cases": 2}, "hit@5": 1.0})
    [('all', 'all (9)'), ('lang:fr', 'fr (6)'), ('cat:figure', 'figure (2)')]
    """
    keys = sorted(k for k in summary if k.startswith("lang:")) + sorted(k for k in summary if k.startswith("cat:"))
    return [("all", f"all ({summary.get('cases', 0)})")] + [
        (k, f"{k.split(':', 1)[1] or '?'} ({summary[k].get('cases', 0)})") for k in keys]


def separators(groups: list[tuple[str, str]]) -> list[float]:
    """x positions between overall, languages and categories.

    >>> separators([("all", ""), ("lang:en", ""), ("lang:fr", ""), ("cat:figure", "")])
    [0.5, 2.5]
    """
    kinds = [g.split(":")[0] for g, _ in groups]
    return [i + 0.5 for i in range(len(kinds) - 1) if kinds[i] != kinds[i + 1]]


def draw_metrics(path: Path, summary: dict, previous: dict | None = None) -> None:
    """One panel a metric, one bar a group; grey bars for the previous run when given.

    Raises ImportError when matplotlib is not installed."""
    # The object API with the Agg canvas: no pyplot state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = chart_groups(summary)
    width = 0.4 if previous else 0.7
    fig = Figure(figsize=(max(6.0, 0.9 * len(groups) + 1.5), 1.9 * len(METRICS)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(METRICS), 1, sharex=True)
    xs = range(len(groups))

    def values(s: dict, key: str) -> list[float]:
        # A metric a group has no case for (abstention recall without out-of-scope cases) draws no bar.
        picked = [(s if g == "all" else s.get(g, {})).get(key) for g, _ in groups]
        return [float("nan") if v is None else v for v in picked]

    for ax, (key, title) in zip(axes, METRICS):
        if previous:
            ax.bar([x - width / 2 for x in xs], values(previous, key), width, color=BEFORE)
            ax.bar([x + width / 2 for x in xs], values(summary, key), width, color=AFTER)
        else:
            ax.bar(list(xs), values(summary, key), width, color=AFTER)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(labelsize=8)
        for edge in separators(groups):
            ax.axvline(edge, color="#666666", linewidth=0.6, linestyle=":")
    axes[-1].set_xticks(list(xs), [label for _, label in groups], rotation=30, ha="right")
    if previous:
        fig.legend(handles=axes[0].containers, labels=["before", "after"], loc="outside upper right", ncols=2,
                   fontsize=8, frameon=False)
    fig.savefig(path, dpi=100)
