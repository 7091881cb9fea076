"""The pages of a personal link: a site's poll (answer, change it, can no longer host) and its visit's .ics.

The same rules and storage as a Telegram answer (storage.polls, handlers.polls): the site's last answer wins,
the relances stop, the group's tally and the site's Telegram messages show it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from telegram.ext import Application

from delivery import engine
from domain.dates import PARIS, format_date, format_datetime, format_time
from domain.forms import too_long, unprintable
from domain.polls import Stop, StopSite, ics, slot_label
from domain.weblinks import TOKEN_SHAPE, form_key_valid, sign_form, token_hash
from handlers import croisement
from handlers.polls import (
    COMMENT_LENGTH,
    answered_by_link,
    note_cannot_host,
    relance_keys,
    tally_due_after_crash,
    told_sites,
)
from storage import polls, weblinks
from web.pages import SECURITY_HEADERS, Limits, client_of, form_secret, page, read_body, refused

NAME_LENGTH = 100
SEEN_EVERY = timedelta(minutes=10)
# the pages say it in words and colours (web/static/style.css), not with emoji an old phone may not draw
CHOICES = {"oui": "Oui", "si_besoin": "Si besoin", "non": "Non"}


def call(ptb: Application) -> str:
    """Whom to call, with the team's number when it is set (TEAM_PHONE)."""
    phone = engine.services_of(ptb).settings.team_phone
    phone = phone and phone.replace(" ", "\u00a0")  # a number read on a phone is not cut across two lines
    return ("Pour toute question, appelez la CPTS du Grand Lons ou le CLS du Pays Lédonien"
            + (f" au {phone}." if phone else "."))


@dataclass
class Opened:
    """A link opened by a valid token, with what its page shows (for an élu's link: the message they received)."""
    page: polls.LinkPage
    token: str
    now: datetime
    message: str | None = None

    @property
    def link(self) -> weblinks.Link:
        return self.page.link

    @property
    def poll(self) -> polls.Poll:
        return self.page.poll

    @property
    def site(self):
        return self.page.site


async def _open(request: Request, ptb: Application, limits: Limits, purposes: tuple[str, ...] = ("sondage",),
                form_key: str | None = None) -> Opened | Response:
    token = request.path_params["token"]
    address = client_of(request)
    services = engine.services_of(ptb)
    if not limits.per_token.allow(token_hash(token)[:16]):
        return refused(429, "Trop de demandes", "Ce lien a été ouvert trop souvent en une minute : patientez un peu.")
    found = None
    if TOKEN_SHAPE.fullmatch(token):
        found = await polls.link_page(services.db, token_hash(token),
                                      form_hash=token_hash(form_key) if form_key else None)
    link = found.link if found else None
    now = services.clock.now()
    usable = (link is not None and link.revoked_at is None and link.purpose in purposes
              and (link.expires_at is None or datetime.fromisoformat(link.expires_at) > now))
    if usable and link.purpose == "elus":
        text = await croisement.elu_message(services.db, link.notice_id, link.elu_id)
        if text is not None:
            if request.method != "HEAD":
                await weblinks.seen(services.db, link.id, services.clock.utc_iso())
            return Opened(found, token, now, text)
    if not usable or found.poll is None or found.poll.state in ("draft", "dropped"):
        if not limits.unknown_tokens.allow(address):
            return refused(429, "Trop de demandes", "Trop de liens non valables depuis votre adresse : réessayez plus tard.")
        # one page for every token that opens nothing: wrong, expired or revoked look alike
        return refused(404, "Lien non valable", "Ce lien n'est pas ou plus valable. " + call(ptb))
    # a HEAD is a mail client or a scanner checking the link, not someone who opened it
    if request.method != "HEAD" and (link.last_seen_at is None
                                     or now - datetime.fromisoformat(link.last_seen_at) > SEEN_EVERY):
        await weblinks.seen(services.db, link.id, services.clock.utc_iso())  # for /lien; not a write per page
    return Opened(found, token, now)


async def show(request: Request, ptb: Application, limits: Limits) -> Response:
    """GET /r/<token>: the poll as this site sees it, with its answers so far; or the message an élu received."""
    opened = await _open(request, ptb, limits, purposes=("sondage", "elus"))
    if isinstance(opened, Response):
        return opened
    if opened.link.purpose == "elus":
        return page("elus.html", title="Information des élus", paragraphs=opened.message.split("\n"), call=call(ptb))
    return await _poll_page(ptb, opened)


