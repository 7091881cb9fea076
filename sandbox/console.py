"""The console sandbox: talk to the real bot in a terminal, with no token and no network.

Lines starting with ':' are directives, anything else is a message from the current person in the current chat:
  :as NOM          speak as NOM (cls, cpts1, cpts2, admin, or any other name: someone outside the team)
  :in equipe|prive the team group, or NOM's private chat with the bot
  :press TEXTE     press the button whose label contains TEXTE on the latest message with buttons
  :lien            open, in private, the latest invitation link the bot gave (as a site's contact or an élu)
  :advance DURÉE   move the clock ("2 jours", "3 mois", "1h30") and let what falls due happen
  :web oui non … | NOM   answer, as the site whose e-mail came last, from its personal link (one answer per slot)
  :quit            leave
E-mails the bot sends go to a real SMTP server on loopback (sandbox.mailbox) and are shown; the personal links'
pages are served on localhost while the console runs.
When standard input is not a terminal, the lines are read as a script and the transcript is printed.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

import httpx
from dateutil.relativedelta import relativedelta

from domain.dates import PARIS, format_datetime, normalise
from handlers.mail import send_due
from sandbox.fakeapi import Sent
from sandbox.mailbox import Mailbox, link_in, text_of
from sandbox.sandbox import FULL_NAMES, TEAM, Sandbox

WEB_ANSWERS = ("oui", "si_besoin", "non")
MASKED_LINK = "https://bot.exemple.fr/r/…"


def page_text(html_text: str) -> list[str]:
    """A page's main text, line by line, as a person reads it."""
    main = re.search(r"<main>(.*)</main>", html_text, re.S)
    body = re.sub(r"<li>", "• ", main.group(1) if main else html_text)
    body = re.sub(r"<br\s*/?>|</(p|h1|h2|li|legend)>", "\n", body)
    lines = (html.unescape(re.sub(r"<[^>]+>", "", line)).strip() for line in body.split("\n"))
    return [line for line in lines if line]

DIRECTIVES = ":as NOM · :in equipe|prive · :press TEXTE · :lien · :advance DURÉE · :web oui non … | NOM · :quit"
INVITATION = re.compile(r"\?start=([A-Za-z0-9_-]+)")
_UNITS = {"s": "seconds", "sec": "seconds", "seconde": "seconds", "secondes": "seconds", "min": "minutes", "minute": "minutes", "minutes": "minutes", "h": "hours", "heure": "hours",
          "heures": "hours", "j": "days", "jour": "days", "jours": "days", "sem": "weeks", "semaine": "weeks",
          "semaines": "weeks", "mois": "months", "an": "years", "ans": "years"}


def parse_duration(text: str, now: datetime) -> timedelta:
    """'2 jours', '3 mois', '1h30', '1 semaine 2 jours' as a duration from ``now``."""
    text = normalise(text)
    parts = re.findall(r"(\d+)\s*(minutes?|min|secondes?|sec|s|heures?|h|jours?|j|semaines?|sem|mois|ans?)\s*(\d{2})?", text)
    if not parts or re.sub(r"(\d+)\s*(minutes?|min|secondes?|sec|s|heures?|h|jours?|j|semaines?|sem|mois|ans?)\s*(\d{2})?|\s", "", text):
        raise ValueError(text)
    delta = relativedelta()
    for number, unit, extra_minutes in parts:
        delta += relativedelta(**{_UNITS[unit]: int(number)})
        if extra_minutes:
            delta += relativedelta(minutes=int(extra_minutes))
    return (now + delta) - now


