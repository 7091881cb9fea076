"""A site answers in a real browser: Debian's Chromium, headless, driven by Playwright, on a phone's 390-px screen."""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import timedelta
from pathlib import Path

from playwright.async_api import async_playwright

from storage import polls
from tests.handlers.test_polls import answer
from tests.web.conftest import link_in
from tests.web.test_poll_page import MACORNAY, prepared

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# as the machine's own probe starts it: no sandbox as root, and nothing reaching out to the (closed) network
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
# `DOCS_SCREENSHOTS=1 bash scripts/test.sh tests/web/test_browser.py` refreshes the screenshots of docs/
DOCS = Path(__file__).resolve().parents[2] / "docs" / "images"


def screenshots(tmp_path: Path) -> Path:
    """Where the pages' screenshots go: docs/ when asked, else the test's own directory."""
    shots = DOCS if os.environ.get("DOCS_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@contextlib.asynccontextmanager
async def chromium():
    """The system's Chromium, headless, closed whatever the test does."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


async def phone(browser):
    """A page as on a phone, without JavaScript: the pages must work without it."""
    return await browser.new_page(viewport=PHONE, device_scale_factor=2, locale="fr-FR", java_script_enabled=False)


@contextlib.asynccontextmanager
async def site_on_phone(web, mailbox):
    """A poll sent, and the Cabinet de Macornay's secretary opening the link of its e-mail on a phone: (the
    browser, the page, the link)."""
    await prepared(web)
    link = link_in(mailbox.to(MACORNAY)[0])
    async with chromium() as browser:
        page = await phone(browser)
        await page.goto(link)
        yield browser, page, link


async def test_a_site_answers_on_a_phone_changes_its_mind_and_a_stranger_gets_nothing(web, mailbox, tmp_path):
    shots = screenshots(tmp_path)
    async with site_on_phone(web, mailbox) as (browser, page, link):
        assert "Cabinet de Macornay" in await page.locator("h1").inner_text()
        # one column: nothing wider than the phone, no sideways scrolling
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await page.screenshot(path=shots / "lien-sondage.png", full_page=True)
        slots = page.locator("fieldset")
        assert await slots.count() == 4
        # keyboard only, as some answer: the first slot's "Oui" reached with Tab and checked with Space
        await slots.nth(0).get_by_label("Oui", exact=True).focus()
        await page.keyboard.press("Space")
        await slots.nth(1).get_by_label("Si besoin").check()
        await slots.nth(2).get_by_label("Non", exact=True).check()
        await page.get_by_label("Votre nom").fill("Sophie Lambert")
        await page.get_by_label("Un commentaire pour l'équipe").fill("Le mardi matin nous arrange.")
        await page.get_by_role("button", name="Envoyer mes réponses").click()
        assert "Merci, c'est enregistré" in await page.locator("h1").inner_text()
        assert "mar. 5 janv. (journée) : Oui" in await page.locator("main").inner_text()
        await page.screenshot(path=shots / "lien-sondage-merci.png", full_page=True)

        await page.goto(link)  # changes its mind
        assert await slots.nth(0).get_by_label("Oui", exact=True).is_checked()
        await slots.nth(0).get_by_label("Non", exact=True).check()
        await page.get_by_role("button", name="Envoyer mes réponses").click()
        assert "mar. 5 janv. (journée) : Non" in await page.locator("main").inner_text()

        stranger = await browser.new_page(viewport=PHONE)
        await stranger.goto(link.rsplit("/", 1)[0] + "/" + "Q" * 22)
        assert "Lien non valable" in await stranger.locator("h1").inner_text()
        assert "Macornay" not in await stranger.content()
        await stranger.screenshot(path=shots / "lien-non-valable.png")
    await web.advance(timedelta(minutes=1))
    assert "Cabinet de Macornay : Sophie Lambert (lien web)" in "\n".join(web.texts())
    mine = {slot: a.answer for (slot, site), a in (await polls.answers(web.db, 1)).items() if site == 4}
    assert sorted(mine.values()) == ["non", "non", "si_besoin"]
    assert all((shots / n).stat().st_size > 5000 for n in ("lien-sondage.png", "lien-sondage-merci.png"))


async def test_a_site_that_can_no_longer_host_its_visit_confirms_it_first(web, mailbox, tmp_path):
    """A tap on "we can no longer host" asks first: going back changes nothing; confirming alerts the team once."""
    shots = screenshots(tmp_path)
    async with site_on_phone(web, mailbox) as (browser, page, link):
        await page.locator("fieldset").nth(0).get_by_label("Oui", exact=True).check()
        await page.get_by_label("Votre nom").fill("Sophie Lambert")
        await page.get_by_role("button", name="Envoyer mes réponses").click()
        await answer(web, "alice", "5/01", "o")
        await web.press("cpts1", "Clore maintenant")
        await web.press("cpts1", "Confirmer")
        await web.advance(timedelta(seconds=5))

        await page.goto(link)
        await page.get_by_role("button", name="Nous ne pouvons plus recevoir la visite").click()
        assert "Ne plus recevoir la visite\u00a0?" in await page.locator("h1").inner_text()
        assert "mardi 5 janvier 2027" in await page.locator("main").inner_text()
        await page.screenshot(path=shots / "lien-visite-annuler.png", full_page=True)
        await page.get_by_role("link", name="Non, nous la recevons").click()  # back: nothing changed
        assert "Visite confirmée" in await page.locator("main").inner_text()
        assert "ne peut plus recevoir" not in "\n".join(web.texts())

        await page.get_by_role("button", name="Nous ne pouvons plus recevoir la visite").click()
        await page.get_by_role("button", name="Oui, nous ne pouvons plus la recevoir").click()
        assert "C'est noté" in await page.locator("h1").inner_text()
        await web.advance(timedelta(seconds=5))  # the alert goes once the page has answered
        await page.goto(link)
        assert "Vous avez indiqué ne plus pouvoir recevoir cette visite" in await page.locator("main").inner_text()
        assert await page.get_by_role("button").count() == 0
    assert "\n".join(web.texts()).count("ne peut plus recevoir la visite") == 1
    assert [cancelled for site, *_, cancelled in await polls.stops(web.db, 1) if site == 4] == [True]