async def _poll_page(ptb: Application, opened: Opened, *, error: str | None = None, status: int = 200,
                     typed: dict | None = None) -> Response:
    poll, site, mine, ps = opened.poll, opened.site, opened.page.answers, opened.page.poll_site
    last = max(mine.values(), key=lambda a: a.at) if mine else None
    form_key = None
    if poll.state in ("open", "planned"):
        form_key = sign_form(await form_secret(ptb), opened.link.id)
    typed = typed or {}
    description = await told_sites(engine.services_of(ptb).db, poll)
    return page("poll.html", status, site=site, poll=poll, error=error, form_key=form_key, call=call(ptb),
                description=description, deadline=format_datetime(_local(poll.deadline)),
                slots=[{"id": s.id, "label": slot_label(s.day, s.part),
                        "answer": typed.get(s.id) or (mine[s.id].answer if s.id in mine else None)}
                       for s in opened.page.slots],
                choices=CHOICES, name=typed.get("name", last.by_name if last and last.channel == "web" else ""),
                comment=typed.get("comment", ps.comment if ps and ps.comment else ""),
                stop=_stop_of(opened.page), cancelled=bool(ps and ps.cancelled),
                ics_url=f"/r/{opened.token}/visite.ics")


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(PARIS)


def _stop_of(found: polls.LinkPage) -> dict | None:
    """The site's time on the confirmed visit day, if there is one."""
    if found.stop is None:
        return None
    start, end = _local(found.stop[0]), _local(found.stop[1])
    return {"day": format_date(start), "starts": format_time(start), "ends": format_time(end)}


