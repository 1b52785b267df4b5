"""A link carrying Markdown and HTML in a real browser: nothing leaves 127.0.0.1, no outside
image, link or script appears in the page, and the text shows as typed."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest

from app import links
from tests.browser.conftest import serving
from tests.browser.test_browser_pages import APP_READY, SCRIPT_DONE, leaves_localhost, screenshot
from tests.browser.test_explore_browser import save_model

EVIL = "evil.example"
PAYLOAD = (
    f"![x](http://{EVIL}/p.png) [log in here](http://{EVIL}/login) "
    '<img src="http://evil.example/i.png" onerror="window.__pwned=1"> '
    "<script>window.__pwned=2</script> **bold** :red[x] :material/home: :smile: $x^2$ "
    f"<http://{EVIL}/auto> www.{EVIL}"
)
SHOWN = f"![x](http://{EVIL}/p.png) [log in here](http://{EVIL}/login)"  # as typed, in the page
DOM_CHECK = """(evil) => {
    const outside = (url) => url && !url.startsWith(location.origin) && !url.startsWith('data:')
        && !url.startsWith('blob:');
    return {
        images: [...document.querySelectorAll('img, image, source, video, audio, iframe')]
            .map(e => e.currentSrc || e.src || e.getAttribute('href') || '').filter(outside),
        links: [...document.querySelectorAll('a')].map(a => a.href).filter(h => {
            try { return new URL(h).hostname.includes(evil); } catch (e) { return true; }
        }),
        scripts: [...document.querySelectorAll('script')].filter(s => s.textContent
            .includes('__pwned')).length,
        pwned: window.__pwned || null,
        text: document.body.innerText.replaceAll('\\u2060', ''),
        strongBold: [...document.querySelectorAll('strong, b')]
            .filter(e => e.textContent === 'bold').length,
    };
}"""


@pytest.fixture(scope="module")
def links_url(tmp_path_factory):
    with serving(tmp_path_factory, "link", save_model) as url:
        yield url


def _open(page, url: str, params: dict) -> dict:
    page.goto(f"{url}/?{urlencode(params)}")
    page.wait_for_selector(APP_READY)
    page.wait_for_selector(SCRIPT_DONE)
    page.wait_for_timeout(2_500)  # toasts, lazy charts and any image fetch would happen by now
    return page.evaluate(DOM_CHECK, EVIL)


@pytest.mark.parametrize(
    "case",
    ["missing-model", "real-model"],
)
def test_markdown_and_html_in_a_link_stay_text(links_url, page, case):
    params = {key: PAYLOAD for key in links.KEYS}
    params["page"] = "explore"
    if case == "real-model":
        params.update(model="trained/char-lstm", layer="0", unit="1", step="2")
    found = _open(page, links_url, params)
    outbound = [u for u in page.recorded.requests if leaves_localhost(u)]
    assert outbound == [], f"requests left 127.0.0.1: {outbound}"
    assert not any(EVIL in (urlsplit(u).hostname or "") for u in page.recorded.requests)
    assert found["images"] == [], found["images"]
    assert found["links"] == [], found["links"]
    assert found["scripts"] == 0 and found["pwned"] is None
    assert found["strongBold"] == 0, "**bold** from the link was rendered bold"
    if case == "missing-model":
        assert SHOWN in found["text"], "the link's model name is not shown as typed"
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, f"link-escaping-{case}")


def test_every_page_with_the_payload(links_url, page):
    for name in links.PAGES:
        params = {key: PAYLOAD for key in links.KEYS}
        params.update(page=name, model="trained/char-lstm")
        found = _open(page, links_url, params)
        assert found["images"] == [] and found["links"] == [], (name, found)
        assert found["pwned"] is None and found["strongBold"] == 0, name
    outbound = [u for u in page.recorded.requests if leaves_localhost(u)]
    assert outbound == [], f"requests left 127.0.0.1: {outbound}"
