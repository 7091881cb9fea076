"""Step C: the territory — communes of the 4 EPCI, and the élus who are told of visits in their commune."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.dates import format_date
from bot.forms import Form, Kind, Option, Question
from bot.sites import commune_rows
from bot.territory import EPCI_LABELS, STARTER_COMMUNES, epci_key, name_key
from handlers import common, sites as step_c
from handlers.candidates import candidate_number
from handlers.common import esc, reply, send
from handlers.dialog import AnswerSet, Flow, begin, register
from storage import sites, territory
from storage.db import Database
from storage.dialogs import Dialog

EPCI_OPTIONS = tuple(Option(k, v) for k, v in EPCI_LABELS.items())


async def seed_communes(db: Database) -> None:
    """A starting list of communes on a new database; the official list is imported with /communes_import."""
    if await territory.count_communes(db) == 0:
        await territory.upsert_communes(db, [(n, name_key(n), None, epci) for epci, names in STARTER_COMMUNES.items()
                                             for n in names])


async def list_communes(update: Update, context: BotContext) -> None:
    """/communes [EPCI]: the communes known to the bot, by EPCI."""
    epci = epci_key(" ".join(context.args)) if context.args else None
    if context.args and epci is None:
        await reply(update, context, f"EPCI inconnu. EPCI : {', '.join(EPCI_LABELS.values())}.")
        return
    found = await territory.communes(context.db, epci)
    lines = []
    for key, label in EPCI_LABELS.items():
        names = [c.name for c in found if c.epci == key]
        if names:
            lines.append(f"<b>{esc(label)}</b> ({len(names)}) : {esc(', '.join(names))}")
    lines.append("\nAjouter : /commune_ajouter Nom ; EPCI [; INSEE] · la liste officielle : /communes_import")
    await reply(update, context, "🗺 <b>Communes du territoire</b>\n" + "\n\n".join(lines))


async def add_commune(update: Update, context: BotContext) -> None:
    """/commune_ajouter Nom ; EPCI [; INSEE]."""
    parts = [p.strip() for p in " ".join(context.args or []).split(";")]
    usage = "Usage : /commune_ajouter Nom ; EPCI [; code INSEE]\nExemple : /commune_ajouter Conliège ; ECLA ; 39162"
    if len(parts) < 2 or not parts[0]:
        await reply(update, context, usage)
        return
    epci = epci_key(parts[1])
    if epci is None:
        await reply(update, context, f"« {esc(parts[1])} » n'est pas un des 4 EPCI : "
                                     f"{', '.join(EPCI_LABELS.values())}.\n{usage}")
        return
    rows, errors = commune_rows([["Nom", "EPCI", "INSEE"], [parts[0], parts[1], parts[2] if len(parts) > 2 else ""]],
                                epci_key)
    if errors:
        await reply(update, context, "❗ " + esc(errors[0].split(" : ", 1)[1]))
        return
    name, insee, epci = rows[0]
    await territory.upsert_communes(context.db, [(name, name_key(name), insee, epci)])
    await reply(update, context, f"✅ {esc(name)} ({EPCI_LABELS[epci]}) fait partie des communes du territoire.")


async def import_communes_command(update: Update, context: BotContext) -> None:
    await step_c.ask_for_file(update, context, "communes")


async def import_communes(update: Update, context: BotContext, rows: list[list[str]]) -> bool:
    parsed, errors = commune_rows(rows, epci_key)
    if errors:
        await reply(update, context, "❗ <b>Rien n'a été importé</b> :\n" + "\n".join(f"• {esc(e)}" for e in errors[:30]))
        return False
    await territory.upsert_communes(context.db, [(n, name_key(n), insee, epci) for n, insee, epci in parsed])
    await reply(update, context, f"✅ {len(parsed)} commune(s) importée(s) ou mises à jour. /communes pour les voir.")
    return True


step_c.IMPORTERS["communes"] = import_communes


# --- élus -----------------------------------------------------------------------------------------------

ELU_FORM = Form("elu", "Nouvel élu", (
    Question("name", "Nom", "<b>Nom</b> de l'élu·e ?", Kind.TEXT),
    Question("mandate", "Mandat", "<b>Mandat</b> ?", Kind.TEXT, hint="Par exemple « Maire », « Adjointe à la santé »."),
    Question("scope", "Élu·e de", "Élu·e d'une <b>commune</b> ou d'un <b>EPCI</b> ?", Kind.CHOICE,
             (Option("commune", "Une commune"), Option("epci", "Un EPCI"))),
    Question("commune", "Commune", "Quelle <b>commune</b> ?", Kind.TEXT, when=lambda a: a.get("scope") == "commune"),
    Question("epci", "EPCI", "Quel <b>EPCI</b> ?", Kind.CHOICE, EPCI_OPTIONS, when=lambda a: a.get("scope") == "epci"),
    Question("phone", "Téléphone", "<b>Téléphone</b> ?", Kind.PHONE, optional=True),
    Question("email", "E-mail", "<b>E-mail</b> ?", Kind.EMAIL, optional=True),
))


async def _elu_header(context: BotContext, dialog: Dialog) -> str:
    return "🏛 <b>Nouvel élu</b>"


async def _elu_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    values = answers.values
    commune = await step_c.find_commune(context, values["commune"]) if values.get("commune") else None
    elu_id = await territory.add_elu(
        context.db, name=values["name"], mandate=values["mandate"], commune_id=commune.id if commune else None,
        epci=values.get("epci"), phone=values.get("phone"), email=values.get("email"), by=context.actor.user_id,
        at=context.now_iso())
    where = commune.name if commune else EPCI_LABELS[values["epci"]]
    await send(context, dialog.chat_id, f"✅ Élu n° {elu_id} : {esc(values['name'])}, {esc(values['mandate'])} "
                                        f"({esc(where)}).\nPour qu'il reçoive les annonces sur Telegram : "
                                        f"/inviter_elu {elu_id}")


register(Flow(name="elu", form=lambda d: ELU_FORM, complete=_elu_done, header=_elu_header,
              check=step_c.check_site_answer))


async def new_elu(update: Update, context: BotContext) -> None:
    """/elu_ajouter: record an élu (name, mandate, commune or EPCI, contacts)."""
    await begin(update, context, "elu", intro="Enregistrons un élu. /annuler pour abandonner.")


async def list_elus(update: Update, context: BotContext) -> None:
    """/elus: the élus, where they are élus, how to reach them."""
    found = await territory.elus(context.db)
    if not found:
        await reply(update, context, "Aucun élu enregistré. /elu_ajouter pour en ajouter un.")
        return
    lines = ["🏛 <b>Élus</b>"]
    for e in found:
        commune = await territory.commune(context.db, e.commune_id) if e.commune_id else None
        where = commune.name if commune else EPCI_LABELS.get(e.epci or "", "—")
        on_telegram = bool(await sites.contacts_of(context.db, "elu", e.id))
        reach = " · ".join(filter(None, (e.phone, e.email, "sur Telegram ✉️" if on_telegram else None))) or "—"
        lines.append(f"<b>n° {e.id}</b> · {esc(e.name)}, {esc(e.mandate)} ({esc(where)}) — {esc(reach)}")
    await reply(update, context, "\n".join(lines))


async def invite_elu(update: Update, context: BotContext) -> None:
    """/inviter_elu N: a single-use link that lets the élu receive the visit notices on Telegram."""
    number = candidate_number(context.args or [])
    elu = await territory.elu(context.db, number) if number is not None else None
    if elu is None:
        await reply(update, context, "Indiquez le numéro d'un élu, par exemple : /inviter_elu 2 (voir /elus).")
        return
    link, expires = await step_c.invitation_link(context, "elu", elu.id)
    await reply(update, context, f"🔗 Lien d'invitation pour {esc(elu.name)} (valable une fois, jusqu'au "
                                 f"{format_date(expires)}) :\n{link}")


async def _welcome_elu(update: Update, context: BotContext, elu_id: int, name: str) -> None:
    elu = await territory.elu(context.db, elu_id)
    await reply(update, context, f"✅ Bienvenue {esc(name)}. Vous recevrez ici, de la part du CLS du Pays Lédonien et "
                                 f"de la CPTS du Grand Lons, l'annonce des visites de professionnels de santé prévues "
                                 f"dans votre commune.")
    await send(context, context.services.settings.team_chat_id,
               f"🔗 {esc(name)} a rejoint le bot comme élu ({esc(elu.name)}, {esc(elu.mandate)}).")


common.INVITATION_WELCOMES.setdefault("elu", []).append(_welcome_elu)
