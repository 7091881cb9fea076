"""The composition root: the Application, every handler in one table, and what every step provides."""

from __future__ import annotations

import gc
import logging

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import __version__
from bot.config import Settings
from bot.pace import ChatOrderedProcessor, LoopTime, TelegramPace
from delivery import engine
from delivery.clock import Clock
from delivery.services import Services, Team
from handlers import (
    common,
    croisement,
    dialog,
    dossiers,
    elus,
    followups,
    interview,
    lieux,
    links,
    mail,
    polls,
    privacy,
    rappels,
    reporting,
    team,
    visits,
)
from handlers.context import BotContext
from handlers.wiring import Wiring
from storage import members, outbox
from storage.db import READERS, Database

log = logging.getLogger(__name__)

# The command menu Telegram shows; /aide lists them all by protocol step.
COMMANDS = [
    BotCommand("nouveau", "Enregistrer un candidat"),
    BotCommand("dossiers", "Liste des candidats"),
    BotCommand("dossier", "Fiche d'un candidat : /dossier N ou /dossier nom"),
    BotCommand("note", "Note sur un dossier : /note N texte"),
    BotCommand("entretien", "Mener l'entretien : /entretien N"),
    BotCommand("croisement", "Croisement des données : /croisement N"),
    BotCommand("lieux", "Lieux d'exercice"),
    BotCommand("lieu", "Fiche d'un lieu : /lieu N"),
    BotCommand("lieu_nouveau", "Ajouter un lieu d'exercice"),
    BotCommand("elus", "Élus du territoire"),
    BotCommand("sondage", "Sondage de disponibilité des lieux : /sondage N"),
    BotCommand("lien", "Liens personnels des lieux (e-mail) : /lien N"),
    BotCommand("visites", "Planifier les visites à la main : /visites N date : lieux"),
    BotCommand("debrief", "Débriefing des visites : /debrief N"),
    BotCommand("export", "Tableau de reporting (Excel) : /export [csv] [période]"),
    BotCommand("reunions", "Réunions et synthèses"),
    BotCommand("synthese", "Synthèse pour une réunion : /synthese copil"),
    BotCommand("rappel", "Nouveau rappel : /rappel texte + date"),
    BotCommand("rappels", "Rappels en attente"),
    BotCommand("annuler", "Abandonner la saisie en cours"),
    BotCommand("membres", "L'équipe"),
    BotCommand("aide", "Les commandes, étape par étape"),
]


