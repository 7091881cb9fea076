"""Step B end to end: the interview shared by two interviewers, through the real Application."""

from datetime import date

from domain.forms import Kind
from domain.interview import DYNAMIQUE_PROMPT, HESITANT_PROMPT, INTERVIEW
from storage import candidates, dialogs, interviews
from tests.support import register_candidate, texts_of

CANNED = {Kind.NUMBER: "2", Kind.TARGET: "septembre 2027",
          Kind.AVAILABILITY: "les mardis de janvier"}


async def current_dialog(sb, chat="equipe", who="cls"):
    chat_id = sb.chat_id(who, chat)
    found = [d for d in await dialogs.in_chat(sb.db, chat_id) if d.form == "entretien"]
    return found[0] if found else None


async def answer_current(sb, who: str, chat="equipe"):
    """Answer the question on screen the way an interviewer would, by its kind."""
    dialog = await current_dialog(sb, chat, who)
    q = INTERVIEW.question(dialog.position)
    if q.kind is Kind.YESNO:
        return await sb.press(who, "Oui", chat)
    if q.kind is Kind.CHOICE:
        return await sb.press(who, q.options[0].label, chat)
    if q.kind is Kind.MULTI:
        await sb.press(who, q.options[0].label, chat)
        return await sb.press(who, "Valider", chat)
    out = await sb.say(who, CANNED[q.kind] if q.kind in CANNED else f"{q.label} selon {who}", chat)
    if q.confirm:
        out = await sb.press(who, "Oui", chat)
    return out


async def test_whole_interview_by_two_interviewers_in_the_group(sb):
    await register_candidate(sb)
    out = texts_of(await sb.say("cls", "/entretien 1"))
    assert "Début de l'entretien" in out and "Présentation · question 1/" in out
    turn = 0
    while (await current_dialog(sb)).position != "":
        await answer_current(sb, ("cls", "cpts1")[turn % 2])
        turn += 1
    summary = sb.last_text()
    assert "📋 Récapitulatif" in summary
    assert "Projet professionnel (CPTS)" in summary and "Environnement professionnel et familial (CLS)" in summary
    assert "• Motivations : Motivations selon cpts1" in summary
    assert "• Nombre d'enfants : 2" in summary and "Âges des enfants" in summary
    out = texts_of(await sb.press("cpts1", "Confirmer"))
    assert "Entretien enregistré" in out and "avant le jeudi 3 décembre 2026" in out
    stored = await candidates.get(sb.db, 1)
    assert stored.status == "entretien_fait"
    assert stored.interview_done_at == "2026-11-23" and stored.croisement_due == "2026-12-03"
    answers = {a.question: a for a in await interviews.answers(sb.db, 1)}
    assert {a.answered_by for a in answers.values()} == {1001, 1002}  # each answer records who gave it
    assert answers["motivations"].answered_by == 1002 and answers["deroule"].answered_by == 1001
    assert answers["echeance"].value == {"text": "septembre 2027", "date": "2027-09-01"}
    assert answers["disponibilites"].value["days"][0] == ["2027-01-05", None]
    assert answers["enfants"].value == 2 and answers["modes"].value == ["liberal"]
    events, _ = await candidates.timeline(sb.db, 1)
    assert "Entretien fait avec Claire Martin et Paul Roche" in events[-1].detail
    assert await current_dialog(sb) is None


async def test_questions_name_the_interviewer_of_their_side(sb):
    await register_candidate(sb)
    await sb.say("cpts2", "/entretien 1")
    while (await current_dialog(sb)).position != "exercice":
        await answer_current(sb, "cls")
    assert "👤 Côté CPTS : Anne Vidal" in sb.last_text()  # the CPTS member who started it
    while (await current_dialog(sb)).position != "locaux":
        await answer_current(sb, "cpts2")
    assert "👤 Côté CLS : Claire Martin" in sb.last_text()
    interview = await interviews.get(sb.db, 1)
    assert (interview.cls_id, interview.cpts_id) == (1001, 1003)


