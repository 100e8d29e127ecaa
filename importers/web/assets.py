"""The page's assets: a fixed table of files from installed packages.

Plotly's JavaScript comes from the ``plotly`` Python package (it ships ``plotly.min.js``),
the stylesheet and the small start-up script from this package. There is no CDN, no web font
and no icon fetched from anywhere, so the page works on a login node with no network. The URL
names a table entry; it is never joined to a directory, so no path traversal is possible.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class Asset:
    path: Path
    media_type: str


@functools.cache
def plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():  # pragma: no cover - every plotly wheel ships it
        raise FileNotFoundError(f"{path}: the plotly package has no plotly.min.js")
    return path


def plotly_version() -> str:
    import plotly

    return plotly.__version__


#: URL name -> file. Plotly's name carries its version, so browsers may cache it for a day.
ASSETS: dict[str, Asset] = {
    f"plotly-{plotly_version()}.min.js": Asset(plotly_js(), "text/javascript; charset=utf-8"),
    "ev.css": Asset(HERE / "ev.css", "text/css; charset=utf-8"),
    "ev.js": Asset(HERE / "ev.js", "text/javascript; charset=utf-8"),
    "ev.svg": Asset(HERE / "ev.svg", "image/svg+xml"),
}
PLOTLY_URL = f"/static/plotly-{plotly_version()}.min.js"
