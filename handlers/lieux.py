"""Step C: the practice sites (lieux d'exercice) — list, card, guided creation, corrections, invitation links,
and the spreadsheet the team keeps today, in (checked row by row, all or nothing) and out.

Card buttons: ``s:<site id>:<action>[:<n>]``, checked before anything is done.
"""

from __future__ import annotations

import difflib
import re
import secrets
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

from telegram import InputFile, Update

from delivery import engine
from domain.candidates import PROFESSIONS
from domain.dates import format_date, normalise
from domain.forms import InvalidAnswer
from domain.matching import SITE_TYPES
from domain.sites import COLUMNS, CORRECTABLE, SITE_FORM, card, display_value, export_row, list_line, parse_sites
from domain.spreadsheets import UnreadableFile, read_table, write_csv, write_xlsx
from domain.territory import EPCI_LABELS, epci_key, name_key
from handlers.common import audit, edit_markup, edit_text, esc, keyboard, pressed_card, reply, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, Wait, begin, state_of
from handlers.dossiers import numbered, show_numbered
from handlers.wiring import Provides, Welcome
from storage import dialogs, sites, territory
from storage.dialogs import Dialog

INVITATION_DAYS = 14


async def find_commune(context: BotContext, text: str) -> territory.Commune:
    """The commune a user typed (accents, case and hyphens ignored), or InvalidAnswer with suggestions."""
    key = name_key(text)
    found = await territory.commune_by_key(context.db, key)
    if found is not None:
        return found
    known = {c.name_key: c.name for c in await territory.communes(context.db)}
    close = [known[k] for k in difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)]
    hint = f" Vouliez-vous dire : {', '.join(close)} ?" if close else ""
    raise InvalidAnswer(f"Je ne connais pas la commune « {text} ».{hint} Une commune manquante s'ajoute avec "
                        f"/commune_ajouter Nom ; EPCI.")


async def check_site_answer(context: BotContext, dialog: Dialog, question, value):
    if question.key == "commune":
        return (await find_commune(context, value)).name
    if question.key == "contact_telegram":
        handle = re.sub(r"^(?:https?://)?t\.me/", "", value.strip()).lstrip("@")
        if not re.fullmatch(r"[A-Za-z0-9_]{4,32}", handle):
            raise InvalidAnswer("Un identifiant Telegram s'écrit @ suivi de 4 à 32 lettres, chiffres ou _.")
        return f"@{handle}"
    return value


# --- /lieu_nouveau --------------------------------------------------------------------------------------

async def _new_header(context: BotContext, dialog: Dialog) -> str:
    return "🏥 <b>Nouveau lieu d'exercice</b>"


async def _columns(context: BotContext, values: dict) -> dict:
    out = {k: v for k, v in values.items() if k != "commune"}
    if "commune" in values:
        out["commune_id"] = (await find_commune(context, values["commune"])).id
    for key in ("professions_present", "professions_sought", "modes"):
        if key in out or key == "professions_present":
            out[key] = out.get(key) or []  # a skipped list is an empty one
    for key in ("pluripro", "premises_available"):
        if key in out:
            out[key] = bool(out[key])
    return out