async def submit(request: Request, ptb: Application, limits: Limits) -> Response:
    """POST /r/<token>: the site's answers (or "we can no longer host the visit"), checked, then kept."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":  # what the page's form sends, and nothing else
        return refused(415, "Envoi illisible", "Cet envoi n'a pas pu être lu : rien n'a été enregistré.")
    body = await read_body(request)
    if body is None:
        return refused(413, "Réponse trop longue", "Votre envoi est trop long : rien n'a été enregistré. Raccourcissez "
                                                   "le commentaire et réessayez.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return refused(400, "Envoi illisible", "Cet envoi n'a pas pu être lu : rien n'a été enregistré.")
    one = {k: v[0] for k, v in fields.items() if len(v) == 1}
    if len(one) != len(fields):  # a field sent twice: not our form
        return refused(400, "Envoi illisible", "Cet envoi n'a pas pu être lu : rien n'a été enregistré.")
    form_key = one.get("formulaire", "")
    opened = await _open(request, ptb, limits, form_key=form_key)
    if isinstance(opened, Response):
        return opened
    if not form_key_valid(await form_secret(ptb), opened.link.id, form_key):
        return refused(403, "Formulaire non valable", "Ce formulaire ne vient pas de cette page : rien n'a été "
                                                      "enregistré. Rouvrez le lien reçu par e-mail.")
    if opened.page.form_used:
        return await _poll_page(ptb, opened, status=409, error="Ce formulaire a déjà été envoyé : rien n'a été changé. "
                                                                "Voici vos réponses telles qu'enregistrées.")
    action = one.get("action")
    if action in ("annuler", "annuler_confirme"):  # asked, then confirmed on a page of its own
        return await _cannot_host(request, ptb, opened, form_key, confirmed=action == "annuler_confirme")
    return await _answers(request, ptb, opened, one, form_key)


async def _answers(request: Request, ptb: Application, opened: Opened, fields: dict[str, str], form_key: str) -> Response:
    services = engine.services_of(ptb)
    poll, site = opened.poll, opened.site
    if poll.state != "open":
        return await _poll_page(ptb, opened, status=409, error="Ce sondage est clos : vos réponses ne peuvent plus "
                                                                "changer. " + call(ptb))
    slot_ids = {s.id for s in opened.page.slots}
    values: dict[int, str] = {}
    for key, value in fields.items():
        if key in ("formulaire", "nom", "commentaire", "action"):
            continue
        slot = int(key[1:]) if key.startswith("c") and key[1:].isdigit() else None
        if slot not in slot_ids or value not in CHOICES:  # a slot of another poll, or not one of the three answers
            return refused(400, "Réponse non valable", "Cette réponse ne correspond pas à ce sondage : rien n'a été "
                                                       "enregistré. Rouvrez le lien reçu par e-mail.")
        values[slot] = value
    name = " ".join(fields.get("nom", "").split())
    comment = fields.get("commentaire", "").strip()
    typed = {**values, "name": name, "comment": comment}
    problem = (too_long("votre nom", name, NAME_LENGTH) or too_long("un commentaire", comment,
                                                                       COMMENT_LENGTH)
               or unprintable("Votre nom", name, single_line=True, name=bool(name))
               or unprintable("Le commentaire", comment)
               or ("Indiquez votre nom, pour que l'équipe sache qui a répondu : rien n'a été enregistré."
                   if not name else None)
               or ("Choisissez une réponse pour au moins un créneau : rien n'a été enregistré." if not values else None))
    if problem:  # each says that nothing was kept
        return await _poll_page(ptb, opened, status=422, error=problem, typed=typed)
    kept = await polls.answer_by_link(services.db, poll.id, site.id, values, comment=comment, name=name,
                                      link_id=opened.link.id, form_hash=token_hash(form_key),
                                      at=services.clock.utc_iso(), tally_due_at=tally_due_after_crash(services),
                                      cancel_reminders=relance_keys(poll.id, site.id))
    if not kept:  # the same form, sent twice at once
        return await _poll_page(ptb, opened, status=409, error="Ce formulaire a déjà été envoyé : rien n'a été changé.")
    # the tally and the site's Telegram messages, once the site has stopped changing its mind
    request.app.state.follow_ups.run(("sondage", poll.id, site.id),
                                     lambda: answered_by_link(ptb, poll, site.id))
    answers = await polls.site_answers(services.db, poll.id, site.id)  # as recorded
    return page("thanks.html", site=site, name=name, comment=comment, deadline=format_datetime(_local(poll.deadline)),
                answers=[(slot_label(s.day, s.part), CHOICES[answers[s.id].answer], answers[s.id].answer)
                         for s in opened.page.slots if s.id in answers])


async def _cannot_host(request: Request, ptb: Application, opened: Opened, form_key: str, *,
                       confirmed: bool) -> Response:
    """The site can no longer host its visit: a page asks to confirm it first (a tap on a phone cancels nothing),
    with the same form key, which only the confirmation uses up."""
    services = engine.services_of(ptb)
    poll, site = opened.poll, opened.site
    stop = _stop_of(opened.page)
    if opened.page.poll_site and opened.page.poll_site.cancelled:
        return await _poll_page(ptb, opened, status=409, error="C'est déjà noté : l'équipe est prévenue.")
    if poll.state != "planned" or stop is None:
        return await _poll_page(ptb, opened, status=409, error="Aucune visite n'est confirmée pour votre lieu : rien "
                                                                "à annuler.")
    if not confirmed:
        return page("cancel.html", site=site, stop=stop, form_key=form_key, back_url=f"/r/{opened.token}")
    # the form is used up like any other, then the visit is cancelled for this site
    if not await weblinks.use_form(services.db, opened.link.id, token_hash(form_key), at=services.clock.utc_iso()):
        return await _poll_page(ptb, opened, status=409, error="Ce formulaire a déjà été envoyé : rien n'a été changé.")
    alert = await note_cannot_host(ptb, poll, site.id, by=0, how=" (indiqué par le lien web)")
    if alert is None:  # confirmed twice at once
        return await _poll_page(ptb, opened, status=409, error="C'est déjà noté : l'équipe est prévenue.")
    # the team's alert waits in the database: sent after the page has answered, at Telegram's pace
    request.app.state.follow_ups.run(("annulation", poll.id, site.id), lambda: engine.deliver_now(ptb, alert))
    return page("message.html", title="C'est noté", text="Vous avez indiqué ne plus pouvoir recevoir cette visite. "
                                                         "L'équipe est prévenue, merci. " + call(ptb))


async def calendar(request: Request, ptb: Application, limits: Limits) -> Response:
    """GET /r/<token>/visite.ics: the site's visit, for its agenda."""
    opened = await _open(request, ptb, limits)
    if isinstance(opened, Response):
        return opened
    poll, site = opened.poll, opened.site
    if opened.page.stop is not None:
        starts, ends = opened.page.stop
        stop = Stop(StopSite(site.id, site.name, site.commune, site.epci), _local(starts), _local(ends))
        return Response(ics([stop], candidate_id=poll.candidate_id, what="professionnel·le de santé"),
                        media_type="text/calendar; charset=utf-8",
                        headers={**SECURITY_HEADERS, "content-disposition": 'attachment; filename="visite.ics"'})
    return refused(404, "Pas de visite prévue", "Aucune visite n'est confirmée pour votre lieu. " + call(ptb))
