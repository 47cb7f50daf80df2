"""The HTML report of ``ibkit figures``: one self-contained ``index.html`` beside the PNGs."""

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
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.files, .meta { color: #555; font-size: 0.9em; }
"""


def _format(value: Any) -> tuple[str, bool]:
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:d}", True
    if isinstance(value, float):
        return f"{value:.6g}", True
    return str(value), False


def _figure_html(record: FigureRecord) -> str:
    esc = html.escape
    parts = [f'<figure id="{esc(record.id)}">', f"<h2>{esc(record.title)}</h2>"]
    if record.image:
        parts.append(
            f'<a href="{esc(record.image)}"><img src="{esc(record.image)}" '
            f'alt="{esc(record.title)}"></a>'
        )
    parts.append(f"<figcaption>{esc(record.caption)}</figcaption>")
    if record.numbers:
        rows = []
        for name, value in record.numbers.items():
            text, numeric = _format(value)
            cls = ' class="num"' if numeric else ""
            rows.append(f"<tr><th>{esc(str(name))}</th><td{cls}>{esc(text)}</td></tr>")
        parts.append("<table>" + "".join(rows) + "</table>")
    links = " · ".join(f'<a href="{esc(f)}">{esc(f)}</a>' for f in record.files)
    parts.append(f'<p class="files">Files: {links} — computed in {record.seconds:.2f} s</p>')
    parts.append("</figure>")
    return "\n".join(parts)


def render_index(records: Sequence[FigureRecord], *, title: str = "ibkit figures") -> str:
    """The report as an HTML string: a heading, a contents list, then one section per figure."""
    esc = html.escape
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    contents = "".join(
        f'<li><a href="#{esc(r.id)}">{esc(r.id)}: {esc(r.title)}</a></li>' for r in records
    )
    body = "\n".join(_figure_html(r) for r in records)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n"
        "<p>Figures of <em>How Information Bottleneck Helps Representation Learning: From the "
        "Rate Distortion Theory to VAEs</em>, recomputed from scratch with ibkit.</p>\n"
        f'<p class="meta">ibkit {esc(__version__)} · generated {esc(stamp)}</p>\n'
        f"<ul>{contents}</ul>\n{body}\n</body>\n</html>\n"
    )


def write_index(out: str | Path, records: Sequence[FigureRecord], **kwargs: Any) -> Path:
    """Write ``out/index.html`` atomically and return its path."""
    return write_text(Path(out) / "index.html", render_index(records, **kwargs))