async def test_skip_back_and_the_protocol_prompts(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Passer")  # déroulé
    out = texts_of(await sb.press("cls", "Retour"))
    assert "étapes de l'accompagnement" in out
    await sb.press("cls", "Non")
    await sb.say("cls", "Se rapprocher de sa famille")
    while (await current_dialog(sb)).position != "criteres":
        await answer_current(sb, "cpts1")
    out = texts_of(await sb.press("cpts1", "bien définis"))
    assert DYNAMIQUE_PROMPT in out
    await sb.press("cpts1", "Oui")
    while (await current_dialog(sb)).position != "besoins":
        await answer_current(sb, "cls")
    assert HESITANT_PROMPT in sb.last_text()
    answers = {a.question: a for a in await interviews.answers(sb.db, 1)}
    assert answers["deroule"].value is False and not answers["deroule"].skipped
    assert answers["belle_dynamique"].value is True


async def test_pause_and_resume_elsewhere_at_the_first_unanswered_question(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    await sb.say("cpts1", "Motivé par le projet de santé")
    out = texts_of(await sb.press("cpts1", "Pause"))
    assert "en pause : 2 question(s)" in out and "/entretien 1" in out
    assert await current_dialog(sb) is None
    out = texts_of(await sb.say("cpts2", "/entretien 1", "prive"))
    assert "Reprise de l'entretien : 2 réponse(s)" in out and "Calendrier du projet" in out
    # typing "pause" works too, and /annuler pauses rather than erases
    out = texts_of(await sb.say("cpts2", "/annuler", "prive"))
    assert "en pause" in out
    assert len(await interviews.answers(sb.db, 1)) == 2


async def test_resuming_in_another_chat_moves_the_interview(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    out = await sb.say("cls", "/entretien 1", "prive")
    assert any("continue dans une autre discussion" in s.text and s.chat_id == sb.settings.team_chat_id for s in out)
    # the group's old question is no longer answerable
    group_question = sb.api.last_with_buttons(sb.settings.team_chat_id)["message_id"]
    out = await sb.press_data("cls", f"f:{(await current_dialog(sb, 'prive', 'cls')).id}:1:skip",
                              message_id=group_question)
    assert out[-1].text == "Ce bouton n'est plus valable."


async def test_correction_from_the_summary(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    while (await current_dialog(sb)).position != "":
        await answer_current(sb, "cls")
    await sb.press("cls", "✏️ Loisirs")
    out = texts_of(await sb.say("cls", "Randonnée et escalade"))
    assert "📋 Récapitulatif" in out and "• Loisirs : Randonnée et escalade" in out
    await sb.press("cls", "✏️ Nombre d'enfants")
    out = texts_of(await sb.say("cls", "0"))
    assert "Âges des enfants" not in out  # questions that no longer apply leave the summary
    await sb.press("cls", "Confirmer")
    answers = {a.question: a for a in await interviews.answers(sb.db, 1)}
    assert answers["loisirs"].value == "Randonnée et escalade" and answers["enfants"].value == 0


async def test_two_interviews_at_once_in_two_chats(sb):
    await register_candidate(sb)
    await register_candidate(sb, first="Luc", last="Bernard", profession="Infirmier")
    await sb.say("cls", "/entretien 1")
    await sb.say("cpts1", "/entretien 2", "prive")
    await sb.press("cls", "Oui")
    await sb.press("cpts1", "Non", "prive")
    await sb.say("cls", "Pour Marie")
    await sb.say("cpts1", "Pour Luc", "prive")
    first = {a.question: a.value for a in await interviews.answers(sb.db, 1)}
    second = {a.question: a.value for a in await interviews.answers(sb.db, 2)}
    assert first == {"deroule": True, "motivations": "Pour Marie"}
    assert second == {"deroule": False, "motivations": "Pour Luc"}


async def test_two_interviews_in_the_group_follow_the_question_replied_to(sb):
    await register_candidate(sb)
    await register_candidate(sb, first="Luc", last="Bernard", profession="Infirmier")
    await sb.say("cls", "/entretien 1")
    marie_question = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    await sb.say("cpts1", "/entretien 2")
    await sb.press("cpts1", "Oui")  # Luc's first question
    await sb.say("cls", "Oui", reply_to=marie_question)
    assert {a.question for a in await interviews.answers(sb.db, 1)} == {"deroule"}
    assert {a.question for a in await interviews.answers(sb.db, 2)} == {"deroule"}


async def test_restart_mid_interview_loses_nothing(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    await sb.say("cpts1", "Changer de cadre de vie")
    await sb.press("cpts1", "Court")
    await sb.restart()
    out = texts_of(await sb.say("cpts1", "d'ici l'été"))
    assert "Échéance visée : d'ici l'été (vers le lundi 21 juin 2027)" in out
    await sb.restart()
    await sb.press("cpts1", "Oui")
    answers = {a.question: a.value for a in await interviews.answers(sb.db, 1)}
    assert answers["calendrier"] == "court" and answers["echeance"]["date"] == "2027-06-21"
    assert (await current_dialog(sb)).position == "disponibilites"


async def test_bad_answers_get_a_clear_reply_and_change_nothing(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")
    await sb.say("cls", "Motivations")
    out = texts_of(await sb.say("cls", "dans un futur proche"))
    assert "Choisissez l'une des réponses proposées" in out
    await sb.say("cls", "moyen terme")  # a choice typed by its label
    out = texts_of(await sb.say("cls", "je ne sais pas"))
    assert "Je n'ai pas reconnu d'échéance" in out and "Une date visée ?" in out
    await sb.press("cls", "Passer")
    while (await current_dialog(sb)).position != "enfants":
        await answer_current(sb, "cls")
    out = texts_of(await sb.say("cls", "quelques-uns"))
    assert "n'est pas un nombre" in out
    out = texts_of(await sb.say("cls", "deux"))
    assert "Âges des enfants" in out
    answers = {a.question: a for a in await interviews.answers(sb.db, 1)}
    assert answers["calendrier"].value == "moyen" and answers["echeance"].skipped
    assert answers["enfants"].value == 2


async def test_a_stranger_in_the_group_changes_nothing(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    question = sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"]
    assert await sb.say("intrus", "Non", reply_to=question) == []
    assert await sb.say("intrus", "/entretien 1") == []
    out = await sb.press("intrus", "Non")
    assert [s.text for s in out] == ["Ce bouton est réservé à l'équipe."]
    assert await interviews.answers(sb.db, 1) == []
    assert (await current_dialog(sb)).position == "deroule"


async def test_interview_from_the_card_and_bad_numbers(sb):
    await register_candidate(sb)
    await sb.say("cls", "/dossier 1")
    out = texts_of(await sb.press("cls", "Entretien"))
    assert "Début de l'entretien" in out
    assert "Indiquez le numéro" in texts_of(await sb.say("cls", "/entretien"))
    assert "Aucun dossier n° 7" in texts_of(await sb.say("cls", "/entretien 7"))


async def test_interview_without_a_recorded_appointment(sb):
    await register_candidate(sb, interview=None)
    await sb.say("cls", "/entretien 1")
    while (await current_dialog(sb)).position != "":
        await answer_current(sb, "cls")
    await sb.press("cls", "Confirmer")
    stored = await candidates.get(sb.db, 1)
    assert stored.status == "entretien_fait" and date.fromisoformat(stored.croisement_due) == date(2026, 12, 3)


async def test_a_crash_between_an_answer_and_the_next_question_goes_on_at_restart(sb):
    """The update that carried the answer is already confirmed to Telegram (PTB confirms before handling): after the
    restart, the bot itself asks the next question instead of waiting on the one that was answered."""
    from datetime import timedelta

    from storage import interviews

    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    await sb.press("cls", "Oui")  # déroulé
    sb.clock.advance(timedelta(minutes=1))
    asked = await current_dialog(sb)
    assert asked.position == "motivations"
    # what the crashed bot had time to do: the answer written, the next question not yet asked
    await interviews.save_answer(sb.db, 1, "motivations", "Rejoindre sa compagne", by=sb.person("cls").user_id,
                                 role="cls", at=sb.clock.utc_iso())
    before = sb.api.visible(sb.chat_id("cls", "equipe"))[-1]["message_id"]
    await sb.restart()
    resumed = await current_dialog(sb)
    latest = sb.api.visible(sb.chat_id("cls", "equipe"))[-1]
    assert resumed.position == "calendrier" and latest["message_id"] > before == asked.prompt_message_id
    assert resumed.prompt_message_id == latest["message_id"] and "Calendrier du projet" in latest["text"]
    assert (await interviews.answers(sb.db, 1))[1].value == "Rejoindre sa compagne"

    # a question gone back to on purpose (answered before) stays where it is at the next restart
    position = (await current_dialog(sb)).position
    sb.clock.advance(timedelta(minutes=1))
    await sb.press("cls", "Retour")
    back = (await current_dialog(sb)).position
    assert back == "motivations" != position
    await sb.restart()
    assert (await current_dialog(sb)).position == "motivations"


async def test_a_third_member_who_answered_is_named_in_the_history(sb):
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    turn = 0
    while (await current_dialog(sb)).position != "":
        await answer_current(sb, ("cls", "cpts1", "cpts2")[turn % 3])
        turn += 1
    await sb.press("cls", "Confirmer")
    events, _ = await candidates.timeline(sb.db, 1)
    assert "Entretien fait avec Claire Martin, Paul Roche et Anne Vidal" in events[-1].detail


async def test_progress_never_goes_back_when_an_answer_adds_questions(sb):
    import re
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    seen = []
    added = []
    while (await current_dialog(sb)).position != "":
        text = sb.last_text()
        k, n, percent = map(int, re.search(r"question (\d+)/(\d+) · (\d+) %", text).groups())
        seen.append((k, n, percent))
        added += re.findall(r"➕ .*", text)
        await answer_current(sb, "cls")
    percents = [p for _, _, p in seen]
    assert percents == sorted(percents)  # never down
    assert len({n for _, n, _ in seen}) > 1  # the total did grow: answers added questions
    assert any("Âges des enfants" in line for line in added)


async def test_each_interview_step_costs_the_group_one_request(sb):
    """Telegram allows about 20 messages a minute to a group, edits included: each answer (a press or a typed
    reply) costs the group one message or one edit, never more."""
    await register_candidate(sb)
    await sb.say("cls", "/entretien 1")
    group = str(sb.settings.team_chat_id)
    steps = 0
    while (await current_dialog(sb)).position != "":
        calls, actions = len(sb.api.calls), sb.api.last_update_id
        await answer_current(sb, ("cls", "cpts1")[steps % 2])
        to_group = [m for m, p in sb.api.calls[calls:] if str(p.get("chat_id")) == group]
        assert len(to_group) == sb.api.last_update_id - actions, (steps, to_group)
        steps += 1
    assert steps > 20
