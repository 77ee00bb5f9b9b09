"""Serve every script and stylesheet of a Folium map from our own static folder, never a CDN.

Folium names each front-end asset (``"leaflet"``, ``"jquery"``, ``"topojson"``, ...) and points it
at a CDN. ``ASSETS`` maps each name to our vendored copy under ``static/`` (shipped in the
package, see ``geohub.packaged``, and ``static/vendor/README.md``; ``static/vendor/fetch.sh``
re-creates the copies). ``localise`` rewrites a
map's tree to those copies before it is rendered; ``render_html`` also renders and checks the result.

No Flask here: the web layer passes its static URL prefix (``url_for("static", filename="")``).
"""
from __future__ import annotations

import base64
import mimetypes
import re
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from branca.element import CssLink, Element, Figure, JavascriptLink, Link

from geohub.errors import GeohubError
from geohub.packaged import static_dir

STATIC_DIR = static_dir()

# folium's asset name -> path under STATIC_DIR: only what geohub's pages load (Leaflet and topojson).
# ``None``: one of folium.Map's defaults that geohub's maps do not use, dropped from every map
# (markers, icons and Bootstrap-styled popups: geohub draws areas, with Leaflet's own tooltips).
# A name that is not here (branca's d3 legends, plugins such as Fullscreen, anything new) is an
# error (MissingAssetError naming the fix: vendor it), never a silent CDN link.
ASSETS: dict[str, str | None] = {
    # folium.Map.default_js
    "leaflet": "vendor/leaflet/leaflet.js",
    "jquery": None,
    "bootstrap": None,
    "awesome_markers": None,
    # folium.Map.default_css
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers_font_css": None,
    "awesome_markers_css": None,
    "awesome_rotate_css": None,
    # folium.TopoJson.default_js
    "topojson": "vendor/topojson/topojson.min.js",
}

