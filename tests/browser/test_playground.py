"""`visionxl playground` in headless chromium, through the page's DOM contract: controls named
by the SDK names, and data-testid price, violations, curl, generate, status, gallery, spent."""

import http.client
import json
import struct
import subprocess
import urllib.parse
import urllib.request
import zlib
from pathlib import Path

from playwright.sync_api import expect

from conftest import BIN, SCREENS, SECRET_KEY, clean_env, open_page

# The documentation's price table (credits), written out here so the page is checked against
# the documentation, not against itself.
PRICES = {
    "512x512": [234, 234, 260, 286],
    "1024x768": [260, 312, 364, 416],
    "768x1024": [260, 312, 364, 416],
    "1024x1024": [286, 338, 416, 468],
}


def table(url):
    with urllib.request.urlopen(url + "api/table") as r:
        return json.load(r)


def fill(page, name, value):
    el = page.locator(f"[name={name}]")
    if el.evaluate("e => e.tagName") == "SELECT":
        el.select_option(value)
    else:
        el.fill(value)


def test_every_parameter_has_a_labelled_control(page, emulated):
    open_page(page, emulated.url)
    names = [p["name"] for g in table(emulated.url)["groups"] for p in g["params"]]
    assert len(names) == 27
    for name in names:
        control = page.locator(f"#form [name={name}]")
        expect(control).to_have_count(1)
        label = control.evaluate("e => e.labels.length ? e.labels[0].textContent : ''")
        assert name in label, (name, label)
    legends = page.locator("#groups legend").all_text_contents()
    assert legends == ["Basic", "Leonardo Common", "Image Guidance", "Alchemy", "Prompt Magic",
                       "Enhance Prompt"]
    # Unset is its own choice, distinct from off.
    options = page.locator("[name=tiling] option").all_text_contents()
    assert options[0].startswith("unset") and "off (false)" in options


def test_out_of_range_shows_at_its_field_and_disables_generate(page, emulated):
    open_page(page, emulated.url)
    fill(page, "prompt", "a fox")
    expect(page.get_by_test_id("generate")).to_be_enabled()
    fill(page, "guidance_scale", "99")
    v = page.get_by_test_id("violations").locator("li[data-field=guidance_scale]")
    expect(v).to_contain_text("between 1 and 20")
    expect(page.locator("#e-guidance_scale")).to_contain_text("between 1 and 20")
    expect(page.locator("[name=guidance_scale]")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("generate")).to_be_disabled()
    fill(page, "guidance_scale", "12")
    expect(page.get_by_test_id("violations").locator("li.error")).to_have_count(0)
    expect(page.get_by_test_id("generate")).to_be_enabled()


def test_price_follows_size_and_n_in_all_16_cells(page, emulated):
    open_page(page, emulated.url)
    fill(page, "prompt", "a fox")
    for size, row in PRICES.items():
        fill(page, "size", size)
        for n, credits in enumerate(row, start=1):
            fill(page, "n", str(n))
            expect(page.get_by_test_id("price")).to_have_text(f"price: {credits} credits")
    fill(page, "size", "512x512")
    fill(page, "n", "1")
    expect(page.locator("#hint")).to_contain_text("the same as n=2")
    page.fill("[name=count]", "5")
    expect(page.locator("#plan")).to_contain_text("494 credits in calls of n = 3 + 2")
    # A preset fills what is unset, visibly; an explicit value wins, visibly.
    fill(page, "guidance_scale", "3")
    page.select_option("#f-preset", "max_detail")
    expect(page.locator("#p-num_inference_steps")).to_have_text("preset fills: 45")
    expect(page.locator("#p-guidance_scale")).to_contain_text("wins over the preset's 12")
    expect(page.locator("[name=num_inference_steps]")).to_have_value("")
    expect(page.get_by_test_id("curl")).to_contain_text('"leonardo_guidance_scale":3')


