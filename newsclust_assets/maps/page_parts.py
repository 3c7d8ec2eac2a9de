"""What the map and the timeline pages share: escaping, story colours, names for labels and
the one copy of plotly.js. No Dagster imports."""

from __future__ import annotations

import functools
import hashlib
import html

from .. import files


def esc(value) -> str:
    """Markup characters as entities, so plotly shows them as text (quotes are harmless)."""
    return html.escape(str(value), quote=False)


def headline_part(name: str) -> str:
    """A story name is "central headline [top / words]": the headline, for labels."""
    return str(name).split(" [", 1)[0]


def story_colour(story: str) -> str:
    """The same colour for a story id on every map and timeline, whatever else is drawn."""
    from plotly.colors import qualitative

    palette = qualitative.Dark24 + qualitative.Alphabet
    return palette[int(hashlib.md5(story.encode()).hexdigest()[:8], 16) % len(palette)]


@functools.cache
def lab(colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a ``#rrggbb`` colour: the space where distance is perceived difference."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * lin[0] + 0.3576 * lin[1] + 0.1805 * lin[2]) / 0.95047
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    z = (0.0193 * lin[0] + 0.1192 * lin[1] + 0.9505 * lin[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def colour_difference(a: str, b: str) -> float:
    """CIE76 delta E between two ``#rrggbb`` colours: about 2.3 is just noticeable, 20+ reads
    as clearly different at a glance."""
    la, lb = lab(a), lab(b)
    return sum((p - q) ** 2 for p, q in zip(la, lb)) ** 0.5


def plotly_js(directory) -> str:
    """Write plotly.js once into ``directory`` (a local path or a URL's UPath; named by its
    version, so an upgrade writes a new file instead of serving an old one) and return its
    file name."""
    import plotly
    from plotly.offline import get_plotlyjs

    name = f"plotly-{plotly.__version__}.min.js"
    target = directory / name
    if not target.exists():
        files.write_text(target, get_plotlyjs())
    return name


def shorten(text, n: int) -> str:
    """``text`` cut to at most ``n`` characters at a word boundary, ending in "…" when cut."""
    text = str(text)
    if len(text) <= n:
        return text
    cut = text[: n - 1]
    if " " in cut and not text[n - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "\u2026"


def write_page(fig, path, title: str, inline_js: bool = False, js_dir=None, footer: str = ""):
    """Write ``fig`` as one HTML page titled ``title`` (the browser tab's ``<title>``) at
    ``path`` (a local path or URL) that works offline: plotly.js is the one file in ``js_dir``
    (default: beside the page) that every page of the data directory shares, or inlined with
    ``inline_js``. ``footer``: HTML (already escaped) placed under the figure."""
    path = files.at(path)
    js: bool | str
    if inline_js:
        js = True
    else:
        where = files.at(js_dir) if js_dir is not None else path.parent
        js = files.relative(where / plotly_js(where), path.parent)
    page = fig.to_html(include_plotlyjs=js, full_html=True)
    page = page.replace("<head>", f"<head><title>{esc(title)}</title>", 1)
    if footer:
        page = page.replace("</body>", footer + "</body>", 1)
    return files.write_text(path, page)