class Console:
    def __init__(self, sandbox: Sandbox, out: TextIO):
        self.sb = sandbox
        self.out = out
        self.who = "cls"
        self.where = "equipe"
        self._texts: dict[tuple[int, int], str] = {}

    def chat_label(self, chat_id: int) -> str:
        if chat_id == self.sb.settings.team_chat_id:
            return "équipe"
        for person in self.sb.people.values():
            if person.user_id == chat_id:
                return f"privé {person.key}"
        return str(chat_id)

    def prompt(self) -> str:
        return f"{self.who}@{'équipe' if self.where == 'equipe' else 'privé'}> "

    def print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def show(self, sent: list[Sent]) -> None:
        for s in sent:
            where = f"[{self.chat_label(s.chat_id)}]"
            if s.kind == "toast":
                self.print(f"  🔔 {'⚠️ ' if s.alert else ''}{s.text}")
                continue
            if s.kind == "delete":
                self.print(f"{where} (message supprimé)")
                continue
            if s.kind in ("document", "photo"):
                self.print(f"{where} 📎 {s.file_name} ({len(s.file_data or b'')} octets)" + (f" — {s.text}" if s.text else ""))
                continue
            key = (s.chat_id, s.message_id)
            previous = self._texts.get(key)
            self._texts[key] = s.text
            if s.kind == "edit":
                if previous == s.text:
                    self.print(f"{where} ✏️ (boutons mis à jour)" if s.buttons else f"{where} ✏️ (boutons retirés)")
                    self._buttons(s)
                    continue
                if previous and s.text.startswith(previous):
                    self.print(f"{where} ✏️ {s.text[len(previous):].strip()}")
                    self._buttons(s)
                    continue
                self.print(f"{where} ✏️ message modifié :")
            else:
                self.print(f"{where} 🤖")
            for line in s.text.split("\n"):
                self.print(f"  {line}" if line else "")
            self._buttons(s)
            if s.force_reply:
                self.print("  (↩️ réponse attendue)")

    def _buttons(self, s: Sent) -> None:
        for row in s.buttons:
            self.print("  " + " ".join(f"[ {b['text']} ]" for b in row))

    async def show_mail(self) -> None:
        """The e-mails that are due leave now (as the engine would send them at once) and are shown."""
        if self.sb.mailbox is None:
            return
        await send_due(self.sb.app, self.sb.clock.now())
        for mail in self.sb.mailbox.new():
            self.print(f"[e-mail à {mail['To']}] 📧 {mail['Subject']}")
            for line in text_of(mail).rstrip().splitlines():
                self.print(f"  {line}" if line else "")

    async def answer_by_link(self, arg: str) -> None:
        """:web oui non si_besoin | NOM: the last e-mailed site answers from its link, one answer per slot."""
        links = [link_in(m) for m in (self.sb.mailbox.received if self.sb.mailbox else []) if link_in(m)]
        values, _, name = arg.partition("|")
        values = values.split()
        if not links or not values or any(v not in WEB_ANSWERS for v in values):
            self.print("(:web attend un e-mail avec un lien, puis une réponse par créneau : oui, si_besoin ou non, "
                       "et « | Nom » ; par exemple « :web oui non | Nadia Roux »)")
            return
        async with httpx.AsyncClient() as client:
            opened = await client.get(links[-1])
            page = opened.text
            slots = list(dict.fromkeys(re.findall(r'name="(c\d+)"', page)))
            form = re.search(r'name="formulaire" value="([^"]+)"', page)
            if not slots or form is None:  # a closed poll, a revoked link: the page has nothing to answer
                self.print(f"[page web {MASKED_LINK}] 🌐 page ouverte ({opened.status_code}), sans réponse possible")
                for line in page_text(page):
                    self.print(f"  {line}")
                return
            data = {"formulaire": form.group(1), "nom": name.strip(), **dict(zip(slots, values, strict=False))}
            answered = await client.post(links[-1], data=data)
        await self.sb.web.settle()
        self.print(f"[page web {MASKED_LINK}] 🌐 réponse envoyée ({answered.status_code})")
        for line in page_text(answered.text):
            self.print(f"  {line}")
        self.show(self.sb.new_output())

    async def play(self, line: str) -> bool:
        """A line of a script: shown after the prompt as if typed, then run; comments (#) are skipped."""
        if line.lstrip().startswith("#"):
            return True
        if line.strip():
            self.print(f"{self.prompt()}{line.rstrip()}")
        return await self.handle(line)

    async def handle(self, line: str) -> bool:
        """Run one line; False when the session should end."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith(":"):
            self.show(await self.sb.say(self.who, line, self.where))
            await self.show_mail()
            return True
        directive, _, arg = line.partition(" ")
        arg = arg.strip()
        if directive == ":quit":
            return False
        if directive == ":as" and arg:
            self.who = arg
            person = self.sb.person(arg)
            name = FULL_NAMES.get(person.key, person.first_name)
            que = "qu'" if normalise(name[:1]) in "aeiouyh" else "que "
            self.print(f"(vous parlez en tant {que}{name}"
                       f"{'' if person.role else ', hors équipe'})")
        elif directive == ":in" and arg in ("equipe", "équipe", "prive", "privé"):
            self.where = "equipe" if arg.startswith("e") or arg.startswith("é") else "prive"
        elif directive == ":web":
            await self.answer_by_link(arg)
        elif directive == ":press" and arg:
            try:
                self.show(await self.sb.press(self.who, arg, self.where, scroll_up=True))
                await self.show_mail()
            except LookupError:
                self.print(f"(aucun bouton « {arg} » dans cette discussion)")
        elif directive == ":lien":
            # the current person opens the latest invitation link the bot gave (a site's contact, an élu)
            found = [m.group(1) for s in self.sb.api.log for m in [INVITATION.search(s.text or "")] if m]
            if not found:
                self.print("(aucun lien d'invitation donné par le bot pour l'instant)")
                return True
            self.where = "prive"
            self.show(await self.sb.say(self.who, f"/start {found[-1]}", "prive"))
        elif directive == ":advance" and arg:
            try:
                delta = parse_duration(arg, self.sb.clock.now())
            except ValueError:
                self.print("(durée non comprise : par exemple « 2 jours », « 3 mois », « 1h30 »)")
                return True
            self.show(await self.sb.advance(delta))
            await self.show_mail()
            self.print(f"(il est maintenant {format_datetime(self.sb.clock.now())})")
        else:
            self.print(f"(directive inconnue — {DIRECTIVES})")
        return True


NOTHING_TO_PLAY = ("Rien à jouer : la console lit ce que vous tapez, ou un script sur son entrée. Par exemple :\n"
                   "  bash scripts/console.sh                      (puis tapez /aide)\n"
                   "  echo /aide | bash scripts/console.sh\n"
                   "  bash scripts/console.sh < docs/scenarios/01-candidat.txt")


async def run(db_path: Path, start: datetime | None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    interactive = stdin.isatty()
    mailbox = Mailbox().start()
    try:
        async with Sandbox(db_path, start=start, web=True, mailbox=mailbox) as sandbox:
            return await _session(sandbox, db_path, stdin, out, interactive)
    finally:
        mailbox.stop()


async def _session(sandbox: Sandbox, db_path: Path, stdin: TextIO, out: TextIO, interactive: bool) -> int:
    console = Console(sandbox, out)
    if interactive:
        team = ", ".join(f"{key} ({FULL_NAMES[key]})" for key in TEAM)
        console.print(f"Bac à sable — aucun jeton, aucun réseau. Base : {db_path}")
        console.print(f"Équipe : {team}. Il est {format_datetime(sandbox.clock.now())}.")
        console.print(f"Les e-mails du bot s'affichent ici ; les pages des liens personnels sont servies sur "
                      f"{sandbox.web_url} (ouvrez les liens des e-mails dans un navigateur).")
        console.print(f"Directives : {DIRECTIVES}. Commencez par /aide.")
    played = 0
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, console.prompt())
            except EOFError:
                break
        else:
            line = stdin.readline()
            if not line:
                if not played:
                    print(NOTHING_TO_PLAY, file=sys.stderr)
                    return 1
                break
            played += 1
            if not await console.play(line):
                break
            continue
        if not await console.handle(line):
            break
    return 0


def parse_start(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)
