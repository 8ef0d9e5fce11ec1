"""Seeds matplotlib's font cache from the image, at interpreter start (airlock.pth runs it).

Each sandbox's MPLCONFIGDIR (/tmp/matplotlib) starts empty, and without a cache there the first
pyplot import spends about 0.4 s scanning the fonts. The image carries the cache its build made.
"""

import os

SEED = "/usr/local/share/airlock/matplotlib"


def _seed():
    target = os.environ.get("MPLCONFIGDIR")
    if not target or os.path.isdir(target) or not os.path.isdir(SEED):
        return
    try:
        os.makedirs(target)
        for name in os.listdir(SEED):
            with open(os.path.join(SEED, name), "rb") as src, open(os.path.join(target, name), "wb") as dst:
                dst.write(src.read())
    except OSError:
        pass  # matplotlib then builds its cache itself, as without the seed


_seed()
