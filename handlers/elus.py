"""Step C: the territory — communes of the 4 EPCI, and the élus who are told of visits in their commune."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update

from delivery import engine
from domain.dates import format_date
from domain.forms import Form, Kind, Option, Question
from domain.sites import commune_rows
from domain.territory import EPCI_LABELS, STARTER_COMMUNES, epci_key, name_key
from handlers import lieux
from handlers.common import audit, edit_markup, edit_text, esc, keyboard, pressed_card, reply, send
from handlers.context import BotContext
from handlers.dialog import AnswerSet, Flow, begin, state_of
from handlers.dossiers import numbered, show_numbered
from handlers.wiring import Provides, Welcome
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
    await lieux.ask_for_file(update, context, "communes")


async def import_communes(update: Update, context: BotContext, rows: list[list[str]]) -> bool:
    parsed, errors = commune_rows(rows, epci_key)
    if errors:
        await reply(update, context, "❗ <b>Rien n'a été importé</b> :\n" + "\n".join(f"• {esc(e)}" for e in errors[:30]))
        return False
    await territory.upsert_communes(context.db, [(n, name_key(n), insee, epci) for n, insee, epci in parsed])
    await reply(update, context, f"✅ {len(parsed)} commune(s) importée(s) ou mises à jour. /communes pour les voir.")
    return True




# --- élus -----------------------------------------------------------------------------------------------

ELU_FORM = Form("elu", "Nouvel élu", (
    Question("name", "Nom", "<b>Nom</b> de l'élu·e ?", Kind.TEXT, single_line=True, name=True),
    Question("mandate", "Mandat", "<b>Mandat</b> ?", Kind.TEXT, hint="Par exemple « Maire », « Adjointe à la santé ».",
             single_line=True),
    Question("scope", "Élu·e de", "Élu·e d'une <b>commune</b> ou d'un <b>EPCI</b> ?", Kind.CHOICE,
             (Option("commune", "Une commune"), Option("epci", "Un EPCI"))),
    Question("commune", "Commune", "Quelle <b>commune</b> ?", Kind.TEXT, when=lambda a: a.get("scope") == "commune",
             single_line=True, name=True),
    Question("epci", "EPCI", "Quel <b>EPCI</b> ?", Kind.CHOICE, EPCI_OPTIONS, when=lambda a: a.get("scope") == "epci"),
    Question("phone", "Téléphone", "<b>Téléphone</b> ?", Kind.PHONE, optional=True),
    Question("email", "E-mail", "<b>E-mail</b> ?", Kind.EMAIL, optional=True),
))


async def _elu_header(context: BotContext, dialog: Dialog) -> str:
    return "🏛 <b>Nouvel élu</b>"


async def _elu_done(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    values = answers.values
    commune = await lieux.find_commune(context, values["commune"]) if values.get("commune") else None
    elu_id = await territory.add_elu(
        context.db, name=values["name"], mandate=values["mandate"], commune_id=commune.id if commune else None,
        epci=values.get("epci"), phone=values.get("phone"), email=values.get("email"), by=context.actor.user_id,
        at=context.now_iso())
    where = commune.name if commune else EPCI_LABELS[values["epci"]]
    await send(context, dialog.chat_id, f"✅ Élu n° {elu_id} : {esc(values['name'])}, {esc(values['mandate'])} "
                                        f"({esc(where)}).\nPour qu'il reçoive les annonces sur Telegram : "
                                        f"/inviter_elu {elu_id}")


ELU_FLOW = Flow(name="elu", form=lambda d: ELU_FORM, complete=_elu_done, header=_elu_header,
              check=lieux.check_site_answer)


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
    communes = {c.id: c.name for c in await territory.communes(context.db)}
    on_telegram = await sites.contact_targets(context.db, "elu")
    for e in found:
        where = _where_named(e, communes.get(e.commune_id))
        reach = " · ".join(filter(None, (e.phone, e.email, "sur Telegram ✉️" if e.id in on_telegram else None))) or "—"
        lines.append(f"<b>n° {e.id}</b> · {esc(e.name)}, {esc(e.mandate)} ({esc(where)}) — {esc(reach)}")
    lines.append("\nFiche (corriger, retirer) : /elu N")
    await reply(update, context, "\n".join(lines))


# --- an élu's card: corrections (a new mandate, new contacts) and removal (after an election) ----------------

# what can be corrected, in the order of the buttons; "where" asks for the commune or the EPCI again
ELU_FIELDS = ("name", "mandate", "where", "phone", "email")
ELU_FIELD_LABELS = {"name": "Nom", "mandate": "Mandat", "where": "Commune ou EPCI", "phone": "Téléphone",
                    "email": "E-mail"}


async def _where(context: BotContext, elu: territory.Elu) -> str:
    commune = await territory.commune(context.db, elu.commune_id) if elu.commune_id else None
    return _where_named(elu, commune.name if commune else None)


def _where_named(elu: territory.Elu, commune: str | None) -> str:
    """Where an élu is élu: their commune, or else their EPCI."""
    return commune or EPCI_LABELS.get(elu.epci or "", "—")


async def render_elu(context: BotContext, elu_id: int):
    """(text, buttons) of an élu's card, or (None, None) if there is no such élu."""
    elu = await territory.elu(context.db, elu_id)
    if elu is None:
        return None, None
    contacts = [c.name for c in await sites.contacts_of(context.db, "elu", elu.id)]
    text = "\n".join([
        f"🏛 <b>Élu n° {elu.id} — {esc(elu.name)}</b>",
        f"Mandat : {esc(elu.mandate)} ({esc(await _where(context, elu))})",
        f"Téléphone : {esc(elu.phone or '—')}",
        f"E-mail : {esc(elu.email or '—')}",
        "Sur Telegram : " + (esc(", ".join(contacts)) + " (reçoit les annonces de visites)" if contacts
                             else f"pas encore — /inviter_elu {elu.id}"),
    ])
    markup = keyboard([[("✏️ Corriger", f"u:{elu.id}:fix"), ("🔗 Inviter", f"u:{elu.id}:inv")],
                       [("🗑 Retirer", f"u:{elu.id}:del"), ("🔃 Actualiser", f"u:{elu.id}:view")]])
    return text, markup


