"""Build the book and read every page in headless Chromium from disk (file://).

Checks per chapter page: no console error, no request leaving file:// (everything is bundled),
every local link and image resolves, every <audio> loads with a positive duration, MathJax
rendered the equations, and every panel's pre-rendered states are on the page. The glossary,
the API reference and the search page are opened too. Set BOOK_NOTEBOOKS to build a subset.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "build" / "book" / "html"
pytestmark = pytest.mark.book
PANELS = (
    "NoteBrowser",
    "FeatureExplorer",
    "SynthPanel",
    "AttentionViewer",
    "LatentExplorer",
    "MelodyAgentPanel",
    "GenerationPanel",
    "LatencyPanel",
    "QualityPanel",
    "CoherencePanel",
)
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in (os.environ.get("BOOK_CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.skip("no system Chromium found (set BOOK_CHROMIUM)")


@pytest.fixture(scope="module")
def book():
    t0 = time.perf_counter()
    if os.environ.get("BOOK_SKIP_BUILD") and (HTML / "index.html").exists():  # while developing the test
        return HTML
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_book.py")], check=True, cwd=ROOT)
    size = sum(f.stat().st_size for f in HTML.rglob("*") if f.is_file())
    print(f"\nbook built in {time.perf_counter() - t0:.0f} s, {size / 2**20:.1f} MiB")
    return HTML


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=_chromium(), args=CHROME_ARGS, headless=True
        )
        yield ctx
        ctx.close()


def _chapters(html: Path) -> list[Path]:
    return sorted(p for p in html.glob("[0-9]*.html"))


def _open(browser, path: Path):
    page = browser.new_page()
    errors, outside = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
    page.goto(path.as_uri(), wait_until="load")
    return page, errors, outside


def _local_targets(page, base: Path):
    """Every href/src on the page that points at a local file."""
    urls = page.eval_on_selector_all("a[href], img[src], link[href], script[src]", "els => els.map(e => e.href || e.src)")
    for url in urls:
        u = urlparse(url)
        if u.scheme == "file":
            yield url, Path(unquote(u.path))


def test_every_chapter_page(book, browser):
    chapters = _chapters(book)
    assert chapters, "no chapter pages were built"
    if not os.environ.get("BOOK_NOTEBOOKS"):  # one page per notebook (11 since chapter 4 became 04a and 04b)
        notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
        assert [p.stem for p in chapters] == [p.stem for p in notebooks], "chapter pages and notebooks differ"
    totals = {"pages": 0, "figures": 0, "audio": 0, "states": 0}
    for path in chapters:
        page, errors, outside = _open(browser, path)
        page.wait_for_function("() => !document.querySelector('.math') || document.querySelector('mjx-container')", timeout=30000)
        missing = [url for url, f in _local_targets(page, path) if not f.exists()]
        assert not missing, f"{path.name}: broken local links/images {missing[:5]}"
        broken_img = page.eval_on_selector_all(
            "img", "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => (e.src || '').slice(0, 80))"
        )
        assert not broken_img, f"{path.name}: images that did not load {broken_img[:5]}"
        n_math = page.eval_on_selector_all(".math", "els => els.length")
        n_mjx = page.eval_on_selector_all("mjx-container", "els => els.length")
        assert n_mjx >= n_math, f"{path.name}: {n_math} equations, {n_mjx} rendered by MathJax"
        durations = page.evaluate("""async () => Promise.all([...document.querySelectorAll('audio')].map(a =>
            new Promise(res => { const done = () => res(a.duration);
              if (a.readyState >= 1) return done();
              a.addEventListener('loadedmetadata', done); a.addEventListener('error', () => res(-1));
              a.load(); setTimeout(() => res(-2), 20000); })))""")
        bad = [i for i, d in enumerate(durations) if not (d and d > 0)]
        assert not bad, f"{path.name}: audio players {bad} did not load (durations {[durations[i] for i in bad]})"
        nb = (ROOT / "notebooks" / (path.stem + ".ipynb")).read_text()
        expected = sorted({m for m in PANELS if f"{m}(" in nb})
        shown = page.eval_on_selector_all(".musynth-book-states", "els => els.map(e => e.dataset.panel)")
        for name in expected:
            assert name in shown, f"{path.name}: no pre-rendered states of {name}"
        states = page.eval_on_selector_all(".musynth-book-states figure img", "els => els.length")
        assert states >= 2 * len(expected), f"{path.name}: {states} state figures for {len(expected)} panels"
        assert page.locator("a:has-text('Download this notebook')").count() == 1
        assert page.locator("a[href*='colab.research.google.com']").count() >= 1
        assert page.locator("a[href*='mybinder.org']").count() >= 1
        assert page.locator("a[href*='glossary.html#term']").count() >= 1, f"{path.name}: no glossary links"
        assert not errors, f"{path.name}: console errors {errors[:3]}"
        assert not outside, f"{path.name}: requests outside file:// {outside[:3]}"
        totals["pages"] += 1
        totals["figures"] += page.eval_on_selector_all("img", "els => els.length")
        totals["audio"] += len(durations)
        totals["states"] += states
        page.close()
    print(
        f"\nchecked {totals['pages']} chapter pages: {totals['figures']} images, {totals['audio']} audio players, "
        f"{totals['states']} pre-rendered panel states"
    )


def test_glossary_api_and_search(book, browser):
    for name in ("glossary.html", "api/index.html", "index.html"):
        page, errors, outside = _open(browser, book / name)
        missing = [url for url, f in _local_targets(page, book / name) if not f.exists()]
        assert not missing and not errors and not outside, (name, missing[:3], errors[:3], outside[:3])
        page.close()
    glossary = (book / "glossary.html").read_text()
    assert "音乐合成" in glossary and "music synthesis" in glossary
    api = "".join(p.read_text() for p in (book / "api").glob("*.html"))
    assert "Chapter:" in api and 'href="../01a_synthesis.html"' in api or "01a_synthesis" in api
    page, errors, outside = _open(browser, book / "search.html")
    page.goto((book / "search.html").as_uri() + "?q=spectrogram")
    page.wait_for_selector("#search-results li", timeout=30000)
    assert page.locator("#search-results li").count() > 0
    assert not outside
    page.close()
