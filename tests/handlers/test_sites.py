"""Step C end to end: sites, the spreadsheet, invitations, outsiders' limits, the croisement and the élus."""

import asyncio
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from domain.spreadsheets import write_xlsx
from storage import candidates, sites, territory
from tests.support import register_candidate, texts_of

HEADER = ["Nom", "Type", "Commune", "Professions recherchées", "Modes", "Équipe pluriprofessionnelle",
          "Locaux disponibles", "Dynamique"]
GOOD = [
    ["MSP de Conliège", "MSP", "Conliège", "médecin généraliste, infirmier", "libéral", "oui", "oui", ""],
    ["Cabinet médical de Perrigny", "cabinet médical", "perrigny", "médecin généraliste", "libéral", "non", "non", ""],
    ["Centre de santé de Bletterans", "centre de santé", "Bletterans", "médecin généraliste", "salarié", "oui", "oui",
     "Équipe jeune, projet de prévention"],
    ["Pôle de santé de Saint-Amour", "MSP", "St Amour", "sage-femme", "libéral", "oui", "non", ""],
]


async def import_sites(sb, rows, who="cls"):
    await sb.say(who, "/lieux_import")
    return await sb.send_file(who, "lieux.xlsx", write_xlsx([("Lieux", HEADER, rows)]))


async def test_add_a_site_through_the_chat_with_a_misspelt_commune(sb):
    await sb.say("cpts1", "/lieu_nouveau")
    await sb.say("cpts1", "MSP de Conliège")
    await sb.press("cpts1", "MSP")
    await sb.press("cpts1", "En fonctionnement")
    out = texts_of(await sb.say("cpts1", "Conlièje"))
    assert "Je ne connais pas la commune « Conlièje ». Vouliez-vous dire : Conliège ?" in out
    await sb.say("cpts1", "CONLIEGE")
    await sb.press("cpts1", "Médecin généraliste")
    await sb.press("cpts1", "Valider")
    await sb.press("cpts1", "Passer")
    await sb.press("cpts1", "Libéral")
    await sb.press("cpts1", "Valider")
    await sb.press("cpts1", "Oui")
    await sb.press("cpts1", "Oui")
    await sb.say("cpts1", "Deux bureaux de 15 m², accessibles")
    for _ in range(5):
        await sb.press("cpts1", "Passer")
    await sb.say("cpts1", "Dr Alice Morel")
    await sb.say("cpts1", "03 84 00 00 00")
    await sb.press("cpts1", "Passer")
    out = texts_of(await sb.say("cpts1", "t.me/alice_morel"))
    assert "Récapitulatif" in out and "@alice_morel" in out
    out = texts_of(await sb.press("cpts1", "Confirmer"))
    assert "Lieu n° 1 enregistré" in out and "Commune : Conliège (ECLA)" in out
    site = await sites.get(sb.db, 1)
    assert site.premises_available and site.premises == "Deux bureaux de 15 m², accessibles"
    assert site.contact_phone == "03 84 00 00 00" and site.professions_present == []
    await sb.say("cpts1", "/lieu 1")
    await sb.press("cpts1", "Corriger")
    await sb.press("cpts1", "Dynamique")
    out = texts_of(await sb.say("cpts1", "Porte un projet de prévention"))
    assert "Dynamique : Porte un projet de prévention" in out


async def test_import_with_bad_rows_imports_nothing_then_a_good_file_imports_all(sb):
    bad = GOOD + [["Clinique", "clinique", "Paris", "astronaute", "libéral", "oui", "oui", ""]]
    out = texts_of(await import_sites(sb, bad))
    assert "Rien n'a été importé" in out
    assert "Ligne 6, colonne « Type » : « clinique » n'est pas un type connu" in out
    assert "Ligne 6, colonne « Commune » : commune « Paris » inconnue" in out
    assert await sites.all_sites(sb.db) == []
    out = texts_of(await sb.send_file("cls", "lieux.xlsx", write_xlsx([("Lieux", HEADER, GOOD)])))  # the reply again
    assert "4 lieu(x) d'exercice importé(s)" in out
    assert [s.commune for s in await sites.all_sites(sb.db)] == ["Perrigny", "Bletterans", "Conliège", "Saint-Amour"]
    out = texts_of(await sb.say("cls", "/lieux sage-femme"))
    assert "Pôle de santé de Saint-Amour" in out and "Conliège" not in out
    out = texts_of(await sb.say("cls", "/lieux centre de santé"))
    assert "Bletterans" in out and "MSP de Conliège" not in out


