"""Privacy (RGPD): the audit log for admins, a candidate's data on request, erasure, retention, backups."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from dateutil.relativedelta import relativedelta
from telegram import InputFile, Update

from delivery import engine
from delivery.kinds import Hook, MessageKind
from delivery.services import Services
from domain.callbacks import read
from domain.dates import PARIS, format_short
from domain.interview import INTERVIEW
from domain.spreadsheets import write_xlsx
from handlers.common import append_note, audit, esc, keyboard, reply, typed_id
from handlers.context import BotContext
from handlers.dossiers import candidate_number, numbered
from handlers.team import admin_only
from handlers.wiring import Provides
from storage import audit_log, backups, candidates, error_log, privacy, reminders
from storage.reminders import Reminder

ACTIONS = {"consultation": "👁", "modification": "✏️", "export": "📎", "refus": "⛔", "effacement": "🗑",
           "sauvegarde": "💾", "anonymisation": "🕶"}


@admin_only
async def journal(update: Update, context: BotContext) -> None:
    """/journal [N | utilisateur ID]: the latest audit entries, for one candidate or one user."""
    args = context.args or []
    candidate_id = candidate_number(args) if len(args) == 1 else None
    user_id = typed_id(args[1]) if len(args) == 2 and args[0].lower() in ("utilisateur", "user", "membre") else None
    if args and candidate_id is None and user_id is None:
        await reply(update, context, "Usage : /journal · /journal N (un dossier) · /journal utilisateur ID")
        return
    found = await audit_log.entries(context.db, candidate_id=candidate_id, user_id=user_id)
    title = "🧾 <b>Journal</b>" + (f" — dossier n° {candidate_id}" if candidate_id else "") + \
            (f" — utilisateur {user_id}" if user_id else "")
    lines = [title]
    team = context.services.team
    for e in found:
        who = team.name(e.user_id) if team.get(e.user_id) else (f"utilisateur {e.user_id}" if e.user_id else "le bot")
        about = f" · dossier n° {e.candidate_id}" if e.candidate_id else ""
        lines.append(f"{ACTIONS.get(e.action, '•')} {format_short(datetime.fromisoformat(e.at))} — {esc(who)} — "
                     f"{esc(e.action)}{about}" + (f" : {esc(e.detail)}" if e.detail else ""))
    if len(lines) == 1:
        lines.append("Rien d'enregistré.")
    await reply(update, context, "\n".join(lines))


# --- right of access ---------------------------------------------------------------------------------

def _readable_sheets(data: dict) -> list:
    sheets = []
    candidate = data["candidat"]
    sheets.append(("Candidat", ["Champ", "Valeur"], [[k, "" if v is None else str(v)] for k, v in candidate.items()]))
    for section, rows in data.items():
        if section == "candidat" or not rows:
            continue
        headers = list(rows[0].keys())
        sheets.append((section.replace("_", " ").capitalize()[:31], headers,
                       [[json.dumps(r[h], ensure_ascii=False) if isinstance(r[h], (dict, list)) else r[h] for h in headers]
                        for r in rows]))
    return sheets


@admin_only
async def rgpd_export(update: Update, context: BotContext) -> None:
    """/rgpd_export N: everything held on a candidate, as JSON and a readable XLSX (right of access)."""
    async def held(number: int) -> tuple[int, dict] | None:
        data = await privacy.everything_about(context.db, number)
        return (number, data) if data else None
    found = await numbered(update, context, held, of_what="d'un dossier", what="dossier", command="rgpd_export",
                           listing="dossiers", example=12)
    if found is None:
        return
    number, data = found
    stamp = context.now().strftime("%Y-%m-%d")
    as_json = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    chat = update.effective_chat.id
    await context.bot.send_document(chat, InputFile(as_json, filename=f"donnees-dossier-{number}-{stamp}.json"))
    await context.bot.send_document(chat, InputFile(write_xlsx(_readable_sheets(data)),
                                                    filename=f"donnees-dossier-{number}-{stamp}.xlsx"),
                                    caption=f"📎 Toutes les données détenues sur le dossier n° {number} (droit d'accès).")
    await audit(context, "export", candidate_id=number, detail="droit d'accès (RGPD)")


# --- erasure, after a second confirmation ------------------------------------------------------------------

ERASED = ("nom et prénom, téléphone, e-mail, précision sur la source, réponses libres de l'entretien (motivations, "
          "famille, logement, conjoint, notes…), notes des débriefings et des suivis, messages aux élus, historique détaillé")
KEPT = ("profession, source, dates des étapes, statut, choix de l'entretien (calendrier, mode d'exercice, territoires), "
        "lieux proposés et visités, commune d'installation : les statistiques restent justes")


def free_text_questions() -> list[str]:
    return [q.key for q in INTERVIEW.questions if q.kind.value not in privacy.KEPT_ANSWER_KINDS]


@admin_only
async def rgpd_erase(update: Update, context: BotContext) -> None:
    """/rgpd_effacer N: erase a candidate's personal data, after two confirmations."""
    candidate = await numbered(update, context, lambda n: candidates.get(context.db, n), of_what="d'un dossier",
                               what="dossier", command="rgpd_effacer", listing="dossiers", example=12)
    if candidate is None:
        return
    number = candidate.id
    if candidate.anonymised_at:
        await reply(update, context, f"Les données du dossier n° {number} sont déjà effacées.")
        return
    await reply(update, context, f"⚠️ <b>Effacer les données personnelles de {esc(candidate.full_name)} (n° {number}) ?</b>\n"
                                 f"Effacé : {ERASED}.\nConservé, anonyme : {KEPT}.",
                keyboard([[("🗑 Effacer", f"g:{number}:ask")], [("✖️ Annuler", f"g:{number}:no")]]))


