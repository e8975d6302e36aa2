"""The README and the docs pages it links, as a reader meets them: every command they show passes the settings
check, every link between them lands on a page and a heading that exist, and the front page stays short."""

import re
import shlex
from pathlib import Path

from xorjax import run

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_command_of_the_readme_and_the_docs_passes_the_settings_check():
    checked = 0
    for page in PAGES:
        for args in re.findall(r"python -m xorjax\.run ([^\n`|#]*)", page.read_text()):
            if "…" in args or "<" in args or "seed=i" in args:
                continue  # a placeholder the reader fills in
            try:
                words = shlex.split(args.strip().rstrip("\\"))
            except ValueError:
                continue
            words = [w for w in words if "=" in w or w.startswith("-")]
            assert run.check_overrides(words, compose_each=False) is None, (page.name, args)
            checked += 1
    assert checked >= 20


def test_every_link_between_the_pages_lands_on_a_page_and_a_heading():
    links = 0
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), (page.name, target)
            if anchor:
                assert anchor in anchors(linked), (page.name, target)
            links += 1
    assert links >= 10


def test_the_front_page_links_every_docs_page_and_stays_short():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"](docs/{page.name})" in readme, page.name
    assert len(readme.splitlines()) <= 260