async def show_elu(update: Update, context: BotContext) -> None:
    """/elu N: an élu's card, to correct it or remove them."""
    await show_numbered(update, context, render_elu, of_what="de l'élu", what="élu", command="elu",
                        listing="elus", example=2)


async def on_elu_button(update: Update, context: BotContext) -> None:
    """A button of an élu's card."""
    query = update.callback_query
    pressed = await pressed_card(query, lambda elu_id: territory.elu(context.db, elu_id))
    if pressed is None:
        return
    elu, action, arg = pressed
    if action == "view" and arg is None:
        await query.answer()
        await edit_text(query, *await render_elu(context, elu.id))
    elif action == "fix" and arg is None:
        await query.answer()
        labels = [(ELU_FIELD_LABELS[k], f"u:{elu.id}:fx:{i}") for i, k in enumerate(ELU_FIELDS)]
        rows = [labels[i:i + 2] for i in range(0, len(labels), 2)] + [[("⬅️ Retour à la fiche", f"u:{elu.id}:view")]]
        await edit_markup(query, keyboard(rows))
    elif action == "fx" and arg is not None and arg < len(ELU_FIELDS):
        await query.answer()
        await begin(update, context, "elu_corriger", state=EluCorrection(ELU_FIELDS[arg], elu.id))
    elif action == "inv" and arg is None:
        await query.answer()
        link, expires = await lieux.invitation_link(context, "elu", elu.id)
        await send(context, update.effective_chat.id, f"🔗 Lien d'invitation pour {esc(elu.name)} (valable une fois, "
                                                      f"jusqu'au {format_date(expires)}) :\n{link}")
    elif action == "del" and arg is None:
        await query.answer()
        await edit_markup(query, keyboard([[("🗑 Oui, retirer cet élu", f"u:{elu.id}:del:1")],
                                           [("⬅️ Non, garder", f"u:{elu.id}:view")]]))
    elif action == "del" and arg == 1:
        await query.answer()
        await territory.remove_elu(context.db, elu.id)
        await audit(context, "élu retiré", detail=f"élu n° {elu.id}")
        await edit_text(query, f"🗑 {esc(elu.name)} ({esc(elu.mandate)}) ne fait plus partie des élus : il ou elle ne "
                           f"recevra plus les annonces de visites. Les annonces déjà envoyées restent dans l'historique.",
                    None)
    else:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)