# What folium 0.20 asks for under each name (the versions of the copies we serve, and the URLs of
# the defaults we drop). tests/test_assets.py fails when an installed folium asks for something
# else, so an upgrade of folium is noticed and the copies re-fetched (static/vendor/fetch.sh).
UPSTREAM_URLS: dict[str, str] = {
    "leaflet": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    "jquery": "https://code.jquery.com/jquery-3.7.1.min.js",
    "bootstrap": "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
                       "leaflet.awesome-markers.js",
    "leaflet_css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
    "bootstrap_css": "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "glyphicons_css": "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "awesome_markers_font_css": "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/"
                                "css/all.min.css",
    "awesome_markers_css": "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
                           "leaflet.awesome-markers.css",
    "awesome_rotate_css": "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
                          "leaflet.awesome.rotate.min.css",
    "topojson": "https://cdnjs.cloudflare.com/ajax/libs/topojson/1.6.9/topojson.min.js",
}

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host
_ASSET_TAG = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""",
                        re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
# A TrueType fallback after a WOFF2 source in one @font-face src: every browser Leaflet 1.9 runs in
# takes the WOFF2, so embedding the TTF too would only double the size.
_TTF_FALLBACK = re.compile(r"""(format\(\s*['"]woff2['"]\s*\))\s*,\s*url\([^)]*\.ttf['"]?\)\s*"""
                           r"""format\(\s*['"]truetype['"]\s*\)""")


class MissingAssetError(GeohubError):
    """Folium asks for a script or stylesheet that geohub has no local copy of."""

    status = 500

    def __init__(self, name: str | None, url: str):
        super().__init__(
            f"Folium asks for the front-end asset {name!r} ({url}) and geohub has no local copy of it.",
            f"Vendor it under static/vendor/ (add it to static/vendor/fetch.sh and README.md) and map "
            f"{name!r} to its path in ASSETS in geohub/maps/assets.py; maps never load from a CDN.")
        self.name = name
        self.url = url


class InlineAsset(NamedTuple):
    name: str  # folium's asset name, e.g. "leaflet"
    kind: str  # "js" or "css"
    text: str  # the file's content; for CSS, url()s of images and fonts embedded as data: URIs


def _is_remote(url: str) -> bool:
    return bool(_REMOTE.match(url.strip()))


def _local_url(static_url: str, path: str) -> str:
    return f"{static_url.rstrip('/')}/{path}"


def _resolve(name: str | None, url: str, static_url: str) -> str | None:
    """The URL to use for folium's asset ``name`` (``None``: drop it); raises if it has no copy."""
    if not _is_remote(url):
        return url  # already local (localised before, or ours)
    if name not in ASSETS:
        raise MissingAssetError(name, url)
    path = ASSETS[name]
    return None if path is None else _local_url(static_url, path)


def _localise_links(links: Iterable[tuple[str, str]], static_url: str) -> list[tuple[str, str]]:
    out = []
    for name, url in links:
        local = _resolve(name, url, static_url)
        if local is not None:
            out.append((name, local))
    return out


class _LocalisingHeader(Element):
    """A figure header that turns every CDN script/stylesheet link added to it into our copy.

    Needed besides the per-element ``default_js``/``default_css`` rewrite because some elements add
    links while rendering (branca's colormap legends add d3), and for elements added after
    ``localise``.
    """

    _geohub_static_url = "/static"

    def add_child(self, child, name=None, index=None):
        if isinstance(child, Link) and _is_remote(child.url):
            url = _resolve(name, child.url, self._geohub_static_url)
            if url is None:
                return self  # dropped on purpose
            child = (JavascriptLink if isinstance(child, JavascriptLink) else CssLink)(url)
        return super().add_child(child, name=name, index=index)


def _walk(element: Element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)
    if isinstance(element, Figure):
        for part in (element.header, element.html, element.script):
            yield from _walk(part)


def localise(figure_or_map: Element, static_url: str = "/static") -> Figure:
    """Point every script and stylesheet of ``figure_or_map``'s figure at ``static_url``.

    Rewrites ``default_js``/``default_css`` on the map and on every element in its tree (per
    instance: folium's class-level lists stay untouched), rewrites links already in the figure's
    header, and makes the header rewrite links added later (while rendering, or by elements added
    after this call). Assets mapped to ``None`` in ``ASSETS`` are dropped. Raises
    ``MissingAssetError`` naming any asset that has no local copy. Idempotent; returns the figure.
    """
    figure = figure_or_map.get_root()
    if not isinstance(figure, Figure):
        raise TypeError("localise needs a folium map or element that belongs to a Figure "
                        f"(got a {type(figure_or_map).__name__} whose root is a {type(figure).__name__}).")
    for element in _walk(figure):
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if links:
                setattr(element, attr, _localise_links(links, static_url))

    header = figure.header
    if not isinstance(header, _LocalisingHeader):
        if type(header) is not Element:
            raise TypeError(f"Unexpected figure header type {type(header).__name__}.")
        header.__class__ = _LocalisingHeader
    header._geohub_static_url = static_url
    children = OrderedDict()  # links already there (a figure rendered before), rewritten in place
    for name, child in header._children.items():
        if isinstance(child, Link) and _is_remote(child.url):
            url = _resolve(name, child.url, static_url)
            if url is None:
                continue
            child = (JavascriptLink if isinstance(child, JavascriptLink) else CssLink)(url)
            child._parent = header
        children[name] = child
    header._children = children
    return figure


def remote_asset_urls(html: str) -> list[str]:
    """The remote (``http://``, ``https://``, ``//``) URLs in ``<script src>``/``<link href>`` tags."""
    return [url for url in _ASSET_TAG.findall(html) if _is_remote(url)]


def render_html(figure_or_map: Element, static_url: str = "/static") -> str:
    """Localise, render the whole figure to an HTML page, and check no asset URL is remote."""
    figure = localise(figure_or_map, static_url)
    html = figure.render()
    remote = remote_asset_urls(html)
    if remote:
        raise MissingAssetError(None, ", ".join(remote))
    return html


def asset_urls(static_url: str = "/static") -> list[str]:
    """The local URLs of every asset we serve, in ``ASSETS`` order (dropped ones left out)."""
    return [_local_url(static_url, path) for path in ASSETS.values() if path is not None]


def asset_path(name: str) -> Path:
    """The file under ``STATIC_DIR`` that serves folium's asset ``name``."""
    path = ASSETS.get(name)
    if path is None:
        raise MissingAssetError(name, UPSTREAM_URLS.get(name, "?"))
    return STATIC_DIR / path


def _embed_css_urls(css: str, css_file: Path) -> str:
    """``css`` with each relative ``url(...)`` replaced by a ``data:`` URI of the file it names."""
    def embed(match: re.Match) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")) or _is_remote(ref):
            return match.group(0)
        target = (css_file.parent / ref.split("?")[0].split("#")[0]).resolve()
        mime = mimetypes.guess_type(target.name)[0] or {
            ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
        }.get(target.suffix, "application/octet-stream")
        data = base64.b64encode(target.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{data}")'
    return _CSS_URL.sub(embed, _TTF_FALLBACK.sub(r"\1", css))


def inline_assets(names: Iterable[str] | None = None, *, embed_urls: bool = True) -> list[InlineAsset]:
    """The content of the JS/CSS assets ``names`` (default: all served ones), for inlining.

    For a self-contained HTML export: each item is (name, kind, text), read from STATIC_DIR. With
    ``embed_urls`` (default), the images and fonts a stylesheet references by relative ``url()``
    are embedded as ``data:`` URIs so the CSS works without the static folder.
    """
    wanted = [n for n, p in ASSETS.items() if p is not None] if names is None else list(names)
    out = []
    for name in wanted:
        file = asset_path(name)
        text = file.read_text(encoding="utf-8")
        kind = "css" if file.suffix == ".css" else "js"
        if kind == "css" and embed_urls:
            text = _embed_css_urls(text, file)
        out.append(InlineAsset(name, kind, text))
    return out
