"""Every guided exchange can be stopped at every step, and one member's open exchange never swallows another's
answers without saying so."""

import re
from datetime import timedelta

import pytest

from bot.app import collect_wiring
from sandbox.sandbox import Sandbox
from storage import candidates, dialogs, interviews
from tests.conftest import MONDAY
from tests.handlers.test_polls import prepared, send_poll
from tests.handlers.test_sites import GOOD, add_elu, import_sites, interview_for_croisement
from tests.support import register_candidate, texts_of, to_croisement, to_follow_up


async def open_forms(sb, who, chat):
    return [d.form for d in await dialogs.in_chat(sb.db, sb.chat_id(who, chat))]


# how to open each exchange: (who, chat) where it runs, and the steps that open it
async def _nouveau(sb):
    await sb.say("cls", "/nouveau")


async def _note(sb):
    await register_candidate(sb)
    await sb.say("cls", "/note 1")


async def _corriger(sb):
    await register_candidate(sb)
    await sb.say("cls", "/dossier 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Entretien")


async def _entretien(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")


async def _lieu(sb):
    await sb.say("cls", "/lieu_nouveau")


async def _lieu_corriger(sb):
    await import_sites(sb, GOOD)
    await sb.say("cls", "/lieu 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Dynamique")


async def _elu(sb):
    await sb.say("cls", "/elu_ajouter")


async def _elu_corriger(sb):
    await add_elu(sb, "Jeanne Roux", "Conliège")
    await sb.say("cls", "/elu 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Mandat")


async def _croisement(sb):
    await import_sites(sb, GOOD)
    await interview_for_croisement(sb)
    await sb.say("cls", "/croisement 1")


async def _creneau(sb):
    await prepared(sb, sites_chosen=1)
    await send_poll(sb)
    await sb.press("cpts1", "Ajouter un créneau")


async def _echeance(sb):
    await prepared(sb, sites_chosen=1)
    await send_poll(sb)
    await sb.press("cpts1", "Prolonger")


async def _debrief_soir(sb):
    await to_croisement(sb)
    await sb.say("cls", "/visites 1 jeudi 3 décembre : MSP de Conliège")
    await sb.say("cls", "/debrief 1")


async def _debrief_distance(sb):
    await _debrief_soir(sb)
    while "Récapitulatif" not in sb.last_text():
        await sb.press("cls", "Passer")
    await sb.press("cls", "Confirmer")
    await sb.say("cls", "/debrief 1")


async def _suivi(sb):
    await to_follow_up(sb)
    await sb.advance(timedelta(days=101))
    await sb.press("cls", "Fait")


async def _reporter(sb):
    await sb.say("cls", "/rappel relancer la mairie demain 10h")
    await sb.advance(timedelta(days=1, hours=1))
    await sb.press("cls", "Reporter")
    await sb.press("cls", "Autre date")


async def _import_lieux(sb):
    await sb.say("cls", "/lieux_import")


async def _import_communes(sb):
    await sb.say("cls", "/communes_import")


async def _commentaire(sb):
    await prepared(sb, sites_chosen=1)
    await send_poll(sb)
    await sb.press("alice", "Ajouter un commentaire", "prive")


OPENERS = {
    "nouveau": ("cls", "equipe", _nouveau), "corriger": ("cls", "equipe", _corriger), "note": ("cls", "equipe", _note),
    "entretien": ("cls", "equipe", _entretien), "lieu": ("cls", "equipe", _lieu),
    "lieu_corriger": ("cls", "equipe", _lieu_corriger), "elu": ("cls", "equipe", _elu),
    "elu_corriger": ("cls", "equipe", _elu_corriger), "croisement": ("cls", "equipe", _croisement),
    "creneau": ("cpts1", "equipe", _creneau), "echeance": ("cpts1", "equipe", _echeance),
    "debrief_soir": ("cls", "equipe", _debrief_soir), "debrief_distance": ("cls", "equipe", _debrief_distance),
    "suivi": ("cls", "equipe", _suivi), "reporter": ("cls", "equipe", _reporter),
    "import_lieux": ("cls", "equipe", _import_lieux), "import_communes": ("cls", "equipe", _import_communes),
    "commentaire": ("alice", "prive", _commentaire),
}


def test_every_exchange_of_the_bot_is_covered_here():
    wiring = collect_wiring()
    assert set(OPENERS) == set(wiring.flows) | set(wiring.waits)


@pytest.mark.parametrize("form", sorted(OPENERS))
async def test_every_exchange_can_be_cancelled(sb, form):
    who, chat, opener = OPENERS[form]
    await opener(sb)
    assert form in await open_forms(sb, who, chat)
    out = texts_of(await sb.say(who, "/annuler" if who in ("cls", "cpts1") else "annuler", chat, reply_to=None))
    assert re.search(r"annulé|abandonné|en pause", out), out
    assert "erreur" not in out.lower()
    assert form not in await open_forms(sb, who, chat)
    assert "Aucune saisie en cours" in texts_of(await sb.say("cls", "/annuler"))


NEW_CANDIDATE_STEPS = [("say", "Marie"), ("say", "Dupont"), ("press", "généraliste"), ("say", "06 12 34 56 78"),
                       ("press", "Passer"), ("press", "ARS"), ("press", "Aujourd'hui"), ("press", "Oui"),
                       ("press", "Oui"), ("say", "jeudi 14h"), ("press", "Oui")]


@pytest.mark.parametrize("steps", range(len(NEW_CANDIDATE_STEPS) + 1))
async def test_a_form_is_cancelled_at_any_step_and_records_nothing(sb, steps):
    await sb.say("cls", "/nouveau")
    for how, what in NEW_CANDIDATE_STEPS[:steps]:
        await (sb.say("cls", what) if how == "say" else sb.press("cls", what))
    out = texts_of(await sb.say("cls", "/annuler"))
    assert "Saisie annulée : rien n'a été enregistré" in out
    assert await open_forms(sb, "cls", "equipe") == []
    assert await candidates.get(sb.db, 1) is None


async def test_cancelling_a_spreadsheet_import_then_its_file_is_not_taken(sb):
    await sb.say("cls", "/lieux_import")
    out = texts_of(await sb.say("cls", "/annuler"))
    assert "Import des lieux d'exercice annulé : rien n'a été importé." in out
    from domain.spreadsheets import write_xlsx
    from tests.handlers.test_sites import HEADER
    out = texts_of(await sb.send_file("cls", "lieux.xlsx", write_xlsx([("Lieux", HEADER, GOOD)])))
    assert "Je ne sais pas quoi faire de ce fichier" in out


@pytest.fixture
async def open_sb(tmp_path):
    """A team group with Telegram's privacy mode off: the bot reads every message, replies or not."""
    async with Sandbox(tmp_path / "bot.sqlite3", start=MONDAY, privacy_mode=False) as sandbox:
        yield sandbox


async def test_an_open_import_does_not_swallow_the_interview_answers(open_sb):
    sb = open_sb
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    question = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    await sb.say("cpts1", "/lieux_import")
    # typed without « Répondre » (privacy mode off): the interview takes it, and says so
    out = texts_of(await sb.say("cpts1", "oui", reply_to=None))
    assert "Réponse prise pour « entretien »" in out and "« import des lieux d'exercice »" in out
    assert (await interviews.answers(sb.db, 1))[0].value is True
    # a reply to the interview's question goes there without a note
    current = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    assert current != question
    out = texts_of(await sb.say("cpts1", "non", reply_to=current))
    assert "Réponse prise" not in out
    # a text in reply to the import request: the import still waits for its file
    request = next(m["message_id"] for m in reversed(sb.api.visible(sb.settings.team_chat_id))
                   if "Envoyez le fichier" in m.get("text", ""))
    out = texts_of(await sb.say("cpts1", "bonjour", reply_to=request))
    assert "J'attends le tableau des lieux d'exercice" in out
    assert "import_lieux" in await open_forms(sb, "cpts1", "equipe")


async def test_a_member_alone_with_an_import_is_told_what_it_waits_for(open_sb):
    sb = open_sb
    await sb.say("cls", "/lieux_import")
    out = texts_of(await sb.say("cls", "MSP de Conliège", "equipe", reply_to=None))
    assert "J'attends le tableau des lieux d'exercice" in out and "/annuler" in out


async def test_a_summary_button_pressed_on_another_message_changes_nothing_and_numbers_are_never_given_twice(sb):
    """The owner of a form at its summary sends its « Confirmer » data on an unrelated message: nothing is saved,
    that message is not touched; a dialog's number is never given again, so an old button opens nothing new."""
    from storage import candidates, dialogs

    await sb.say("cls", "/aide")  # an unrelated message of the bot, in the same chat
    unrelated = sb.api.visible(sb.settings.team_chat_id)[-1]
    await sb.say("cls", "/nouveau")
    for answer in ("Marie", "Dupont"):
        await sb.say("cls", answer)
    for label in ("généraliste", "Passer", "Passer", "ARS", "Aujourd'hui", "Oui", "Oui", "Pas encore de date"):
        await sb.press("cls", label)
    (dialog,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    assert dialog.position == ""  # at the summary
    out = await sb.press_data("cls", f"f:{dialog.id}:s:ok", message_id=unrelated["message_id"])
    assert [s.text for s in out if s.kind == "toast"] == ["Ce bouton n'est plus valable."]
    assert not [s for s in out if s.kind != "toast"]  # nothing edited, nothing sent
    assert await candidates.get(sb.db, 1) is None and await dialogs.get(sb.db, dialog.id) is not None
    await sb.press("cls", "Confirmer")  # on the summary itself, it is saved
    assert (await candidates.get(sb.db, 1)).last_name == "Dupont"

    await sb.say("cls", "/nouveau")
    (second,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    await sb.say("cls", "/annuler")
    await sb.say("cls", "/nouveau")
    (third,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    assert len({dialog.id, second.id, third.id}) == 3
    out = await sb.press_data("cls", f"f:{second.id}:0:skip")  # the cancelled one's button, on the newest message
    assert [s.text for s in out if s.kind == "toast"] == ["Ce bouton n'est plus valable."]
