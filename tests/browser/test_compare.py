"""The playground's Compare view in headless chromium, through its DOM contract: data-testid
compare, sweep-cells, sweep-price, sweep-violations, sweep-run, sweep-sheet, sweep-cell."""

import re

from playwright.sync_api import expect

from conftest import SCREENS, Server, open_page


def fill(page, name, value):
    el = page.locator(f"#form [name={name}]")
    if el.evaluate("e => e.tagName") == "SELECT":
        el.select_option(value)
    else:
        el.fill(value)


def number(text):
    return int(re.search(r"(\d+) credits", text).group(1))


def axis(page, i):
    row = page.locator("#axes .axis").nth(i)
    return row.locator("[data-axis=name]"), row.locator("[data-axis=values]")


def test_a_2x2_sweep_is_priced_checked_run_and_its_sheet_links_every_cell(page, tmp_path):
    # Its own server: the shared one's spent counter belongs to test_playground.py.
    s = Server("playground", "--emulator", "--port", "0", "--out", str(tmp_path))
    try:
        run_2x2(page, s)
    finally:
        s.stop()


def run_2x2(page, emulated):
    open_page(page, emulated.url)
    before = page.get_by_test_id("price").text_content()
    fill(page, "prompt", "a lighthouse at dusk")
    fill(page, "size", "1024x768")
    expect(page.get_by_test_id("price")).not_to_have_text(before)
    call = number(page.get_by_test_id("price").text_content())

    page.get_by_role("tab", name="Compare").click()
    view = page.get_by_test_id("compare")
    expect(view).to_be_visible()
    name, values = axis(page, 0)
    name.select_option("guidance_scale")
    values.fill("7,12")
    page.get_by_role("button", name="Add an axis").click()
    name, values = axis(page, 1)
    name.select_option("num_inference_steps")
    values.fill("20..40:20")
    expect(page.get_by_test_id("sweep-cells")).to_have_text("2 × 2 = 4 cells")
    expect(page.get_by_test_id("sweep-price")).to_have_text(f"price: {4 * call} credits")
    expect(page.get_by_test_id("sweep-run")).to_be_enabled()

    # An invalid value: the violation names its value, Run is disabled; fixing it re-enables.
    values.fill("20,99")
    bad = page.get_by_test_id("sweep-violations").locator("li.error")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("num_inference_steps=99")
    expect(page.get_by_test_id("sweep-run")).to_be_disabled()
    values.fill("20,40")
    expect(bad).to_have_count(0)

    assert page.get_by_test_id("spent").text_content() == "0"
    page.get_by_test_id("sweep-run").click()
    expect(page.locator("#sweep-status")).to_contain_text("done: 4 cells (0 failed)", timeout=60_000)
    sheet = page.get_by_test_id("sweep-sheet")
    expect(sheet).to_be_visible()
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=sheet.element_handle())
    links = page.get_by_test_id("sweep-cell")
    expect(links).to_have_count(4)
    for i in range(4):
        href = links.nth(i).get_attribute("href")
        r = page.request.get(emulated.url.rstrip("/") + href)
        assert r.status == 200 and r.headers["content-type"].startswith("image/"), href
    expect(page.get_by_test_id("spent")).to_have_text(str(4 * call))

    SCREENS.mkdir(parents=True, exist_ok=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px wider than the window"
    page.screenshot(path=str(SCREENS / "compare-1280.png"), full_page=True)


def test_the_sweep_cap_is_a_violation_and_run_stays_off(page, emulated):
    open_page(page, emulated.url)
    fill(page, "prompt", "a fox")
    page.get_by_role("tab", name="Compare").click()
    name, values = axis(page, 0)
    name.select_option("seed")
    values.fill("1..65")
    bad = page.get_by_test_id("sweep-violations").locator("li[data-field=max_cells]")
    expect(bad).to_contain_text("65 cells")
    expect(page.get_by_test_id("sweep-run")).to_be_disabled()
    # A phone: nothing wider than the window, the checks still in reach.
    page.set_viewport_size({"width": 375, "height": 812})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"375px: {overflow}px wider than the window"
    expect(page.get_by_test_id("sweep-violations")).to_be_in_viewport()
