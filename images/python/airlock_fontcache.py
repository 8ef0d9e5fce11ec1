"""Seeds matplotlib's font cache from the image when a program first imports matplotlib.

Each sandbox's MPLCONFIGDIR (/tmp/matplotlib) starts empty, and without a cache there the first
pyplot import spends about 0.4 s scanning the fonts. The image carries the cache its build made;
airlock.pth installs this finder at interpreter start, and it copies the cache in on the first
`import matplotlib`, then steps aside. A program that never imports matplotlib writes nothing.
"""

import os
import sys

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


class _SeedOnImport:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name == "matplotlib":
            sys.meta_path.remove(cls)
            _seed()
        return None  # the normal finders import it


sys.meta_path.insert(0, _SeedOnImport)