def test_curl_equals_the_clis_dry_run_and_holds_no_key(page, emulated):
    open_page(page, emulated.url)
    for name, value in [("prompt", "it's a fox"), ("size", "768x1024"), ("n", "3"),
                        ("seed", "7"), ("tiling", "true"), ("alchemy", "false"),
                        ("preset_style", "ANIME"), ("contrast_ratio", "0.5")]:
        fill(page, name, value)
    out = subprocess.run(
        [BIN, "generate", "it's a fox", "--size", "768x1024", "-n", "3", "--seed", "7",
         "--tiling", "--alchemy=false", "--preset-style", "ANIME", "--contrast-ratio", "0.5",
         "--dry-run", "--json"],
        capture_output=True, text=True, env=clean_env(), check=True)
    want = json.loads(out.stdout)["calls"][0]["curl"]
    expect(page.get_by_test_id("curl")).to_have_text(want)
    text = page.get_by_test_id("curl").text_content()
    assert "<api-key>" in text and "vxl-emulator-key" not in text
    # The CLI snippet is the same request.
    page.click("#langs button[data-lang=cli]")
    expect(page.locator("#code")).to_contain_text("--contrast-ratio 0.5")


def test_generate_two_then_reload_and_reuse_the_settings(page, emulated):
    open_page(page, emulated.url)
    before = {p.name for p in Path(emulated.out).iterdir()}
    for name, value in [("prompt", "a lighthouse at dusk"), ("size", "512x512"), ("n", "2"),
                        ("seed", "4242"), ("guidance_scale", "9")]:
        fill(page, name, value)
    expect(page.get_by_test_id("generate")).to_be_enabled()
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("status")).to_contain_text("done", timeout=60_000)
    expect(page.get_by_test_id("status")).to_contain_text("EMULATED")
    new = {p.name for p in Path(emulated.out).iterdir()} - before
    images = sorted(n for n in new if not n.endswith(".json"))
    assert len(images) == 2, new
    for img in images:
        assert img + ".json" in new
        meta = json.loads((Path(emulated.out) / (img + ".json")).read_text())
        assert meta["request"]["promptObject"]["leonardo_seed"] == 4242
    record = meta["record_id"]
    cards = page.get_by_test_id("gallery").locator(f"figure[data-record='{record}']")
    expect(cards).to_have_count(2)
    expect(cards.first.locator("img")).to_be_visible()
    cards.first.locator("img").scroll_into_view_if_needed()
    page.wait_for_function("i => i.complete && i.naturalWidth === 512",
                           arg=cards.first.locator("img").element_handle())
    expect(cards.first).to_contain_text(record)
    expect(cards.first).to_contain_text("EMULATED")
    expect(page.get_by_test_id("spent")).to_have_text("234")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    cards = page.get_by_test_id("gallery").locator(f"figure[data-record='{record}']")
    expect(cards).to_have_count(2)
    expect(page.locator("[name=prompt]")).to_have_value("")
    cards.first.get_by_role("button", name="Use these settings").click()
    expect(page.locator("[name=prompt]")).to_have_value("a lighthouse at dusk")
    expect(page.locator("[name=seed]")).to_have_value("4242")
    expect(page.locator("[name=size]")).to_have_value("512x512")
    expect(page.locator("[name=n]")).to_have_value("2")
    expect(page.locator("[name=guidance_scale]")).to_have_value("9")
    expect(page.get_by_test_id("price")).to_have_text("price: 234 credits")
    # Full size on click.
    cards.first.locator("button.thumb").click()
    expect(page.locator("#full-img")).to_be_visible()


def tiny_png():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_an_upload_fills_init_image_id(page, emulated, tmp_path):
    open_page(page, emulated.url)
    f = tmp_path / "init.png"
    f.write_bytes(tiny_png())
    page.set_input_files("#u-init_image_id", str(f))
    expect(page.locator("[name=init_image_id]")).not_to_have_value("", timeout=20_000)
    expect(page.get_by_test_id("status")).to_contain_text("uploaded init.png")


def request(url, method, path, headers, body=None):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheaders(), data