@dataclass(frozen=True)
class EluCorrection:
    """What a correction is about: one field of one élu (``where``: the scope with its commune or EPCI)."""

    field: str
    elu: int


def _correction_form(dialog: Dialog) -> Form:
    field = state_of(dialog, EluCorrection).field
    if field == "where":  # the scope, then the commune or the EPCI it calls for
        return Form("elu_corriger", "Correction d'un élu", tuple(q for q in ELU_FORM.questions
                                                                  if q.key in ("scope", "commune", "epci")))
    return ELU_FORM.only(field, "elu_corriger")


async def _correction_header(context: BotContext, dialog: Dialog) -> str:
    return f"✏️ <b>Correction de l'élu n° {state_of(dialog, EluCorrection).elu}</b>"


async def _apply_correction(update: Update, context: BotContext, dialog: Dialog, answers: AnswerSet) -> None:
    correction = state_of(dialog, EluCorrection)
    field, elu_id, values = correction.field, correction.elu, answers.values
    if field == "where":
        commune = await lieux.find_commune(context, values["commune"]) if values.get("commune") else None
        changes = {"commune_id": commune.id if commune else None, "epci": None if commune else values.get("epci")}
    else:
        changes = {field: values.get(field)}
    await territory.update_elu(context.db, elu_id, changes)
    await audit(context, "élu corrigé", detail=f"élu n° {elu_id} : {ELU_FIELD_LABELS[field]}")
    text, markup = await render_elu(context, elu_id)
    if text is not None:
        await send(context, dialog.chat_id, f"✅ {ELU_FIELD_LABELS[field]} corrigé.\n\n{text}", markup)


ELU_CORRIGER_FLOW = Flow(name="elu_corriger", form=_correction_form, complete=_apply_correction, header=_correction_header,
              summary=False, skip_label="🗑 Effacer", check=lieux.check_site_answer)


async def invite_elu(update: Update, context: BotContext) -> None:
    """/inviter_elu N: a single-use link that lets the élu receive the visit notices on Telegram."""
    elu = await numbered(update, context, lambda n: territory.elu(context.db, n), of_what="d'un élu", what="élu",
                         command="inviter_elu", listing="elus", example=2)
    if elu is None:
        return
    link, expires = await lieux.invitation_link(context, "elu", elu.id)
    await reply(update, context, f"🔗 Lien d'invitation pour {esc(elu.name)} (valable une fois, jusqu'au "
                                 f"{format_date(expires)}) :\n{link}")


async def _welcome_elu(update: Update, context: BotContext, elu_id: int, name: str) -> None:
    elu = await territory.elu(context.db, elu_id)
    await reply(update, context, f"✅ Bienvenue {esc(name)}. Vous recevrez ici, de la part du CLS du Pays Lédonien et "
                                 f"de la CPTS du Grand Lons, l'annonce des visites de professionnels de santé prévues "
                                 f"dans votre commune.")
    await engine.tell(context.application, context.services.settings.team_chat_id,
                      f"🔗 {esc(name)} a rejoint le bot comme élu ({esc(elu.name)}, {esc(elu.mandate)}).")


def provides() -> Provides:
    """The territory's élus and communes: the élu's form and its corrections, the welcome of an élu who joined,
    the communes' spreadsheet."""
    return Provides(flows=(ELU_FLOW, ELU_CORRIGER_FLOW), welcomes=(Welcome("elu", _welcome_elu),),
                    importers={"communes": import_communes})
