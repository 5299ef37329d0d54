"""Reading the generated HTML pages in tests: their tags, text and the local files they point at."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse


class Page(HTMLParser):
    """The tags of a page: every (tag, attributes) pair and its text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def sources(self) -> list[str]:
        """Every src / href on the page."""
        return [a[k] for _, a in self.tags for k in ("src", "href") if a.get(k)]

    def words(self) -> str:
        return " ".join(self.text)


def local_targets_exist(page: Page, folder: Path) -> list[str]:
    """The relative links of `page` that name no file in `folder` (none expected)."""
    missing = []
    for ref in page.sources():
        url = urlparse(ref)
        if url.scheme or ref.startswith(("data:", "#")):  # a remote link, an inline picture, an anchor on the page
            continue
        if not (folder / url.path).is_file():
            missing.append(ref)
    return missing