def build_application(
    settings: Settings, *, request: BaseRequest | None = None, clock: Clock | None = None, rate_limiter: bool = True,
    autoschedule: bool = True, nightly_backups: bool = True, serial: bool = False, readers: int = READERS,
    pace_clock: LoopTime | None = None, freeze_loaded: bool = False,
) -> Application:
    """The bot, ready to initialise; ``request`` replaces the network (the in-process fake Bot API). ``serial`` (one
    update at a time for the whole bot) and ``readers`` (SQLite reader connections) are there for the benchmarks to
    compare with; ``pace_clock`` is the limiter's (the sandbox's skips the waits). ``freeze_loaded``, for
    ``python -m bot``: once started, what is loaded is set aside from the garbage collector
    (``freeze_what_is_loaded``)."""
    builder = (
        Application.builder()
        .token(settings.bot_token)
        .defaults(Defaults(tzinfo=settings.zone, parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .context_types(ContextTypes(context=BotContext))
        # chats in parallel, each chat's updates in order (a guided exchange reads and writes its state in turn)
        .concurrent_updates(False if serial else ChatOrderedProcessor())
        .post_init(startup)
        .post_shutdown(shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        base = settings.bot_api_base_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if rate_limiter:
        # Telegram's limits (30 new messages/s in all, 20/min per group, 1/s per private chat), a 429 retried
        builder = builder.rate_limiter(TelegramPace(clock=pace_clock))
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["clock"] = clock or Clock()
    app.bot_data["autoschedule"] = autoschedule
    app.bot_data["nightly_backups"] = nightly_backups
    app.bot_data["readers"] = readers
    app.bot_data["freeze_loaded"] = freeze_loaded
    app.bot_data["wiring"] = collect_wiring()
    register_handlers(app)
    return app


def collect_wiring() -> Wiring:
    """What each step provides besides its commands and buttons (forms, message kinds, timed work, card buttons,
    welcomes), collected in protocol order. Timed work runs in this order at each wake: e-mails first, so that
    what a poll's deadline queues goes at the next wake, as before."""
    return Wiring.collect([
        mail.provides(),  # e-mails to sites and élus, from the outbox
        dossiers.provides(),  # A: new candidate, corrections
        interview.provides(),  # B: the interview
        lieux.provides(),  # C: practice sites, their imports
        elus.provides(),  # C: élus
        croisement.provides(),  # C: the croisement and its élus' draft
        polls.provides(),  # C–D: availability polls and the visit day
        visits.provides(),  # D: the eve of the visits, the debriefs
        followups.provides(),  # E: the calls at 3, 6 and 12 months
        reporting.provides(),  # F: summaries before meetings, the weekly pulse
        rappels.provides(),  # free reminders, and reporting any reminder to a date
        privacy.provides(),  # retention, backups
    ])


def register_handlers(app: Application) -> None:
    """Every handler, in one place. Groups run in order; within a group the first match wins."""
    # -1: the gate — drops repeated updates and anyone outside the team, identifies the member
    app.add_handler(TypeHandler(Update, common.gate), group=-1)

    # 0: what users ask for
    app.add_handler(ChatMemberHandler(common.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", common.start, filters.ChatType.PRIVATE))
    app.add_handler(CommandHandler("aide", common.help_command))
    app.add_handler(CommandHandler("help", common.help_command))
    app.add_handler(CommandHandler("moi", common.whoami))
    # step A: candidates
    app.add_handler(CommandHandler("nouveau", dossiers.new_candidate))
    app.add_handler(CommandHandler("dossiers", dossiers.list_candidates))
    app.add_handler(CommandHandler("dossier", dossiers.show_card))
    app.add_handler(CommandHandler("note", dossiers.note_command))
    app.add_handler(CallbackQueryHandler(dossiers.on_card_button, pattern=r"^c:"))
    # step B: the interview
    app.add_handler(CommandHandler("entretien", interview.start_interview))
    # step C: practice sites, territory, élus, the croisement
    app.add_handler(CommandHandler("croisement", croisement.croisement_command))
    app.add_handler(CallbackQueryHandler(croisement.on_notice_button, pattern=r"^e:"))
    app.add_handler(CommandHandler("lieux", lieux.list_sites))
    app.add_handler(CommandHandler("lieu", lieux.show_site))
    app.add_handler(CommandHandler("lieu_nouveau", lieux.new_site))
    app.add_handler(CommandHandler("inviter_lieu", lieux.invite_site))
    app.add_handler(CommandHandler("lieux_export", lieux.export_sites))
    app.add_handler(CommandHandler("lieux_import", lieux.import_sites_command))
    app.add_handler(CallbackQueryHandler(lieux.on_site_button, pattern=r"^s:"))
    app.add_handler(CommandHandler("communes", elus.list_communes))
    app.add_handler(CommandHandler("commune_ajouter", elus.add_commune))
    app.add_handler(CommandHandler("communes_import", elus.import_communes_command))
    app.add_handler(CommandHandler("elus", elus.list_elus))
    app.add_handler(CommandHandler("elu_ajouter", elus.new_elu))
    app.add_handler(CommandHandler("elu", elus.show_elu))
    app.add_handler(CallbackQueryHandler(elus.on_elu_button, pattern=r"^u:"))
    app.add_handler(CommandHandler("inviter_elu", elus.invite_elu))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL, lieux.on_document))
    # availability polls (instead of framadate) and the visit day
    app.add_handler(CommandHandler("sondage", polls.start_poll))
    app.add_handler(CommandHandler("sondage_cloner", polls.clone_poll))
    app.add_handler(CallbackQueryHandler(polls.on_team_button, pattern=r"^q:"))
    app.add_handler(CallbackQueryHandler(polls.on_site_button, pattern=r"^p:"))
    # the personal web links of sites without Telegram: revoke, renew
    app.add_handler(CommandHandler("lien", links.links_command))
    app.add_handler(CallbackQueryHandler(links.on_link_button, pattern=r"^w:"))
    # step D: visits and debriefs
    app.add_handler(CommandHandler("visites", visits.plan_visits))
    app.add_handler(CommandHandler("debrief", visits.debrief_command))
    # step F: the reporting table, meetings and their summaries
    app.add_handler(CommandHandler("export", reporting.export))
    app.add_handler(CommandHandler("reunion", reporting.add_meeting))
    app.add_handler(CommandHandler("reunions", reporting.list_meetings))
    app.add_handler(CommandHandler("synthese", reporting.summary_command))
    # reminders (the protocol's and free ones), with steps C and E acting from their buttons
    app.add_handler(CommandHandler("rappel", rappels.new_reminder))
    app.add_handler(CommandHandler("rappels", rappels.list_reminders))
    app.add_handler(CallbackQueryHandler(rappels.on_button, pattern=r"^r:"))
    app.add_handler(CallbackQueryHandler(rappels.on_list_button, pattern=r"^rl:"))
    # guided exchanges (new candidate, corrections, interview)
    app.add_handler(CommandHandler("annuler", dialog.cancel_command))
    app.add_handler(CallbackQueryHandler(dialog.on_button, pattern=r"^f:"))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, dialog.on_text))
    # privacy: the audit log, a candidate's data, erasure, backups
    app.add_handler(CommandHandler("journal", privacy.journal))
    app.add_handler(CommandHandler("rgpd_export", privacy.rgpd_export))
    app.add_handler(CommandHandler("rgpd_effacer", privacy.rgpd_erase))
    app.add_handler(CommandHandler("sauvegarde", privacy.backup_now))
    app.add_handler(CommandHandler("etat", privacy.health))
    app.add_handler(CallbackQueryHandler(privacy.on_privacy_button, pattern=r"^g:"))
    # the team
    app.add_handler(CommandHandler("membres", team.list_members))
    app.add_handler(CommandHandler("membre_ajouter", team.add_member))
    app.add_handler(CommandHandler("membre_retirer", team.remove_member))
    # last in the group: whatever no handler above took
    app.add_handler(MessageHandler(filters.COMMAND, common.unknown_command))
    app.add_handler(CallbackQueryHandler(common.unknown_button))

    # 100: after everything — the update is marked handled
    app.add_handler(TypeHandler(Update, common.mark_processed), group=100)

    app.add_error_handler(common.on_error)


async def startup(app: Application) -> None:
    """Open the database (migrating it), load the team, send what fell due while down, set the command menu."""
    settings: Settings = app.bot_data["settings"]
    clock: Clock = app.bot_data["clock"]
    db = await Database.open(settings.database_path, backup_dir=settings.backup_dir,
                             readers=app.bot_data.get("readers", READERS))
    await members.seed(db, settings.members())
    app.bot_data["services"] = Services(settings, db, clock, Team(), clock.now(),
                                        deliveries=app.bot_data["wiring"].deliveries, version=__version__,
                                        autoschedule=app.bot_data.get("autoschedule", True),
                                        nightly_backups=app.bot_data.get("nightly_backups", True))
    await team.refresh_team(app)
    await elus.seed_communes(db)
    await reporting.ensure_meetings(app.bot_data["services"])
    await outbox.release_interrupted(db)  # e-mails a crash left half-sent go again
    await engine.start_engine(app)
    await dialog.resume_interrupted(app)
    try:
        await app.bot.set_my_commands(COMMANDS)
    except TelegramError:
        log.warning("could not set the command menu")
    if app.bot_data.get("freeze_loaded"):
        freeze_what_is_loaded()


def freeze_what_is_loaded() -> int:
    """Once the bot has started: what it has loaded by then (its libraries, settings, team) lives as long as the
    process, so the garbage collector's full collections stop going through it all (about 100,000 objects, 22 ms a
    collection, while every page being served and every update waits: bench/notes.md). What is garbage is collected
    first, so that none is kept for good; what comes later is collected as usual. Returns how many objects were set
    aside. Not for the tests and the console, whose process starts many bots: each would keep the last one."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def shutdown(app: Application) -> None:
    services: Services | None = app.bot_data.get("services")
    if services is not None:
        await services.db.close()