async def test_import_by_caption_and_unreadable_files(sb):
    out = texts_of(await sb.send_file("cls", "lieux.csv", "Nom;Type;Commune\nMSP;MSP;Conliège\n".encode(),
                                      caption="/lieux_import"))
    assert "1 lieu(x) d'exercice importé(s)" in out
    # a name with an invisible or control character, or without a letter: the row is named, nothing imported
    for name in ("MSP\u202e de Conliège", "MSP\x1b de Conliège", "\u200b", "123"):
        out = texts_of(await sb.send_file("cls", "lieux.csv", f"Nom;Type;Commune\n{name};MSP;Conliège\n".encode(),
                                          caption="/lieux_import"))
        assert "Ligne 2, colonne « Nom »" in out and "Rien n'a été importé" in out, name
    assert [s.name for s in await sites.all_sites(sb.db)] == ["MSP"]
    out = texts_of(await sb.send_file("cls", "photo.png", b"\x89PNG", caption="/lieux_import"))
    assert "Envoyez un fichier .xlsx ou .csv" in out
    out = texts_of(await sb.send_file("cls", "lieux.xlsx", b"not a workbook", caption="/lieux_import"))
    assert "ne peut pas être lu" in out


async def test_export_read_back(sb):
    await import_sites(sb, GOOD)
    out = await sb.say("cls", "/lieux_export")
    sheet = load_workbook(io.BytesIO(out[-1].file_data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Nom", "Type", "Statut", "Commune") and len(rows) == 5
    assert ("MSP de Conliège", "MSP", "En fonctionnement", "Conliège") in [r[:4] for r in rows]
    out = await sb.say("cls", "/lieux_export csv")
    assert out[-1].file_name.endswith(".csv") and out[-1].file_data.startswith(b"\xef\xbb\xbf")


def _token(text: str) -> str:
    return re.search(r"start=([A-Za-z0-9_-]+)", text).group(1)


async def test_a_contact_joining_while_the_group_cannot_be_reached_is_announced_once_it_can(sb):
    await import_sites(sb, GOOD)
    token = _token(texts_of(await sb.say("cls", "/inviter_lieu 1")))
    sb.api.fail("sendMessage", "500", times=3, chat_id=sb.settings.team_chat_id)
    out = texts_of(await sb.say("alice", f"/start {token}", "prive"))
    assert "vous êtes maintenant contact de « MSP de Conliège »" in out and "erreur" not in out.lower()
    assert "Alice a rejoint le bot" not in sb.last_text("equipe")
    await sb.advance(timedelta(minutes=10))
    assert sum("Alice a rejoint le bot comme contact de « MSP de Conliège »" in t for t in sb.texts("equipe")) == 1
    # while the engine is busy sending a long burst, a join is answered at once, and announced by the engine after
    token = _token(texts_of(await sb.say("cls", "/inviter_lieu 2")))
    async with sb.app.bot_data["services"].dispatch_lock:
        out = texts_of(await asyncio.wait_for(sb.say("bob", f"/start {token}", "prive"), timeout=10))
        assert "vous êtes maintenant contact" in out and "Bob a rejoint" not in sb.last_text("equipe")
    await sb.advance(timedelta(seconds=2))
    assert "Bob a rejoint le bot comme contact" in sb.last_text("equipe")


async def test_invitation_single_use_expiry_and_what_a_site_contact_may_see(sb):
    await import_sites(sb, GOOD)
    await register_candidate(sb)
    token = _token(texts_of(await sb.say("cls", "/inviter_lieu 1")))
    out = texts_of(await sb.say("alice", f"/start {token}", "prive"))
    assert "vous êtes maintenant contact de « MSP de Conliège »" in out
    assert "Alice a rejoint le bot comme contact de « MSP de Conliège »" in sb.last_text("equipe")
    assert "déjà été utilisé" in texts_of(await sb.say("bob", f"/start {token}", "prive"))
    assert "n'est pas valable" in texts_of(await sb.say("bob", "/start n1mp0rte-quoi", "prive"))
    # a site contact sees nothing of the team's
    refused = texts_of(await sb.say("alice", "/dossier 1", "prive"))
    assert "réservée à l'équipe" in refused and "Dupont" not in refused
    assert "réservée à l'équipe" in texts_of(await sb.say("alice", "/lieux", "prive"))
    assert "demandes de disponibilité" in texts_of(await sb.say("alice", "/aide", "prive"))
    out = await sb.press_data("alice", "c:1:view", "prive", message_id=sb.api.visible(sb.person("alice").user_id)[-1]["message_id"])
    assert out[-1].text == "Ce bouton est réservé à l'équipe."
    assert [c.name for c in await sites.contacts_of(sb.db, "lieu", 1)] == ["Alice"]
    # a link not used within 14 days expires
    token = _token(texts_of(await sb.say("cls", "/inviter_lieu 2")))
    await sb.advance(timedelta(days=15))
    assert "a expiré" in texts_of(await sb.say("carole", f"/start {token}", "prive"))


async def add_elu(sb, name: str, commune: str, *, phone: str | None = None) -> None:
    """Record the mayor ``name`` of ``commune`` through /elu_ajouter (no e-mail)."""
    await sb.say("cls", "/elu_ajouter")
    await sb.say("cls", name)
    await sb.say("cls", "Maire")
    await sb.press("cls", "Une commune")
    await sb.say("cls", commune)
    await (sb.say("cls", phone) if phone else sb.press("cls", "Passer"))
    await sb.press("cls", "Passer")
    await sb.press("cls", "Confirmer")


async def interview_for_croisement(sb):
    """Candidate n° 1: médecin généraliste, libéral, ECLA, grouped, pluripro, premises needed; open criteria."""
    await register_candidate(sb, interview=None)
    await sb.say("cls", "/entretien 1")
    answers = {"deroule": "Oui", "calendrier": "Court", "exercice": "Regroupé", "equipe_pluripro": "Oui",
               "criteres": "Ouvert"}
    from tests.handlers.test_interview import current_dialog

    while (dialog := await current_dialog(sb)).position != "":
        key = dialog.position
        if key in answers:
            await sb.press("cls", answers[key])
        elif key == "modes":
            await sb.press("cls", "Libéral")
            await sb.press("cls", "Valider")
        elif key == "territoires":
            await sb.press("cls", "ECLA")
            await sb.press("cls", "Valider")
        elif key == "disponibilites":
            await sb.say("cls", "les mardis de janvier")
            await sb.press("cls", "Oui")
        elif key == "locaux":
            await sb.say("cls", "Un bureau")
        else:
            await sb.press("cls", "Passer")
    await sb.press("cls", "Confirmer")


async def test_croisement_from_the_card_to_the_elus_message(sb):
    await import_sites(sb, GOOD)
    await interview_for_croisement(sb)
    # an élu of Conliège on Telegram, another of Perrigny reachable by phone only
    await add_elu(sb, "Jeanne Roux", "Conliège")
    await add_elu(sb, "Marc Petit", "Perrigny", phone="03 84 11 22 33")
    token = _token(texts_of(await sb.say("cls", "/inviter_elu 1")))
    await sb.say("jeanne", f"/start {token}", "prive")
    listing = texts_of(await sb.say("cls", "/elus"))
    assert "n° 1 · Jeanne Roux, Maire (Conliège) — sur Telegram ✉️" in listing
    assert "n° 2 · Marc Petit, Maire (Perrigny) — 03 84 11 22 33\n" in listing

    await sb.say("cpts1", "/dossier 1")
    out = texts_of(await sb.press("cpts1", "Croisement"))
    assert "Lieux qui cochent les critères</b>" not in out  # HTML is rendered, not shown
    assert "1. MSP de Conliège — MSP, Conliège (ECLA)" in out
    assert "✅ recherche : médecin généraliste ; mode proposé : libéral ; territoire souhaité (ECLA) ; exercice regroupé ; équipe pluriprofessionnelle ; locaux disponibles" in out
    assert "2. Cabinet médical de Perrigny" in out and "❌ exercice isolé ; pas d'équipe pluriprofessionnelle" in out
    assert "Ne cochent pas tous les critères mais portent une belle dynamique" in out
    assert "3. Centre de santé de Bletterans" in out and "✨ Équipe jeune, projet de prévention" in out
    assert "1 autre(s) lieu(x) écarté(s)" in out
    await sb.press("cpts1", "1. MSP")
    await sb.press("cpts1", "2. Cabinet")
    out = texts_of(await sb.press("cpts1", "Valider"))
    assert "Croisement enregistré (dans les délais)" in out
    assert "MSP de Conliège, Cabinet médical de Perrigny" in out
    notice = sb.last_text("equipe")
    assert "Information des élus" in notice and "Marie, médecin généraliste," in notice
    assert "en janvier 2027" in notice and "Dupont" not in notice and "06 12" not in notice
    assert "Sur Telegram : Jeanne Roux (Maire)" in notice and "Marc Petit (Maire) — 03 84 11 22 33" in notice
    stored = await candidates.get(sb.db, 1)
    assert stored.status == "croisement"
    exposure = await sites.exposure(sb.db, "2000-01-01")
    assert exposure == {1: (1, 1), 2: (1, 1), 3: (1, 0)}  # proposed and contacted, for equity
    out = texts_of(await sb.press("cls", "Envoyer aux élus"))
    assert "Envoyé par Claire Martin à : Jeanne Roux" in out
    received = sb.last_text("prive", "jeanne")
    assert received.startswith("Bonjour,") and "MSP de Conliège (Conliège)" in received
    assert "Perrigny" not in received and "Dupont" not in received  # only her commune, no surname
    out = await sb.press_data("cls", "e:1:send", message_id=sb.api.visible(sb.settings.team_chat_id)[-1]["message_id"])
    assert out[-1].text == "Ce message a déjà été traité."


async def test_without_consent_the_elus_get_no_first_name(sb):
    await import_sites(sb, GOOD)
    await interview_for_croisement(sb)
    await sb.say("cls", "/dossier 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Consentement")
    await sb.press("cls", "Non")
    await add_elu(sb, "Jeanne Roux", "Conliège")
    await sb.say("cls", "/croisement 1")
    await sb.press("cls", "1. MSP")
    await sb.press("cls", "Valider")
    notice = sb.last_text("equipe")
    assert "un·e professionnel·le de santé (médecin généraliste)" in notice and "Marie" not in notice


async def test_a_croisement_saved_while_telegram_fails_still_brings_the_elus_draft_once(sb):
    await import_sites(sb, GOOD)
    await interview_for_croisement(sb)
    await add_elu(sb, "Jeanne Roux", "Conliège")
    await sb.say("cls", "/croisement 1")
    await sb.press("cls", "1. MSP")
    sb.api.fail("sendMessage", "500", times=2, chat_id=sb.settings.team_chat_id)  # the card, then the draft
    await sb.press("cls", "Valider")
    assert (await candidates.get(sb.db, 1)).status == "croisement"
    assert not any(t.startswith("🏛 Information des élus") for t in sb.texts("equipe"))
    await sb.restart()
    await sb.advance(timedelta(minutes=5))
    drafts = [t for t in sb.texts("equipe") if t.startswith("🏛 Information des élus")]
    assert len(drafts) == 1 and "MSP de Conliège (Conliège)" in drafts[0]
    assert (await sb.db.fetchone("SELECT COUNT(*) FROM elu_notices WHERE candidate_id = 1"))[0] == 1  # drafted once


async def test_croisement_refused_before_the_interview(sb):
    await register_candidate(sb)
    assert "après l'entretien" in texts_of(await sb.say("cls", "/croisement 1"))
    assert "Indiquez le numéro" in texts_of(await sb.say("cls", "/croisement"))


async def test_communes_added_and_imported(sb):
    out = texts_of(await sb.say("cls", "/commune_ajouter Vevy ; Bresse ; 39560"))
    assert "Vevy (CC Bresse Haute Seille) fait partie des communes" in out
    assert "n'est pas un des 4 EPCI" in texts_of(await sb.say("cls", "/commune_ajouter Dole ; Grand Dole"))
    await sb.say("cls", "/communes_import")
    out = texts_of(await sb.send_file("cls", "communes.csv", "Nom;INSEE;EPCI\nCrançot;39175;Bresse Haute Seille\nX;12;Lyon\n".encode()))
    assert "Rien n'a été importé" in out and "Ligne 3, colonne « EPCI »" in out and "Ligne 3, colonne « INSEE »" in out
    out = texts_of(await sb.send_file("cls", "communes.csv", "Nom;INSEE;EPCI\nCrançot;39175;Bresse Haute Seille\n".encode()))
    assert "1 commune(s) importée(s)" in out
    assert "Crançot" in texts_of(await sb.say("cls", "/communes bresse"))


async def test_a_croisement_shows_the_best_matches_and_counts_the_rest(sb):
    communes = ["Conliège", "Perrigny", "Montmorot", "Macornay", "Courlaoux", "Messia-sur-Sorne"]
    rows = [[f"MSP n° {n}", "MSP", communes[n % len(communes)], "médecin généraliste", "libéral", "oui", "oui", ""]
            for n in range(1, 23)]
    assert "22 lieu(x) d'exercice importé(s)" in texts_of(await import_sites(sb, rows))
    await interview_for_croisement(sb)
    out = await sb.say("cpts1", "/croisement 1")
    text = texts_of(out)
    assert "Lieux qui cochent les critères (22)" in text
    assert "15. " in text and "16. " not in text
    assert "… et 7 autre(s) lieu(x) qui cochent aussi les critères" in text
    buttons = [b for row in sb.api.last_with_buttons(sb.settings.team_chat_id)["reply_markup"]["inline_keyboard"]
               for b in row]
    assert len([b for b in buttons if "MSP n°" in b["text"]]) == 15 and len(buttons) <= 100


async def test_an_elu_corrected_after_an_election_then_removed(sb):
    await add_elu(sb, "Jeanne Roux", "Conliège", phone="03 84 11 22 33")
    token = _token(texts_of(await sb.say("cls", "/inviter_elu 1")))
    await sb.say("jeanne", f"/start {token}", "prive")
    card = texts_of(await sb.say("cls", "/elu 1"))
    assert "Élu n° 1 — Jeanne Roux" in card and "Mandat : Maire (Conliège)" in card and "Sur Telegram : Jeanne" in card

    # a new mandate, for the EPCI now
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Mandat")
    await sb.say("cls", "Vice-présidente santé")
    await sb.say("cls", "/elu 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Commune ou EPCI")
    await sb.press("cls", "Un EPCI")
    out = texts_of(await sb.press("cls", "ECLA"))
    assert "Commune ou EPCI corrigé" in out and "Mandat : Vice-présidente santé (ECLA)" in out
    elu = await territory.elu(sb.db, 1)
    assert (elu.commune_id, elu.epci, elu.phone) == (None, "ecla", "03 84 11 22 33")
    # the phone number goes
    await sb.say("cls", "/elu 1")
    await sb.press("cls", "Corriger")
    await sb.press("cls", "Téléphone")
    assert "Téléphone : —" in texts_of(await sb.press("cls", "Effacer"))

    # no longer in office: asked twice, then gone with the Telegram account bound to them
    await sb.say("cls", "/elu 1")
    await sb.press("cls", "Retirer")
    await sb.press("cls", "Non, garder")
    assert await territory.elu(sb.db, 1) is not None
    await sb.press("cls", "Retirer")
    out = texts_of(await sb.press("cls", "Oui, retirer cet élu"))
    assert "ne fait plus partie des élus" in out
    assert await territory.elu(sb.db, 1) is None and await sites.contacts_of(sb.db, "elu", 1) == []
    assert "Aucun élu n° 1" in texts_of(await sb.say("cls", "/elu 1"))
    assert "Aucun élu enregistré" in texts_of(await sb.say("cls", "/elus"))


async def test_forged_elu_buttons_change_nothing(sb):
    await add_elu(sb, "Marc Petit", "Perrigny")
    await sb.say("cls", "/elu 1")
    message = sb.api.last_with_buttons(sb.settings.team_chat_id)["message_id"]
    for data in ("u:9:del:1", "u:1:del:x", "u:1:fx:99", "u:1:boom", "u:x:view", "u:1", "u:²:view", "u:1:del:²"):
        out = await sb.press_data("cls", data, message_id=message)
        assert out[-1].kind == "toast" and "plus valable" in out[-1].text, data
    assert await territory.elu(sb.db, 1) is not None
    assert "indiquez le numéro" in texts_of(await sb.say("cls", "/elu")).lower()