async def erase(context: BotContext, candidate_id: int, *, automatic: bool = False) -> bool:
    done = await privacy.anonymise(context.db, candidate_id, free_text_questions=free_text_questions(), at=context.now_iso())
    if done:
        await audit(context, "anonymisation" if automatic else "effacement", candidate_id=candidate_id,
                    detail="durée de conservation atteinte" if automatic else "à la demande (RGPD)")
        await engine.reschedule(context.application)
    return done


async def on_privacy_button(update: Update, context: BotContext) -> None:
    """Erasure's two confirmations, and extending a candidate's retention."""
    query = update.callback_query
    pressed = read(query.data, "g", int, {"ask", "go", "no", "keep"})
    candidate = await candidates.get(context.db, pressed[0]) if pressed else None
    action = pressed[1] if pressed else ""
    if candidate is None or candidate.anonymised_at:
        await query.answer("Ce bouton n'est plus valable.", show_alert=True)
        return
    if action in ("ask", "go") and not context.actor.is_admin:
        await query.answer("Réservé aux administrateurs.", show_alert=True)
        return
    if action == "no":
        await query.answer("Rien n'a été effacé.")
        await append_note(query, "✖️ Annulé : rien n'a été effacé.")
    elif action == "ask":
        await query.answer()
        await append_note(query, "⚠️ <b>Dernière confirmation</b> : l'effacement est définitif.",
                    keyboard([[("✅ Oui, effacer définitivement", f"g:{candidate.id}:go")],
                              [("✖️ Annuler", f"g:{candidate.id}:no")]]))
    elif action == "go":
        await erase(context, candidate.id)
        await query.answer("Données effacées")
        await append_note(query, f"🗑 Données personnelles du dossier n° {candidate.id} effacées par {esc(context.actor.name)}.")
    elif action == "keep":
        until = context.now() + timedelta(days=365)
        await privacy.set_retention(context.db, candidate.id, until=until.astimezone(UTC).isoformat(timespec="seconds"))
        await audit(context, "modification", candidate_id=candidate.id, detail="conservation prolongée d'un an")
        await query.answer("Conservation prolongée d'un an")
        await append_note(query, f"⏳ Conservation prolongée jusqu'au {format_short(until.date())} par {esc(context.actor.name)}.")



# --- retention: warned 7 days before, anonymised when no activity for the configured period -------------------

RETENTION_CHECK = "retention:derniere_verification"


async def _retention_due(services: Services) -> str | None:
    last = await privacy.get_kv(services.db, RETENTION_CHECK)
    if last is None:
        return services.clock.utc_iso()
    hours = services.settings.hours
    nxt = hours.adjust(hours.at(datetime.fromisoformat(last).astimezone(PARIS).date() + timedelta(days=1), hours.morning))
    return nxt.astimezone(UTC).isoformat(timespec="seconds")


WARNING_AHEAD = timedelta(days=7)  # the team is warned this long before a candidate's data is anonymised


async def _retention_run(app, now: datetime) -> None:
    services = engine.services_of(app)
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    await privacy.set_kv(services.db, RETENTION_CHECK, at)
    months = services.settings.retention_months
    team = services.settings.team_chat_id
    for c in await privacy.retention_candidates(services.db):
        last = datetime.fromisoformat(c["last_activity"]).astimezone(PARIS)
        limit = last + relativedelta(months=months)
        if c["retention_until"]:
            limit = max(limit, datetime.fromisoformat(c["retention_until"]).astimezone(PARIS))
        # counted from when the team got the warning, not from when it was due: a warning Telegram held back for
        # days still leaves the team its seven days to extend
        told = datetime.fromisoformat(c["warning_sent_at"]).astimezone(PARIS) if c["warning_sent_at"] else None
        if now >= limit and told is not None and now - told >= WARNING_AHEAD:
            notice = reminders.create_statement(
                kind="avis", chat_id=team, candidate_id=c["id"], due_at=at, exact=True, at=at,
                text=f"🕶 Dossier n° {c['id']} anonymisé : aucune activité depuis le {format_short(last.date())} "
                     f"(conservation : {months} mois).")
            audit_entry = audit_log.record_statement(at=at, user_id=None, chat_id=None, action="anonymisation",
                                                     candidate_id=c["id"], detail="durée de conservation atteinte")
            await privacy.anonymise(services.db, c["id"], free_text_questions=free_text_questions(), at=at,
                                    also=[audit_entry, notice])
        elif now >= limit - WARNING_AHEAD and c["retention_warned_at"] is None:
            await privacy.warn_retention(services.db, c["id"], at=at, chat_id=team, last_activity=last.date().isoformat())


