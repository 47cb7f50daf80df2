"""The HTML report of ``ibkit figures``: one self-contained ``index.html`` beside the PNGs.

The page makes no network request: its style sheet and its one script are inline and the
images are referenced by relative path (they sit beside ``index.html``). The script records,
once the page has loaded, how many ``<img>`` elements loaded (``naturalWidth > 0``) in the
``data-images-total`` / ``data-images-loaded`` attributes of ``<body>``, so a headless browser
can check the report (``tests/figures/test_browser.py``).
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from .._io import write_text
from .record import FigureRecord

__all__ = ["render_index", "write_index"]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
figure { margin: 2.5em 0; border-top: 1px solid #ddd; padding-top: 1em; }
figure img { max-width: 100%; height: auto; }
figcaption { margin: 0.6em 0; }
.equation { font-family: ui-monospace, monospace; background: #f5f5f5; padding: 0.4em 0.7em;
            border-left: 3px solid #888; white-space: pre-wrap; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f5f5f5; padding: 0 0.25em; }
.files, .meta { color: #555; font-size: 0.9em; }
"""

# Runs after every image has loaded or failed; records the count for headless checks.
_SCRIPT = """
window.addEventListener("load", function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded++; }
  }
  document.body.setAttribute("data-images-total", String(images.length));
  document.body.setAttribute("data-images-loaded", String(loaded));
});
"""


def _format(value: Any) -> tuple[str, bool]:
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:d}", True
    if isinstance(value, float):
        return f"{value:.6g}", True
    if isinstance(value, (list, tuple)):
        return ", ".join(_format(v)[0] if not isinstance(v, (list, tuple))
                         else "(" + _format(v)[0] + ")" for v in value), False
    return str(value), False


def _numbers_html(numbers: dict[str, Any]) -> str:
    esc = html.escape
    rows = []
    for name, value in numbers.items():
        text, numeric = _format(value)
        cls = ' class="num"' if numeric else ""
        rows.append(f"<tr><th>{esc(str(name))}</th><td{cls}>{esc(text)}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _figure_html(record: FigureRecord) -> str:
    esc = html.escape
    parts = [f'<figure id="{esc(record.id)}">', f"<h2>{esc(record.title)}</h2>"]
    if record.image:
        parts.append(
            f'<a href="{esc(record.image)}"><img src="{esc(record.image)}" '
            f'alt="{esc(record.title)}"></a>'
        )
    if record.equation:
        parts.append(f'<p class="equation">{esc(record.equation)}</p>')
    parts.append(f"<figcaption>{esc(record.caption)}</figcaption>")
    if record.numbers:
        parts.append(_numbers_html(record.numbers))
    links = " · ".join(f'<a href="{esc(f)}">{esc(f)}</a>' for f in record.files)
    parts.append(f'<p class="files">Files: {links} — computed in {record.seconds:.2f} s</p>')
    cfg = record.config
    if cfg.get("command"):
        parts.append(
            f'<p class="meta">Produced by <code>{esc(cfg["command"])}</code> with ibkit '
            f'{esc(str(cfg.get("ibkit_version", "")))} ({esc(str(cfg.get("quality", "")))})</p>'
        )
    parts.append("</figure>")
    return "\n".join(parts)


def render_index(
    records: Sequence[FigureRecord],
    *,
    title: str = "ibkit figures",
    command: str | None = None,
    quality: str | None = None,
    seconds: float | None = None,
) -> str:
    """The report as an HTML string: a heading, a contents list, then one section per figure.

    ``command``, ``quality`` and ``seconds`` (the run's wall-clock time) go in the header.
    """
    esc = html.escape
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    contents = "".join(
        f'<li><a href="#{esc(r.id)}">{esc(r.id)}: {esc(r.title)}</a></li>' for r in records
    )
    body = "\n".join(_figure_html(r) for r in records)
    meta = [f"ibkit {esc(__version__)}", f"generated {esc(stamp)}"]
    if quality:
        meta.append(f"quality: {esc(quality)}")
    if seconds is not None:
        meta.append(f"total {seconds:.1f} s")
    run = f"<p>Reproduce with <code>{esc(command)}</code>.</p>\n" if command else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n"
        f"<script>{_SCRIPT}</script>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n"
        "<p>Figures of <em>How Information Bottleneck Helps Representation Learning: From the "
        "Rate Distortion Theory to VAEs</em>, recomputed from scratch with ibkit. Each section "
        "shows the figure, the equation it illustrates, what was computed, the key numbers and "
        "the files (PNG, SVG, CSV data) beside this page. Information is in bits unless a "
        "label says nats; β multiplies the distortion inside exp(−β d).</p>\n"
        f"{run}"
        f'<p class="meta">{" · ".join(meta)}</p>\n'
        f"<ul>{contents}</ul>\n{body}\n</body>\n</html>\n"
    )


def write_index(out: str | Path, records: Sequence[FigureRecord], **kwargs: Any) -> Path:
    """Write ``out/index.html`` atomically and return its path."""
    return write_text(Path(out) / "index.html", render_index(records, **kwargs))
