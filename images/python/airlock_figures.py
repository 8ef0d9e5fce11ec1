"""Airlock's matplotlib backend: Agg rendering, and figures shown or left open saved as PNG files.

`plt.show()` has no screen in a sandbox. Here it saves each open figure to
/workspace/.airlock/figures/figure-N.png and closes it, and figures still open when the program
exits are saved the same way, so a chart comes back as an artifact, as a notebook would display it.
`savefig` and every other Agg feature work as usual.
"""

import atexit
import os

from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

FIGURES_DIR = os.path.join(os.environ.get("AIRLOCK_WORKSPACE", "/workspace"), ".airlock", "figures")

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase

_saved = 0


def _save_open_figures():
    global _saved
    managers = Gcf.get_all_fig_managers()
    if not managers:
        return
    os.makedirs(FIGURES_DIR, exist_ok=True)
    for manager in managers:
        _saved += 1
        manager.canvas.figure.savefig(os.path.join(FIGURES_DIR, f"figure-{_saved}.png"), format="png")
    Gcf.destroy_all()


def show(*args, **kwargs):
    _save_open_figures()


atexit.register(_save_open_figures)
