"""A Markdown report as one self-contained HTML page: tables kept, pictures embedded, opens in any browser.

The Markdown (Python-Markdown, imported only here) stays the source a reader can diff and read as text;
the HTML carries its PNG pictures inside as data URIs, so the single file can be moved or mailed.
"""

import base64
import html
import re
from pathlib import Path

from xorjax.output.io import write_atomic

CSS = """
body { font: 16px/1.55 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a202c;
       max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; }
h1, h2, h3 { line-height: 1.25; }
h2 { border-bottom: 1px solid #e2e8f0; padding-bottom: .3rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #cbd5e0; padding: .3rem .65rem; text-align: right; }
th { background: #edf2f7; }
td:first-child, th:first-child { text-align: left; } tr:nth-child(even) td { background: #f7fafc; }
code { background: #edf2f7; padding: .1rem .3rem; border-radius: 3px; font-size: 90%; }
pre { background: #f7fafc; border: 1px solid #e2e8f0; padding: .75rem; overflow-x: auto; }
pre code { background: none; padding: 0; }
img { max-width: 100%; height: auto; margin: .5rem 0; }
blockquote { color: #4a5568; border-left: 4px solid #cbd5e0; margin: 1rem 0; padding: 0 1rem; }
"""


def _embed(match: re.Match, base: Path) -> str:
    src = html.unescape(match.group(1))
    path = base / src
    if src.startswith(("data:", "http:", "https:")) or not path.is_file():
        return match.group(0)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'src="data:image/png;base64,{data}"'


def document(title: str, body: str) -> str:
    """A whole page around the HTML ``body``, with the one head and style of xorjax's pages."""
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def to_html(text: str, base, title: str, extra: str = "") -> str:
    """The page for Markdown ``text`` whose picture links are relative to the folder ``base``, followed by the
    HTML ``extra`` (a section that Markdown cannot say, such as the playground of ``output.playground``)."""
    import markdown

    body = markdown.markdown(text, extensions=["tables", "fenced_code"])
    body = re.sub(r'src="([^"]+\.png)"', lambda m: _embed(m, Path(base)), body)
    return document(title, body + extra)


def write(md_path, title: str, extra: str = "") -> Path:
    """Writes ``<name>.html`` beside the Markdown file ``md_path`` (then ``extra``, HTML); returns its path."""
    md_path = Path(md_path)
    out = md_path.with_suffix(".html")
    return write_atomic(out, to_html(md_path.read_text(), md_path.parent, title, extra))
