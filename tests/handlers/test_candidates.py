"""Step A end to end: the real Application on the fake Bot API, on a SQLite file."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from sandbox.sandbox import Person
from storage import candidates, dialogs
from tests.support import register_candidate, texts_of


async def test_new_candidate_happy_path(sb):
    out = await register_candidate(sb)
    card = texts_of(out)
    assert "Dossier n° 1 créé" in card
    assert "Marie Dupont" in card and "Médecin généraliste" in card
    assert "Entretien : jeudi 26 novembre 2026 à 14 h 00" in card
    assert "Statut : entretien planifié" in card
    stored = await candidates.get(sb.db, 1)
    assert (stored.first_name, stored.last_name, stored.profession) == ("Marie", "Dupont", "medecin_generaliste")
    assert stored.phone == "06 12 34 56 78" and stored.email is None
    assert stored.source == "ars" and stored.first_contact == "2026-11-23"
    assert stored.consent and stored.consent_date == "2026-11-23"
    assert stored.interview_at == "2026-11-26T13:00:00+00:00"  # 14:00 in Paris, stored in UTC
    assert stored.status == "entretien_planifie"
    events, total = await candidates.timeline(sb.db, 1)
    assert total == 1 and "source : ARS" in events[0].detail and events[0].user_id == 1001
    assert await dialogs.in_chat(sb.db, sb.settings.team_chat_id) == []  # the draft is gone


async def test_interview_date_is_read_back_before_saving(sb):
    await sb.say("cls", "/nouveau", "prive")
    for answer in ("Luc", "Martin"):
        await sb.say("cls", answer, "prive")
    await sb.press("cls", "Infirmier", "prive")
    await sb.press("cls", "Passer", "prive")
    await sb.press("cls", "Passer", "prive")
    await sb.press("cls", "CPAM", "prive")
    await sb.say("cls", "12/11", "prive")
    await sb.say("cls", "non", "prive")
    out = await sb.say("cls", "le 3 décembre à 10h30", "prive")
    assert "Entretien : mercredi 2 décembre" not in texts_of(out)
    assert "Entretien : jeudi 3 décembre 2026 à 10 h 30" in texts_of(out) and "C'est bien cela ?" in texts_of(out)
    out = await sb.press("cls", "Non, corriger", "prive")
    assert "Rendez-vous d'entretien" in texts_of(out)
    await sb.say("cls", "demain matin", "prive")
    await sb.press("cls", "Oui", "prive")
    out = await sb.press("cls", "Confirmer", "prive")
    stored = await candidates.get(sb.db, 1)
    assert stored.interview_at == "2026-11-24T08:00:00+00:00"
    assert not stored.consent and stored.first_contact == "2026-11-12"
    assert "Consentement au suivi : non" in texts_of(out)


async def test_unparseable_and_past_dates_are_refused_and_asked_again(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    await sb.say("cls", "Dupont")
    await sb.press("cls", "généraliste")
    await sb.say("cls", "06 12 34 56 78")
    await sb.press("cls", "Passer")
    await sb.press("cls", "ARS")
    await sb.press("cls", "Aujourd'hui")
    await sb.press("cls", "Oui")
    await sb.press("cls", "Oui")
    out = texts_of(await sb.say("cls", "quand il pourra"))
    assert "Je n'ai pas reconnu de date dans « quand il pourra »" in out
    assert "Rendez-vous d'entretien proposé" in out  # the same question again
    out = texts_of(await sb.say("cls", "hier 14h"))
    assert "dimanche 22 novembre 2026 à 14 h 00 est déjà passé" in out
    out = texts_of(await sb.say("cls", "jeudi"))
    assert "Il manque l'heure" in out
    dialog = (await dialogs.in_chat(sb.db, sb.settings.team_chat_id))[0]
    assert dialog.position == "interview_at" and "interview_at" not in dialog.data["values"]
    assert (await candidates.search(sb.db))[1] == 0


async def test_bad_phone_and_email_get_a_clear_reply(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    await sb.say("cls", "Dupont")
    await sb.press("cls", "généraliste")
    out = texts_of(await sb.say("cls", "12 34"))
    assert "n'est pas un numéro de téléphone valide" in out
    await sb.say("cls", "+33 6 12 34 56 78")
    out = texts_of(await sb.say("cls", "marie.dupont@"))
    assert "n'est pas une adresse e-mail valide" in out
    out = texts_of(await sb.say("cls", "Marie.Dupont@Exemple.fr"))
    assert "adressé" in out
    dialog = (await dialogs.in_chat(sb.db, sb.settings.team_chat_id))[0]
    assert dialog.data["values"]["phone"] == "06 12 34 56 78"
    assert dialog.data["values"]["email"] == "marie.dupont@exemple.fr"


async def test_restart_mid_registration_continues_at_the_same_question(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    await sb.say("cls", "Dupont")
    await sb.press("cls", "Sage-femme")
    await sb.restart()
    # the bot's last question is still in the group; the answer replies to it
    out = texts_of(await sb.say("cls", "06 12 34 56 78"))
    assert "adresse e-mail" in out
    await sb.press("cls", "Passer")
    await sb.press("cls", "Bouche")
    await sb.restart()
    await sb.press("cls", "Aujourd'hui")
    await sb.press("cls", "Oui")
    await sb.press("cls", "Non")  # follow-up yes, sharing no
    await sb.press("cls", "Pas encore de date")
    out = texts_of(await sb.press("cls", "Confirmer"))
    assert "Marie Dupont" in out and "Sage-femme" in out and "Bouche à oreille" in out
    stored = await candidates.get(sb.db, 1)
    assert stored.phone == "06 12 34 56 78" and stored.status == "nouveau" and stored.interview_at is None


async def test_a_crash_between_a_registration_answer_and_the_next_question_goes_on_at_restart(sb):
    """As for the interview (tests/handlers/test_interview.py): the answer kept in the draft, the next question not
    yet asked when the bot stopped; at restart the bot asks it. A question gone back to on purpose stays."""
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    sb.clock.advance(timedelta(minutes=1))
    (dialog,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    assert dialog.position == "last_name"
    # what the crashed bot had time to do: the answer written in the draft, the next question not yet asked
    dialog.data["values"]["last_name"] = "Dupont"
    dialog.data["at"]["last_name"] = sb.clock.utc_iso()
    await dialogs.save(sb.db, dialog, sb.clock.utc_iso())
    before = sb.api.visible(sb.chat_id("cls", "equipe"))[-1]["message_id"]
    await sb.restart()
    (resumed,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    latest = sb.api.visible(sb.chat_id("cls", "equipe"))[-1]
    assert resumed.position == "profession" and latest["message_id"] > before
    assert "Quelle est sa profession ?" in latest["text"]

    await sb.press("cls", "Sage-femme")
    await sb.say("cls", "06 12 34 56 78")
    await sb.press("cls", "Passer")
    await sb.press("cls", "Bouche")
    await sb.press("cls", "Aujourd'hui")
    await sb.press("cls", "Oui")
    await sb.press("cls", "Non")
    await sb.press("cls", "Pas encore de date")
    # at the summary, going back to a question answered before: the next restart leaves it there
    sb.clock.advance(timedelta(minutes=1))
    await sb.press("cls", "Prénom")
    (back,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    assert back.position == "first_name"
    await sb.restart()
    assert (await dialogs.in_chat(sb.db, sb.settings.team_chat_id))[0].position == "first_name"
    await sb.say("cls", "Marie-Anne")
    await sb.press("cls", "Confirmer")
    stored = await candidates.get(sb.db, 1)
    assert (stored.first_name, stored.last_name) == ("Marie-Anne", "Dupont")
    assert stored.consent_date == sb.clock.now().date().isoformat()  # the day of the answer, stamped to the second


async def test_nouveau_again_resumes_the_draft(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    out = texts_of(await sb.say("cls", "/nouveau"))
    assert "on reprend" in out and "nom" in out


async def test_cancel_discards_the_draft(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    out = texts_of(await sb.say("cls", "/annuler"))
    assert "Saisie annulée" in out
    assert await dialogs.in_chat(sb.db, sb.settings.team_chat_id) == []
    out = texts_of(await sb.say("cls", "/annuler"))
    assert "Aucune saisie en cours" in out


async def test_two_members_register_two_candidates_in_the_group_at_once(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cpts1", "/nouveau")
    # each answers by replying to their own question; the bot keeps the two drafts apart
    cls_question = sb.api.visible(sb.settings.team_chat_id)[-2]["message_id"]
    cpts_question = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    await sb.say("cls", "Marie", reply_to=cls_question)
    await sb.say("cpts1", "Hugo", reply_to=cpts_question)
    drafts = {d.user_id: d.data["values"] for d in await dialogs.in_chat(sb.db, sb.settings.team_chat_id)}
    assert drafts == {1001: {"first_name": "Marie"}, 1002: {"first_name": "Hugo"}}


async def test_group_privacy_mode_only_replies_reach_the_bot(sb):
    await sb.say("cls", "/nouveau")
    first_question = sb.api.log[-1]
    assert first_question.force_reply  # the reply box opens for the one who typed /nouveau
    assert await sb.say("cls", "Marie", reply_to=None) == []  # not a reply: Telegram does not deliver it
    out = texts_of(await sb.say("cls", "Marie", reply_to=first_question.message_id))
    assert "nom" in out


async def test_stranger_refused_in_private_and_ignored_in_group(sb):
    await register_candidate(sb)
    out = texts_of(await sb.say("curieux", "/dossier 1", "prive"))
    assert "réservé à l'équipe" in out and "Dupont" not in out
    assert await sb.say("curieux", "/dossiers", "equipe") == []
    assert await sb.say("curieux", "/dossier 1", "equipe") == []
    out = await sb.press_data("curieux", "c:1:view", "equipe")
    assert [s.text for s in out] == ["Ce bouton est réservé à l'équipe."]
    out = texts_of(await sb.say("curieux", "/moi", "prive"))
    assert "Votre identifiant Telegram" in out


async def test_list_and_filters(sb):
    await register_candidate(sb)
    await register_candidate(sb, first="Luc", last="Bernard", profession="Infirmier", interview=None)
    out = texts_of(await sb.say("cpts1", "/dossiers"))
    assert "n° 2 · Luc Bernard · Infirmier·e · nouveau" in out
    assert "n° 1 · Marie Dupont · Médecin généraliste · entretien planifié" in out
    assert "entretien le jeudi 26 novembre 2026 à 14 h 00" in out
    out = texts_of(await sb.say("cpts1", "/dossiers infirmier"))
    assert "Luc Bernard" in out and "Marie" not in out
    out = texts_of(await sb.say("cpts1", "/dossiers entretien planifié"))
    assert "Marie Dupont" in out and "Luc" not in out
    out = texts_of(await sb.say("cpts1", "/dossiers abandon"))
    assert "Aucun dossier ne correspond" in out
    out = texts_of(await sb.say("cpts1", "/dossiers zorglub"))  # neither a filter nor a name: said, with the help
    assert "Aucun dossier ne correspond à « zorglub »" in out and "Cherchez par nom" in out


async def test_card_bad_numbers(sb):
    assert "Indiquez le numéro" in texts_of(await sb.say("cls", "/dossier"))
    assert "Aucun dossier ne correspond à « abc »" in texts_of(await sb.say("cls", "/dossier abc"))  # a name searched
    assert "Indiquez le numéro du dossier" in texts_of(await sb.say("cls", "/dossier ²"))  # a digit, not a number
    assert "Aucun dossier n° 42" in texts_of(await sb.say("cls", "/dossier 42"))


async def test_correction_from_the_card(sb):
    await register_candidate(sb)
    await sb.say("cpts2", "/dossier 1")
    await sb.press("cpts2", "Corriger")
    await sb.press("cpts2", "Entretien")
    await sb.say("cpts2", "vendredi 9h30")
    out = texts_of(await sb.press("cpts2", "Oui"))
    assert "Entretien du dossier n° 1 : vendredi 27 novembre 2026 à 9 h 30" in out
    stored = await candidates.get(sb.db, 1)
    assert stored.interview_at == "2026-11-27T08:30:00+00:00"
    events, _ = await candidates.timeline(sb.db, 1)
    assert events[-1].detail == ("Entretien : jeudi 26 novembre 2026 à 14 h 00 → vendredi 27 novembre 2026 à 9 h 30")
    assert events[-1].user_id == 1003
    # clearing an optional field
    await sb.say("cpts2", "/dossier 1")
    await sb.press("cpts2", "Corriger")
    await sb.press("cpts2", "Téléphone")
    await sb.press("cpts2", "Effacer")
    assert (await candidates.get(sb.db, 1)).phone is None


async def test_status_moves_follow_the_pipeline(sb):
    await register_candidate(sb)
    await sb.say("cls", "/dossier 1")
    out = await sb.press("cls", "Changer le statut")
    labels = [b["text"] for row in out[-1].buttons for b in row]
    assert labels == ["➡️ nouveau", "➡️ entretien fait", "➡️ abandon", "⬅️ Retour à la fiche"]
    out = texts_of(await sb.press("cls", "abandon"))
    assert "Statut : abandon" in out
    assert (await candidates.get(sb.db, 1)).status == "abandon"
    # a forged move to a status the pipeline forbids changes nothing
    card = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    out = await sb.press_data("cls", "c:1:mv:7", message_id=card)  # abandon -> installé
    assert "ne peut pas passer à « installé »" in out[-1].text
    assert (await candidates.get(sb.db, 1)).status == "abandon"


async def test_forged_and_stale_buttons_change_nothing(sb):
    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    await sb.say("cls", "Dupont")
    question = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    before = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    for data in ("f:1:2:o99", "f:1:0:o1", "f:999:2:o1", "f:1:s:ok", "f:x:y:z", "c:1:view", "c:9:fx:0",
                 "zzz", "f:1:2:o1:extra", "c:1:fx:999", "c:1:mv:abc"):
        out = await sb.press_data("cls", data, message_id=question)
        assert out and out[-1].kind == "toast", data
    # another member cannot answer someone else's draft through its buttons
    out = await sb.press_data("cpts1", "f:1:2:o0", message_id=question)
    assert out[-1].text == "Ce bouton n'est plus valable."
    assert await dialogs.in_chat(sb.db, sb.settings.team_chat_id) == before
    # an old question's button, once answered, is stale
    await sb.press("cls", "généraliste")
    out = await sb.press_data("cls", "f:1:2:o1", message_id=question)
    assert out[-1].text == "Ce bouton n'est plus valable."
    dialog = (await dialogs.in_chat(sb.db, sb.settings.team_chat_id))[0]
    assert dialog.data["values"]["profession"] == "medecin_generaliste"


async def test_unknown_command_and_text_outside_a_dialog(sb):
    assert "Je ne connais pas la commande /bonjour" in texts_of(await sb.say("cls", "/bonjour"))
    assert "Je n'attends pas de réponse" in texts_of(await sb.say("cls", "salut", "prive"))
    assert await sb.say("cls", "salut tout le monde") == []  # group chatter is not for the bot


async def test_help_and_start(sb):
    out = texts_of(await sb.say("cpts1", "/start", "prive"))
    assert "Bonjour Paul Roche" in out and "/nouveau" in out and "/entretien" in out
    assert "A. Recueil des candidats" in texts_of(await sb.say("cpts1", "/aide"))
    assert {c["command"] for c in sb.api.commands} >= {"nouveau", "dossiers", "dossier", "aide"}


async def test_same_update_delivered_twice_is_handled_once(sb):
    await sb.say("cls", "/nouveau")
    update = sb.api.user_message(1001, sb.settings.team_chat_id, "Marie",
                                 reply_to=sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"])
    sb.api.take_updates()
    from telegram import Update
    await sb.app.process_update(Update.de_json(update, sb.app.bot))
    first = sb.new_output()
    await sb.app.process_update(Update.de_json(update, sb.app.bot))
    assert first and sb.new_output() == []


async def test_bot_added_to_another_group_leaves(sb):
    sb.api.add_group(-100777, "Autre groupe")
    sb.api.bot_added_to(-100777, 1001)
    out = await sb._process()
    assert "il quitte ce groupe" in texts_of(out)
    assert -100777 in sb.api.left_chats


async def test_members_managed_by_admins(sb):
    out = texts_of(await sb.say("cpts1", "/membre_ajouter 2002 cpts Léa Petit"))
    assert "réservée aux administrateurs" in out
    out = texts_of(await sb.say("cls", "/membre_ajouter 2002 cpts Léa Petit"))
    assert "Léa Petit fait maintenant partie de l'équipe" in out
    sb.people["lea"] = Person("lea", 2002, "Léa", "cpts")
    sb.api.add_user(2002, "Léa")
    assert "A. Recueil" in texts_of(await sb.say("lea", "/aide", "prive"))
    out = texts_of(await sb.say("cls", "/membres"))
    assert "Léa Petit — CPTS" in out
    out = texts_of(await sb.say("cls", "/membre_retirer 1003"))
    assert "Anne Vidal ne fait plus partie de l'équipe" in out
    assert "réservé à l'équipe" in texts_of(await sb.say("cpts2", "/dossiers", "prive"))
    await sb.restart()  # a member removed from the chat stays removed though configured
    assert "réservé à l'équipe" in texts_of(await sb.say("cpts2", "/dossiers", "prive"))
    huge = "9" * 30
    for typed, usage in ((f"/membre_ajouter {huge} cpts Léa Petit", "Usage : /membre_ajouter"),
                         ("/membre_ajouter ² cpts Léa Petit", "Usage : /membre_ajouter"),
                         (f"/membre_retirer {huge}", "Usage : /membre_retirer"), ("/membre_retirer ²", "Usage : /membre_retirer")):
        out = texts_of(await sb.say("cls", typed))  # no error from int() nor from SQLite's integers
        assert usage in out and "erreur inattendue" not in out, (typed, out)
    assert "Léa Petit — CPTS" in texts_of(await sb.say("cls", "/membres"))  # the team as it was


async def test_errors_are_told_in_french_without_traceback(sb, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(candidates, "search", broken)
    out = texts_of(await sb.say("cls", "/dossiers"))
    assert "Une erreur inattendue est survenue" in out
    assert "RuntimeError" not in out and "disk on fire" not in out


async def test_long_timeline_is_cut_and_card_fits(sb):
    await register_candidate(sb)
    for i in range(20):
        sb.clock.advance(timedelta(minutes=1))
        await sb.say("cls", "/dossier 1")
        await sb.press("cls", "Corriger")
        await sb.press("cls", "Prénom")
        await sb.say("cls", f"Marie{i}")
    out = texts_of(await sb.say("cls", "/dossier 1"))
    assert "événement(s) plus ancien(s)" in out and "Marie19" in out


async def test_a_correction_from_the_recap_edits_the_recap_in_place(sb):
    await register_candidate(sb, interview=None)  # confirmed: start another to stay on its recap
    await sb.say("cls", "/nouveau")
    for text in ("Jean", "Martin"):
        await sb.say("cls", text)
    for label in ("généraliste",):
        await sb.press("cls", label)
    await sb.say("cls", "06 00 00 00 00")
    for label in ("Passer", "CPAM", "Aujourd'hui", "Oui", "Oui", "Pas encore de date"):
        await sb.press("cls", label)
    recap = sb.api.last_with_buttons(sb.settings.team_chat_id)
    assert "Récapitulatif" in recap["text"]
    [data] = [b["callback_data"] for row in recap["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "✏️ Nom"]
    out = await sb.press_data("cls", data, message_id=recap["message_id"])
    assert [s.kind for s in out if s.chat_id < 0] == ["edit"]  # the recap turns into the question
    out = await sb.say("cls", "Martin-Durand", reply_to=recap["message_id"])
    group = [s for s in out if s.chat_id < 0]
    assert [(s.kind, s.message_id) for s in group] == [("edit", recap["message_id"])]
    assert "• Nom : Martin-Durand" in group[0].text and "Récapitulatif" in group[0].text


@pytest.mark.parametrize("command", ["dossier", "entretien", "croisement", "sondage", "debrief"])
async def test_a_file_number_that_does_not_exist_is_said_so(sb, command):
    await register_candidate(sb)
    assert "Aucun dossier n° 999. Tapez /dossiers pour la liste." in texts_of(await sb.say("cls", f"/{command} 999"))
    assert f"Indiquez le numéro du dossier, par exemple : /{command} 12" in texts_of(await sb.say("cls", f"/{command}"))
    assert "Indiquez le numéro du dossier" in texts_of(await sb.say("cls", f"/{command} douze"))
    # a number longer than any file's: no such file either, not a request for a number
    assert "Aucun dossier n° 99999999999999999999… Tapez" in texts_of(await sb.say("cls", f"/{command} {'9' * 40}"))


@pytest.mark.parametrize(("command", "what", "listing"), [("inviter_lieu", "lieu", "lieux"), ("inviter_elu", "élu", "elus"),
                                                         ("rgpd_export", "dossier", "dossiers"),
                                                         ("rgpd_effacer", "dossier", "dossiers")])
async def test_the_other_numbered_commands_say_which_number_does_not_exist(sb, command, what, listing):
    await register_candidate(sb)
    before = len(sb.api.calls)
    assert f"Aucun {what} n° 999. Tapez /{listing} pour la liste." in texts_of(await sb.say("cls", f"/{command} 999", "prive"))
    assert [m for m, _ in sb.api.calls[before:]] == ["sendMessage"]  # no link, no file, nothing asked to confirm
    assert f"/{command} " in texts_of(await sb.say("cls", f"/{command} douze", "prive"))


async def test_a_name_refuses_line_breaks_control_and_invisible_characters_and_needs_a_letter(sb):
    """A name goes into e-mail subjects, spreadsheets and every message: typed with a line break, NUL, ESC, a
    right-to-left override or only zero-width spaces, it is refused in French and the question asked again."""
    from storage import dialogs

    await sb.say("cls", "/nouveau")
    await sb.say("cls", "Marie")
    for typed, says in (("Dupont\nBcc: x@exemple.invalid", "une seule ligne"), ("Du\x00pont", "caractère invisible"),
                        ("Du\x1b[31mpont", "caractère invisible"), ("\u202etnopuD", "caractère invisible"),
                        ("\u200b\u200b", "caractère invisible"), ("1234", "au moins une lettre"),
                        ("--", "au moins une lettre")):
        out = texts_of(await sb.say("cls", typed))
        assert says in out and "rien n'a été enregistré" in out, typed
        (dialog,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
        assert dialog.position == "last_name" and "last_name" not in dialog.data.get("values", {})
    await sb.say("cls", "Dupont-Lefèvre")
    (dialog,) = await dialogs.in_chat(sb.db, sb.settings.team_chat_id)
    assert dialog.data["values"]["last_name"] == "Dupont-Lefèvre" and dialog.position == "profession"


async def test_a_dossier_is_found_by_name_first_name_phone_or_email_whatever_the_accents_and_case(sb):
    await register_candidate(sb, first="Samia", last="Bénali", phone="06 11 22 33 44")
    await register_candidate(sb, first="Luc", last="Bernard", profession="Infirmier", interview=None, phone=None)
    await register_candidate(sb, first="Léa", last="O'Brien", interview=None, phone="07 55 66 77 88")
    for typed in ("Benali", "BÉNALI", "bena", "samia", "0611", "06 11 22", "sam ben"):
        out = texts_of(await sb.say("cls", f"/dossiers {typed}"))
        assert "n° 1 · Samia Bénali" in out and "Bernard" not in out, typed
    out = texts_of(await sb.say("cls", "/dossiers b"))  # a letter: every name that has it
    assert "Bénali" in out and "Bernard" in out and "O'Brien" in out
    assert "Luc Bernard" in texts_of(await sb.say("cls", "/dossiers infirmier bern"))  # with a filter
    assert "Aucun dossier ne correspond à « bernard »" in texts_of(await sb.say("cls", "/dossiers abandon bernard"))
    # /dossier with a name: one match, its card; several, the list
    card = texts_of(await sb.say("cls", "/dossier benali"))
    assert "📁 Dossier n° 1 — Samia Bénali" in card
    listing = texts_of(await sb.say("cls", "/dossier b"))
    assert "📂" in listing and "Bénali" in listing and "Bernard" in listing
    assert "📁 Dossier n° 3 — Léa O'Brien" in texts_of(await sb.say("cls", "/dossier o'brien"))
    # the worst input: nothing, SQL-looking text, LIKE's own signs, an emoji, too many words
    for typed in ("'; DROP TABLE candidates; --", "%", "_", "\\", "🙂", "zzz"):
        out = texts_of(await sb.say("cls", f"/dossiers {typed}"))
        assert "Aucun dossier ne correspond" in out, typed
    assert "Recherche trop longue" in texts_of(await sb.say("cls", "/dossiers a b c d e f"))
    assert "Recherche trop longue" in texts_of(await sb.say("cls", "/dossiers " + "x" * 101))
    assert len(texts_of(await sb.say("cls", "/dossiers")).split("n° ")) == 4  # all three still there


async def test_a_note_at_any_time_from_the_command_or_the_card_signed_dated_and_kept_with_the_dossier(sb):
    from storage import privacy

    await register_candidate(sb)
    out = texts_of(await sb.say("cpts1", "/note 1 a rappelé, visite de l'école de Conliège souhaitée"))
    assert "📝 Note ajoutée au dossier." in out
    assert "a rappelé, visite de l'école de Conliège souhaitée (Paul Roche)" in out  # signed, in the history
    await sb.say("cls", "/dossier 1")
    await sb.press("cls", "📝 Note")
    out = texts_of(await sb.say("cls", "Souhaite un logement pour septembre."))
    assert "Souhaite un logement pour septembre. (Claire Martin)" in out
    # the worst input: too long by one, none, no such dossier, a control character
    assert "C'est trop long pour une note" in texts_of(await sb.say("cls", "/note 1 " + "x" * 1501))
    assert "📝 Note ajoutée" in texts_of(await sb.say("cls", "/note 1 " + "y" * 1500))
    assert "Indiquez le numéro du dossier puis la note" in texts_of(await sb.say("cls", "/note"))
    assert "Aucun dossier n° 9." in texts_of(await sb.say("cls", "/note 9 bonjour"))
    assert "caractère invisible" in texts_of(await sb.say("cls", "/note 1 a\x1bb"))
    sheet = load_workbook(io.BytesIO((await sb.say("cls", "/export"))[-1].file_data))["Candidats"]
    header = [c.value for c in sheet[1]]
    noted = sheet.cell(row=2, column=header.index("Notes") + 1).value
    assert noted.startswith("23/11/2026 : a rappelé, visite de l'école de Conliège souhaitée\n23/11/2026 : Souhaite")
    notes = [e for e in (await privacy.everything_about(sb.db, 1))["historique"] if e["kind"] == "note"]
    assert [len(n["detail"]) for n in notes] == [len("a rappelé, visite de l'école de Conliège souhaitée"),
                                                 len("Souhaite un logement pour septembre."), 1500]
    await sb.say("cls", "/rgpd_effacer 1")
    await sb.press("cls", "Effacer")
    await sb.press("cls", "Oui, effacer définitivement")
    after = [e for e in (await privacy.everything_about(sb.db, 1))["historique"] if e["kind"] == "note"]
    assert all("Conliège" not in (e["detail"] or "") for e in after)  # erased with the rest
