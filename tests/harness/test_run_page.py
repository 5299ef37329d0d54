"""report.html of a run directory (harness/run_page.py): labels, links and the files it points at."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkbench.harness.run_page import linkify, write_run_page
from tests.kit.html_pages import Page, local_targets_exist
from tests.kit.run_dirs import INSTALL_URL, speech_run, video_run


def test_video_run_page_has_its_sections_labels_and_existing_files(tmp_path: Path) -> None:
    run_dir = video_run(tmp_path)
    page = Page(write_run_page(run_dir).read_text())
    words = page.words()
    for label in ("Metrics", "Rendered video", "Reference, prediction, error", "Per-frame metrics", "Training curves",
                  "Provenance", "PSNR ↑", "LPIPS ↓", "95 % CI", "± stderr"):
        assert label in words, label
    assert "[24." in words or "[25." in words  # the stored CI is shown
    videos = [a for t, a in page.tags if t == "video"]
    assert videos and videos[0]["src"].startswith("render.mp4") and "controls" in videos[0]
    images = {a["src"] for t, a in page.tags if t == "img"}
    assert {"frames.png", "per_frame.png", "curves.png"} <= images
    assert local_targets_exist(page, run_dir) == []
    assert INSTALL_URL in [a.get("href") for t, a in page.tags if t == "a"]  # the install hint is a link
    assert [t for t, _ in page.tags].count("details") >= 2  # config and provenance fold away
    assert all(not a.get("src", "").startswith("/") for t, a in page.tags if t in ("img", "video"))  # relative: the folder moves


def test_speech_run_page_has_conditions_audio_and_per_utterance_plot(tmp_path: Path) -> None:
    run_dir = speech_run(tmp_path)
    page = Page(write_run_page(run_dir).read_text())
    assert "snr=2.5 (n=2)" in page.words() and "Per-utterance metrics" in page.words()
    assert ("audio", {"controls": None, "preload": "none", "src": "examples/u0_enhanced.wav"}) in page.tags
    assert "per_utterance.png" in {a["src"] for t, a in page.tags if t == "img"}
    assert local_targets_exist(page, run_dir) == []


def test_contact_sheet_is_a_labelled_figure_not_a_bare_strip(tmp_path: Path) -> None:
    from PIL import Image

    run_dir = video_run(tmp_path, video=False, curves=False)
    width, height = Image.open(run_dir / "frames.png").size
    assert width > 4 * 32 * 2 and height > 3 * 32 * 2  # titled, with a colour bar: larger than the frames alone


@pytest.mark.parametrize("text, links", [
    ("see https://example.org/a_b.pth (or a local copy).", ["https://example.org/a_b.pth"]),
    ("no link <here> & there", []),
])
def test_linkify_escapes_text_and_links_urls(text: str, links: list[str]) -> None:
    out = linkify(text)
    page = Page(out)
    assert [a["href"] for t, a in page.tags if t == "a"] == links
    assert "<here>" not in out


@pytest.mark.slow
def test_bench_run_writes_the_page_and_results_files(tiny_cards: Path, bench_home: Path) -> None:
    from talkbench.harness.driver import run_jobs
    from tests.kit.jobs import spec

    (rec,) = run_jobs([spec("static")])
    assert rec.status == "complete"
    page = Page((rec.run_dir / "report.html").read_text())
    assert local_targets_exist(page, rec.run_dir) == []
    assert len(list(rec.run_dir.glob("results_*.json"))) == 1 and len(list(rec.run_dir.glob("samples_*.jsonl"))) == 1
    assert len(list((bench_home / "results").glob("results_*.json"))) == 1