async def _render_warning(services: Services, r: Reminder, now: datetime):
    """The warning that a candidate's data will be anonymised, with the button to keep it a year longer; None
    once extended (or anonymised) meanwhile."""
    candidate = await candidates.get(services.db, r.candidate_id)
    if candidate.anonymised_at or candidate.retention_warned_at != r.created_at:
        return None
    months = services.settings.retention_months
    # seven days from now even if sent late: they are counted from when the team got it
    return (f"🕶 Dans 7 jours, les données personnelles de {esc(candidate.first_name)} {esc(candidate.last_name)} "
            f"(n° {candidate.id}) seront anonymisées : aucune activité depuis le "
            f"{format_short(date.fromisoformat(r.text))} (conservation : {months} mois).",
            keyboard([[("⏳ Prolonger d'un an", f"g:{candidate.id}:keep")]]))




# --- backups -------------------------------------------------------------------------------------------------



def backup_dir(services: Services) -> Path:
    return services.settings.backup_dir or services.settings.database_path.parent / "sauvegardes"


async def make_backup(services: Services, label: str = "") -> Path:
    path = await services.db.backup(backup_dir(services), services.clock.now(), label)
    backups.rotate(backup_dir(services))
    await privacy.set_last_backup(services.db, services.clock.utc_iso(), path.name)
    return path


async def _backup_due(services: Services) -> str | None:
    if not services.nightly_backups:
        return None
    last = await privacy.last_backup(services.db)
    return engine.next_night(last[0] if last else None, BACKUP_AT, services.clock.now())


async def _backup_run(app, now: datetime) -> None:
    services = engine.services_of(app)
    path = await make_backup(services)
    await audit_log.record(services.db, at=services.clock.utc_iso(), user_id=None, chat_id=None, action="sauvegarde",
                           detail=path.name)


BACKUP_AT = time(2, 30)  # every night, when nobody works


@admin_only
async def backup_now(update: Update, context: BotContext) -> None:
    """/sauvegarde: a backup now, kept on the server with the daily ones."""
    path = await make_backup(context.services, "-manuelle")
    await audit(context, "sauvegarde", detail=path.name)
    size = path.stat().st_size
    await reply(update, context, f"💾 Sauvegarde faite : {esc(path.name)} ({size // 1024} Ko), dans {esc(path.parent)}. "
                                 f"Les sauvegardes restent sur le serveur : elles contiennent des données personnelles.")


@admin_only
async def health(update: Update, context: BotContext) -> None:
    """/etat: version, uptime, database size, last backup, reminders pending and failed, last errors."""
    services = context.services
    now = context.now()
    up = now - services.started_at.astimezone(PARIS)
    size = services.settings.database_path.stat().st_size // 1024 if services.settings.database_path.exists() else 0
    last = await privacy.last_backup(context.db)
    backup_line = f"{format_short(datetime.fromisoformat(last[0]))} ({esc(last[1])})" if last else "aucune pour l'instant"
    pending = (await context.db.fetchone("SELECT COUNT(*) FROM reminders WHERE state IN ('pending', 'awaiting')"))[0]
    failed = (await context.db.fetchone("SELECT COUNT(*) FROM reminders WHERE state = 'failed'"))[0]
    errors = [f"{format_short(datetime.fromisoformat(at).astimezone(PARIS))} : {esc(kind)}"
              + (f" ({esc(during)})" if during else "")
              for at, kind, during in await error_log.latest(context.db)] or ["aucune"]
    await reply(update, context, "\n".join([
        "🩺 <b>État du bot</b>",
        f"Version : {context.services.version}",
        f"En marche depuis : {up.days} j {up.seconds // 3600} h {up.seconds % 3600 // 60} min",
        f"Base : {size} Ko ({esc(services.settings.database_path)})",
        f"Dernière sauvegarde : {backup_line}",
        f"Rappels en attente : {pending} · en échec : {failed}" + (" (voir /rappels)" if failed else ""),
        "Dernières erreurs : " + " ; ".join(errors),
    ]))


def provides() -> Provides:
    """Privacy: the retention warning before a dossier is anonymised, the retention itself, the nightly backup."""
    return Provides(kinds=(MessageKind("conservation", _render_warning),),
                    hooks=(Hook(next_due=_retention_due, run=_retention_run), Hook(next_due=_backup_due, run=_backup_run)))