async def _create(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    values = await _columns(context, {q.key: answers.values.get(q.key) for q in SITE_FORM.applicable(answers.values)})
    [site_id] = await sites.create_many(context.db, [values], by=context.actor.user_id, at=context.now_iso())
    await send_site_card(context, dialog.chat_id, site_id, intro=f"✅ Lieu n° {site_id} enregistré.")


LIEU_FLOW = Flow(name="lieu", form=lambda d: SITE_FORM, complete=_create, header=_new_header, check=check_site_answer)


async def new_site(update: Update, context: BotContext) -> None:
    """/lieu_nouveau: add a practice site through a guided exchange."""
    await begin(update, context, "lieu", intro="Enregistrons un lieu d'exercice. /annuler pour abandonner.")


# --- corrections from the card ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteCorrection:
    """What a correction is about: one field (``field``) of one practice site (``site``)."""

    field: str
    site: int

    @staticmethod
    async def header(context: BotContext, dialog: Dialog) -> str:
        return f"✏️ <b>Correction du lieu n° {state_of(dialog, SiteCorrection).site}</b>"


async def _apply(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    key, site_id = astuple(state_of(dialog, SiteCorrection))
    value = answers.values.get(key)
    if key == "commune" and value is None:
        await send(context, dialog.chat_id, "La commune est obligatoire : rien n'a été changé.")
        return
    await sites.update(context.db, site_id, await _columns(context, {key: value}), at=context.now_iso())
    await send_site_card(context, dialog.chat_id, site_id,
                         intro=f"✅ {esc(SITE_FORM.question(key).label)} : <b>{esc(display_value(key, value))}</b>.")


LIEU_CORRIGER_FLOW = Flow(name="lieu_corriger", form=lambda d: SITE_FORM.only(state_of(d, SiteCorrection).field, "lieu_corriger"), complete=_apply, header=SiteCorrection.header, summary=False,
              skip_label="🗑 Effacer", check=check_site_answer)


# --- list and card ---------------------------------------------------------------------------------------

def parse_site_filters(args: list[str]) -> tuple[set[str], set[str], set[str], str | None]:
    """Types, EPCI and professions named in /lieux arguments, and the first word understood as none."""
    types, epcis, professions = set(), set(), set()
    rest = normalise(" ".join(args))
    for key, label in sorted(SITE_TYPES.items(), key=lambda p: -len(p[1])):
        pattern = rf"(?<![\w-]){re.escape(normalise(label))}(?![\w-])"
        if re.search(pattern, rest):
            types.add(key)
            rest = re.sub(pattern, " ", rest)
    for word in rest.split():
        epci = epci_key(word)
        prof = [o.key for o in PROFESSIONS if len(word) >= 3 and normalise(o.label).startswith(word)]
        if epci:
            epcis.add(epci)
        elif prof:
            professions.update(prof)
        else:
            return types, epcis, professions, word
    return types, epcis, professions, None


async def list_sites(update: Update, context: BotContext) -> None:
    """/lieux [type] [EPCI] [profession]: the practice sites."""
    types, epcis, professions, unknown = parse_site_filters(context.args or [])
    if unknown:
        await reply(update, context, f"Je ne connais pas le filtre « {esc(unknown)} ».\nTypes : "
                                     f"{', '.join(SITE_TYPES.values())}.\nEPCI : {', '.join(EPCI_LABELS.values())}.\n"
                                     f"Exemple : /lieux MSP ECLA infirmier")
        return
    found = [s for s in await sites.all_sites(context.db)
             if (not types or s.type in types) and (not epcis or s.epci in epcis)
             and (not professions or professions & set(s.professions_sought))]
    if not found:
        await reply(update, context, "Aucun lieu ne correspond." if (types or epcis or professions)
                    else "Aucun lieu d'exercice enregistré. /lieu_nouveau pour en ajouter un, ou /lieux_import.")
        return
    lines = [f"🏥 <b>Lieux d'exercice</b> ({len(found)})", *(list_line(s) for s in found[:60])]
    if len(found) > 60:
        lines.append(f"<i>… et {len(found) - 60} autres : affinez avec des filtres, ou /lieux_export.</i>")
    lines.append("\nFiche : /lieu N · filtres : /lieux MSP ECLA infirmier")
    await reply(update, context, "\n".join(lines))


async def render_site(context: BotContext, site_id: int):
    site = await sites.get(context.db, site_id)
    if site is None:
        return None, None
    since = (context.now() - timedelta(days=365)).astimezone(UTC).isoformat(timespec="seconds")
    exposure = (await sites.exposure(context.db, since)).get(site_id, (0, 0))
    contacts = [c.name for c in await sites.contacts_of(context.db, "lieu", site_id)]
    markup = keyboard([[("✏️ Corriger", f"s:{site_id}:fix"), ("🔗 Inviter un contact", f"s:{site_id}:inv")],
                       [("🔃 Actualiser", f"s:{site_id}:view")]])
    return card(site, contacts, exposure), markup


async def send_site_card(context: BotContext, chat_id: int, site_id: int, *, intro: str | None = None) -> None:
    text, markup = await render_site(context, site_id)
    if text is not None:
        await send(context, chat_id, f"{intro}\n\n{text}" if intro else text, markup)


async def show_site(update: Update, context: BotContext) -> None:
    """/lieu N: a practice site's card."""
    await show_numbered(update, context, render_site, of_what="du lieu", what="lieu", command="lieu",
                        listing="lieux", example=3)


async def invitation_link(context: BotContext, kind: str, target_id: int) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(16)
    expires = context.now() + timedelta(days=INVITATION_DAYS)
    await sites.create_invitation(context.db, token=token, kind=kind, target_id=target_id, by=context.actor.user_id,
                                  at=context.now_iso(), expires_at=expires.astimezone(UTC).isoformat(
                                      timespec="seconds"))
    return f"https://t.me/{context.bot.username}?start={token}", expires


async def _invite_text(context: BotContext, site) -> str:
    link, expires = await invitation_link(context, "lieu", site.id)
    return (f"🔗 Lien d'invitation pour un contact de « {esc(site.name)} » (valable une fois, jusqu'au "
            f"{format_date(expires)}) :\n{link}\n\nTransmettez-le au contact (SMS, e-mail) : en l'ouvrant, il "
            f"rejoint le bot et recevra les demandes de disponibilité pour des visites.")


async def invite_site(update: Update, context: BotContext) -> None:
    """/inviter_lieu N: a single-use link (14 days) that binds a Telegram user to the site as its contact."""
    site = await numbered(update, context, lambda n: sites.get(context.db, n), of_what="d'un lieu", what="lieu",
                          command="inviter_lieu", listing="lieux", example=3)
    if site is None:
        return
    await reply(update, context, await _invite_text(context, site))


async def on_site_button(update: Update, context: BotContext) -> None:
    """A button of a site's card."""
    query = update.callback_query
    pressed = await pressed_card(query, lambda site_id: sites.get(context.db, site_id))
    if pressed is None:
        return
    site, action, arg = pressed
    if action == "view":
        await query.answer()
        await edit_text(query, *await render_site(context, site.id))
    elif action == "fix" and arg is None:
        await query.answer()
        labels = [(SITE_FORM.question(k).label[:30], f"s:{site.id}:fx:{i}") for i, k in enumerate(CORRECTABLE)]
        rows = [labels[i:i + 2] for i in range(0, len(labels), 2)] + [[("⬅️ Retour à la fiche", f"s:{site.id}:view")]]
        await edit_markup(query, keyboard(rows))
    elif action == "fx" and arg is not None and arg < len(CORRECTABLE):
        await query.answer()
        await begin(update, context, "lieu_corriger", state=SiteCorrection(CORRECTABLE[arg], site.id))
    elif action == "inv" and arg is None:
        await query.answer()
        await send(context, update.effective_chat.id, await _invite_text(context, site))
    else:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)


async def _welcome_site(update: Update, context: BotContext, site_id: int, name: str) -> None:
    site = await sites.get(context.db, site_id)
    await reply(update, context, f"✅ Bienvenue {esc(name)} : vous êtes maintenant contact de « {esc(site.name)} » "
                                 f"({esc(site.commune)}).\nVous recevrez ici les demandes de disponibilité pour des "
                                 f"visites de professionnels de santé. Tapez /aide pour en savoir plus.")
    await engine.tell(context.application, context.services.settings.team_chat_id,
                      f"🔗 {esc(name)} a rejoint le bot comme contact de « {esc(site.name)} » (lieu n° {site.id}).")


# --- the spreadsheet, out and in ------------------------------------------------------------------------

async def export_sites(update: Update, context: BotContext) -> None:
    """/lieux_export [csv]: every site as the team's spreadsheet."""
    rows = [export_row(s) for s in await sites.all_sites(context.db)]
    headers = [title for title, _ in COLUMNS]
    day = context.now().strftime("%Y-%m-%d")
    if context.args and context.args[0].lower() == "csv":
        data, name = write_csv(headers, rows), f"lieux-{day}.csv"
    else:
        data, name = write_xlsx([("Lieux", headers, rows)]), f"lieux-{day}.xlsx"
    await context.bot.send_document(update.effective_chat.id, InputFile(data, filename=name),
                                    caption=f"🏥 {len(rows)} lieu(x) d'exercice.")
    await audit(context, "export", detail=name)


IMPORT_HELP = {
    "lieux": "Colonnes : " + ", ".join(t for t, _ in COLUMNS) + " (Nom, Type et Commune obligatoires ; listes "
             "séparées par des virgules).",
    "communes": "Colonnes : Nom, INSEE, EPCI.",
}


IMPORT_WAITS = tuple(
    Wait(f"import_{what}", f"import des {label}", f"📥 J'attends le tableau des {label} (.xlsx ou .csv), envoyé en "
         f"réponse à ma demande. /annuler pour abandonner l'import.", f"✖️ Import des {label} annulé : rien n'a été importé.")
    for what, label in (("lieux", "lieux d'exercice"), ("communes", "communes"))
)


async def ask_for_file(update: Update, context: BotContext, what: str) -> None:
    """/lieux_import, /communes_import without a file: wait for one, sent as a reply."""
    await dialogs.start(context.db, chat_id=update.effective_chat.id, user_id=context.actor.user_id,
                        form=f"import_{what}", subject_id=None, position="file", data={}, at=context.now_iso())
    message = await reply(update, context, f"📥 Envoyez le fichier (.xlsx ou .csv) en réponse à ce message. "
                                           f"{IMPORT_HELP[what]} Tout est vérifié avant l'import : s'il y a une "
                                           f"erreur, rien n'est importé. /annuler pour abandonner.")
    pending = await dialogs.find_for_message(context.db, update.effective_chat.id, context.actor.user_id, None)
    pending.prompt_message_id = message.message_id
    await dialogs.save(context.db, pending, context.now_iso())


async def import_sites_command(update: Update, context: BotContext) -> None:
    await ask_for_file(update, context, "lieux")


async def on_document(update: Update, context: BotContext) -> None:
    """A spreadsheet sent with /lieux_import or /communes_import as caption, or in reply to the request."""
    message = update.message
    caption = (message.caption or "").split()[0].split("@")[0].lower() if message.caption else ""
    what = {"/lieux_import": "lieux", "/communes_import": "communes"}.get(caption)
    pending = None
    if what is None:
        replied = message.reply_to_message.message_id if message.reply_to_message else None
        pending = await dialogs.find_for_message(context.db, message.chat_id, context.actor.user_id, replied)
        if pending is None or not pending.form.startswith("import_"):
            await reply(update, context, "Je ne sais pas quoi faire de ce fichier. Pour importer des lieux ou des "
                                         "communes : /lieux_import ou /communes_import.")
            return
        what = pending.form.removeprefix("import_")
    document = message.document
    if document.file_size and document.file_size > 5_000_000:
        await reply(update, context, "Ce fichier est trop lourd (5 Mo au plus).")
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        rows = read_table(document.file_name or "", data)
    except UnreadableFile as err:
        await reply(update, context, f"❗ {esc(err)}")
        return
    done = await context.wiring.importers[what](update, context, rows)
    if done and pending is not None:
        await dialogs.finish(context.db, pending.id)


async def _import_sites(update: Update, context: BotContext, rows: list[list[str]]) -> bool:
    known = {c.name_key: (c.id, c.name) for c in await territory.communes(context.db)}
    parsed, errors = parse_sites(rows, lambda text: known.get(name_key(text)))
    if errors:
        shown = errors[:30] + ([f"… et {len(errors) - 30} autre(s)."] if len(errors) > 30 else [])
        await reply(update, context, "❗ <b>Rien n'a été importé</b> : corrigez ces points et renvoyez le fichier.\n"
                                     + "\n".join(f"• {esc(e)}" for e in shown))
        return False
    if not parsed:
        await reply(update, context, "Le fichier ne contient aucun lieu.")
        return False
    await sites.create_many(context.db, parsed, by=context.actor.user_id, at=context.now_iso())
    await reply(update, context, f"✅ {len(parsed)} lieu(x) d'exercice importé(s). /lieux pour les voir.")
    return True


def provides() -> Provides:
    """Practice sites: their form and its corrections, the spreadsheet imports, the welcome of a site's contact."""
    return Provides(flows=(LIEU_FLOW, LIEU_CORRIGER_FLOW), waits=IMPORT_WAITS, welcomes=(Welcome("lieu", _welcome_site),),
                    importers={"lieux": _import_sites})
