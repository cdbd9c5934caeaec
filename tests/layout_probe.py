"""What the page looks like to a person, measured in the browser: used by tests/test_layout.py and by
`python tests/layout_probe.py` (screenshots of every tab, three sizes, both languages, into a folder).

No fixed sleeps: every wait is for a condition on the page.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SIZES = ((1440, 900), (1280, 720), (1024, 768))
LANGUAGES = {"en": "en-US", "ko": "ko-KR"}
TABS = ("overview", "features", "anchors", "objectness", "proposals", "nms", "roi", "detections", "masks", "gt",
        "ablations", "dataset")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]

# The main picture of the tab on screen: the first element marked lens-main (else the first picture) in the
# visible tab panel; its box once its image has loaded (an <img>) or it has content (a plot or diagram).
MAIN_PICTURE_JS = """() => {
  const panel = [...document.querySelectorAll('[role=tabpanel]')].find(p => p.offsetParent !== null);
  if (!panel) return null;
  const marked = [...panel.querySelectorAll('.lens-main, [data-view]')].find(e => e.offsetParent !== null);
  const main = marked || [...panel.querySelectorAll('img[src], .js-plotly-plot')].find(e => e.offsetParent !== null);
  if (!main) return null;
  const isImage = main.classList.contains('lens-main-image')
                  || main.querySelector('[data-testid=image], .image-container');
  const isPlot = main.classList.contains('lens-main-plot') || main.querySelector('.js-plotly-plot');
  const picture = main.querySelector('img[src]') || (isImage ? null : main.querySelector('.js-plotly-plot .main-svg')
                  || (isPlot ? null : main.querySelector('svg[data-view], [data-view] svg, canvas') || main));
  if (!picture) return null;
  if (picture.tagName === 'IMG' && !(picture.complete && picture.naturalWidth > 0)) return null;
  const r = picture.getBoundingClientRect();
  if (r.width < 50 || r.height < 50) return null;
  return {top: r.top + window.scrollY, left: r.left, width: r.width, height: r.height,
          viewport: [window.innerWidth, window.innerHeight], tag: picture.tagName,
          id: main.id || main.className};
}"""

# The figures' drawn widths are the same 150 ms apart (Plotly has laid them out again after a resize).
PLOTS_STILL_JS = """() => new Promise(resolve => {
    const widths = () => [...document.querySelectorAll('#lens-tabs .js-plotly-plot')].filter(g => g.offsetParent)
        .map(g => (g._fullLayout ? g._fullLayout.width : -1) + ':' + g.getBoundingClientRect().width).join();
    const before = widths();
    setTimeout(() => resolve(!before.includes('-1') && widths() === before), 150);
})"""

# Text that does not fit: an element whose own text overflows its box (not a scrolling container), and numbers
# broken across lines (a numeric cell or value rendered on more than one line).
TEXT_PROBLEMS_JS = r"""() => {
  const visible = (e) => e.offsetParent !== null || e.getClientRects().length > 0;
  const roots = [document.querySelector('#lens-header'),
                 [...document.querySelectorAll('[role=tabpanel]')].find(p => p.offsetParent !== null)];
  const problems = [];
  const number = /^[\s(+\-−]*[\d.,:×x/%\s]+[\d%)]\s*$/;
  const lines = (e) => {
    const range = document.createRange(); range.selectNodeContents(e);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top / 4)));
    return tops.size;
  };
  for (const root of roots.filter(Boolean)) {
    for (const e of root.querySelectorAll('p, span, td, th, label, h1, h2, h3, li, button, div')) {
      if (!visible(e)) continue;
      const text = (e.innerText || '').trim();
      if (!text) continue;
      const style = getComputedStyle(e);
      const scrolls = ['auto', 'scroll'].includes(style.overflowX);
      const ownText = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      if (ownText && !scrolls && e.scrollWidth > e.clientWidth + 2 && e.clientWidth > 1 &&
          !e.closest('.js-plotly-plot, svg, [data-testid=dropdown], .wrap-inner, input, textarea')) {
        problems.push({kind: 'overflow', text: text.slice(0, 60), scroll: e.scrollWidth, client: e.clientWidth});
      }
      if (ownText && e.children.length === 0 && number.test(text) && text.length <= 24 && lines(e) > 1) {
        problems.push({kind: 'number wraps', text: text.slice(0, 60), lines: lines(e)});
      }
    }
  }
  return problems;
}"""

# Plot text that overlaps: tick labels, legend entries and titles of each visible Plotly figure, pairwise.
PLOT_OVERLAPS_JS = """() => {
  const panel = [...document.querySelectorAll('[role=tabpanel]')].find(p => p.offsetParent !== null);
  const overlaps = [];
  for (const plot of (panel ? panel.querySelectorAll('.js-plotly-plot') : [])) {
    const texts = [...plot.querySelectorAll('.xtick text, .ytick text, .legendtext, .gtitle, .xtitle, .ytitle, '
                                           + '.annotation-text')]
      .map(t => ({t: t.textContent, r: t.getBoundingClientRect()})).filter(x => x.r.width > 0 && x.t.trim());
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i].r, b = texts[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) overlaps.push([texts[i].t, texts[j].t]);
    }
  }
  return overlaps;
}"""


def open_tab(page: Any, tab: str) -> None:
    page.locator(f"button[role=tab][data-tab-id={tab}]").click()
    page.wait_for_function(f"() => document.querySelector('button[role=tab][data-tab-id={tab}]')"
                           ".getAttribute('aria-selected') === 'true'")


def wait_for_inspected(page: Any) -> None:
    """The first screen has inspected its sample scene: the detections count shows a number."""
    page.wait_for_function("() => /\\d/.test(document.querySelector('#lens-detections-count')?.innerText || '')")


def main_picture(page: Any, timeout: float = 60_000) -> dict[str, Any]:
    return page.wait_for_function(MAIN_PICTURE_JS, timeout=timeout).json_value()


def settle(page: Any) -> None:
    """Wait until nothing on the page changed for two animation frames and every visible image has loaded."""
    page.wait_for_function("""() => new Promise(resolve => {
        const images = [...document.querySelectorAll('img')].filter(i => i.offsetParent !== null);
        if (!images.every(i => i.complete)) return resolve(false);
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
    })""")


def shots(url: str, folder: Path, chromium: str = "/usr/bin/chromium", projector: bool = False) -> list[dict]:
    """Screenshot every tab at every size in both languages; returns the measurements."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    report = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for language, locale in LANGUAGES.items():
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
                page = context.new_page()
                page.set_default_timeout(90_000)
                page.goto(url)
                wait_for_inspected(page)
                if projector:
                    page.locator("#lens-layout label").nth(1).click()
                for tab in TABS:
                    open_tab(page, tab)
                    try:
                        picture = main_picture(page, timeout=20_000)
                    except Exception:  # noqa: BLE001 - a tab without a picture yet (dataset) is reported as such
                        picture = None
                    settle(page)
                    mode = "projector" if projector else "desktop"
                    name = f"{language}_{width}x{height}_{mode}_{TABS.index(tab):02d}_{tab}.png"
                    page.screenshot(path=str(folder / name))
                    report.append({"shot": name, "picture": picture, "text": page.evaluate(TEXT_PROBLEMS_JS),
                                   "plots": page.evaluate(PLOT_OVERLAPS_JS)})
                context.close()
        browser.close()
    return report


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from app.testing import serve

    demo, url = serve()
    try:
        out = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/notes/shots")
        result = shots(url, out, projector="--projector" in sys.argv)
    finally:
        demo.close()
    (out / "report.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    for entry in result:
        p = entry["picture"]
        where = f"top {p['top']:.0f} width {p['width']:.0f}" if p else "no picture"
        print(entry["shot"], where, "text:", entry["text"][:3], "plots:", entry["plots"][:2])