def test_cross_origin_posts_and_foreign_hosts_are_refused(emulated):
    host = urllib.parse.urlparse(emulated.url).netloc
    body = json.dumps({"params": {"prompt": "a fox"}})
    status, headers, _ = request(emulated.url, "POST", "/api/generate",
                                 {"Host": host, "Origin": "http://evil.example",
                                  "Content-Type": "application/json"}, body)
    assert status == 403
    status, _, _ = request(emulated.url, "POST", "/api/check",
                           {"Host": host, "Sec-Fetch-Site": "cross-site",
                            "Content-Type": "application/json"}, body)
    assert status == 403
    status, _, data = request(emulated.url, "GET", "/", {"Host": f"evil.example:{emulated.url.split(':')[-1].strip('/')}"})
    assert status == 403 and b"forbidden_host" in data
    status, headers, _ = request(emulated.url, "GET", "/", {"Host": host})
    assert status == 200
    names = {k.lower() for k, _ in headers}
    assert not any(n.startswith("access-control-") for n in names), "no CORS"
    assert "content-security-policy" in names


def test_the_key_appears_nowhere_the_browser_sees(page, live):
    open_page(page, live.url)
    expect(page.locator("#mode")).to_contain_text("1min.ai")
    fill(page, "prompt", "a fox")
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("status")).to_contain_text("authentication_error", timeout=30_000)
    page.click("#langs button[data-lang=python]")
    seen = "\n".join(page.received) + page.content()
    for lang in ["rust", "node", "c", "cli"]:
        page.click(f"#langs button[data-lang={lang}]")
        seen += page.locator("#code").text_content()
    assert SECRET_KEY not in seen
    assert len(page.received) >= 6
    assert SECRET_KEY not in live.stderr()


def test_off_mode_builds_requests_and_says_how_to_generate(page, tmp_path):
    from conftest import Server
    s = Server("playground", "--port", "0", "--out", str(tmp_path))
    try:
        open_page(page, s.url)
        expect(page.locator("#mode")).to_contain_text("ONEMIN_API_KEY")
        fill(page, "prompt", "a fox")
        expect(page.get_by_test_id("price")).to_have_text("price: 286 credits")
        expect(page.get_by_test_id("generate")).to_be_disabled()
    finally:
        s.stop()


def test_screenshots_at_desktop_and_phone_widths(browser, emulated):
    SCREENS.mkdir(parents=True, exist_ok=True)
    for width, height in [(1280, 900), (375, 812)]:
        ctx = browser.new_context(viewport={"width": width, "height": height})
        pg = ctx.new_page()
        open_page(pg, emulated.url)
        fill(pg, "prompt", "a lighthouse at dusk")
        fill(pg, "guidance_scale", "30")
        expect(pg.get_by_test_id("violations").locator("li[data-field=guidance_scale]")).to_have_count(1)
        expect(pg.get_by_test_id("violations").locator("li")).to_have_count(1)
        img = pg.get_by_test_id("gallery").locator("img").first
        img.scroll_into_view_if_needed()
        pg.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
        pg.evaluate("window.scrollTo(0, 0)")
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{width}px: {overflow}px wider than the window"
        pg.screenshot(path=str(SCREENS / f"playground-{width}.png"), full_page=True)
        ctx.close()


def test_cancel_reaches_the_call_and_the_page_says_it_may_be_charged(page, tmp_path):
    from conftest import Server
    emu = Server("emulator", "--port", "0", "--latency-ms", "4000")
    s = Server("playground", "--port", "0", "--out", str(tmp_path), "--api-key",
               "vxl-emulator-key", "--base-url", emu.url)
    try:
        open_page(page, s.url)
        fill(page, "prompt", "a slow fox")
        page.get_by_test_id("generate").click()
        expect(page.get_by_test_id("status")).to_contain_text("generating")
        expect(page.get_by_test_id("generate")).to_be_disabled()
        page.wait_for_timeout(300)
        page.get_by_role("button", name="Cancel").click()
        status = page.get_by_test_id("status")
        expect(status).to_contain_text("cancelled", timeout=10_000)
        expect(status).to_contain_text("may have been charged")
        expect(page.get_by_test_id("generate")).to_be_enabled()
        assert not list(tmp_path.iterdir()), "nothing saved"
    finally:
        s.stop()
        emu.stop()
