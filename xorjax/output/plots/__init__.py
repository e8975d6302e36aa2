"""Pictures (matplotlib, Agg, PNG), one module per subject; matplotlib is imported only when drawing.

Every picture goes through ``figure`` and ``save`` so runs, graphs and sweeps share one look.
"""

from contextlib import contextmanager
from pathlib import Path

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    # A title at the axes' top, as matplotlib puts it anyway where no ticks or labels sit above the axes (none
    # here): left to itself, it measures every such label to place the title, ~5% of a picture's time.
    "axes.titley": 1.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "image.cmap": "RdBu_r",
}
# One colour per meaning, everywhere: class 0 / class 1 of XOR, and the outcomes of training.
COLORS = {
    "0": "#2b6cb0",
    "1": "#c53030",
    "solved": "#2f855a",
    "unsolved": "#718096",
    "diverged": "#000000",
    "plateau": "#d69e2e",
    "two-stuck": "#dd6b20",
    "three-merged": "#805ad5",
    "slow": "#63b3ed",
    # a computational graph's edges: the value going forward, the gradient coming back
    "value": "#2f855a",
    "gradient": "#c53030",
}


@contextmanager
def figure(*args, **kwargs):
    """``with figure(1, 2, figsize=...) as (fig, axes):`` a styled figure, closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(*args, **kwargs)
        try:
            yield fig, axes
        finally:
            plt.close(fig)


def room_for_title(fig, title) -> None:
    """Lowers the axes' top just enough that ``title`` (the Text ``ax.set_title`` returns) fits inside the
    figure, however many lines it has. Fixed margins cut a title that grows (a deep net's hidden space takes
    three lines); measuring one text is cheap, where a constrained layout would double a picture's time."""
    height = title.get_window_extent(fig.canvas.get_renderer()).height
    fig.subplots_adjust(top=1 - (height + 14 * fig.dpi / 72) / fig.bbox.height)  # 6 pt title pad, 8 pt air


def save(fig, path, tight: bool = True) -> Path:
    """Writes the PNG. ``tight=False`` keeps the margins the picture set itself: tight_layout measures
    every label first, which costs about a third of a small picture's time."""
    from io import BytesIO

    from xorjax.output import io

    path = Path(path)
    if tight:
        fig.tight_layout()
    png = BytesIO()
    fig.savefig(png, format=path.suffix[1:] or "png")
    return io.write_atomic(path, png.getvalue())  # a reader (a report, a summary) never sees half a picture
