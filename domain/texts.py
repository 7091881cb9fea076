"""What the bot says, apart from the logic that decides when."""

HELP = """<b>Accompagnement à l'installation — CLS du Pays Lédonien &amp; CPTS du Grand Lons</b>

<b>A. Recueil des candidats</b>
/nouveau — enregistrer un candidat (questions guidées)
/dossiers — la liste des candidats ; chercher : /dossiers benali (nom, prénom, téléphone ou e-mail) ; filtres : /dossiers entretien fait, /dossiers infirmier…
/dossier N — la fiche du candidat n° N (ou /dossier benali) : historique, corrections, prochaines étapes
/note N texte — une note sur le dossier, signée et datée dans son historique

<b>B. Entretien</b>
/entretien N — mener l'entretien du candidat n° N à deux, étape par étape (pause et reprise possibles)

<b>C. Croisement des données</b> (dans les 10 jours : le bot prévient à J+7 et à J+10)
/croisement N — les lieux d'exercice classés pour ce candidat, avec leurs raisons ; cochez ceux à contacter,
puis validez le message d'information des élus
/lieux — les lieux (filtres : /lieux MSP ECLA infirmier) · /lieu N — une fiche · /lieu_nouveau — en ajouter un
/inviter_lieu N — un lien pour que le contact du lieu rejoigne le bot
/lieux_import · /lieux_export — le tableau des lieux (Excel ou CSV)
/communes · /commune_ajouter · /communes_import — les communes des 4 EPCI
/elus · /elu N · /elu_ajouter · /inviter_elu N — les élus à informer des visites (fiche : corriger, retirer)

<b>Sondage des lieux</b> (remplace framadate)
/sondage N — préparer le sondage de disponibilité des lieux retenus au croisement (créneaux tirés de l'entretien,
échéance à 5 jours ouvrés), l'envoyer ; le décompte se met à jour dans le groupe, les lieux muets sont relancés,
le sondage se clôt seul et propose la meilleure journée, avec l'itinéraire et le fichier agenda (.ics)
/sondage_cloner P N — reprendre les lieux du sondage P pour le candidat n° N
/lien N — les liens personnels envoyés par e-mail aux lieux sans Telegram : en révoquer un, en donner un nouveau

<b>D. Visites</b>
/visites N date : lieu, lieu… — planifier le jour des visites à la main (sans sondage)
/debrief N — ouvrir le débriefing du soir (temps 2), puis celui à distance (temps 3)

<b>E. Suivi</b>
Appels à 3, 6 et 12 mois : le bot les rappelle au groupe avec ✅ Fait · ⏰ Reporter · 🙋 Je m'en charge

<b>F. Communication</b>
/export — le tableau de reporting (Excel) ; /export csv ; filtres : /export 2026, /export T1 2027 infirmier ECLA
/reunions — les prochaines réunions (Copil CLS, coordination des pôles santé, CDOM, conférence des maires,
dialogue de gestion CPAM/ARS) ; /reunion copil 12 mars 2027 14h — fixer une date
/synthese copil — la synthèse tout de suite (texte, graphique) ; elle est proposée d'elle-même 7 jours avant

<b>Rappels</b>
/rappel texte + date — par exemple /rappel appeler la mairie de Conliège mardi 10h
/rappels — ce qui est en attente (les vôtres ou ceux de l'équipe) ; un point de la semaine arrive chaque lundi à 9 h

<b>Pendant une saisie</b>
Répondez aux questions en <i>répondant</i> au message du bot dans le groupe (ou simplement en écrivant, en privé).
/annuler — abandonner la saisie en cours

<b>Données personnelles</b> (administrateurs)
/journal [N] — qui a consulté, modifié, exporté quoi · /rgpd_export N — toutes les données d'un dossier
/rgpd_effacer N — effacer les données personnelles d'un dossier (deux confirmations) · /sauvegarde · /etat

<b>Équipe</b>
/membres — qui fait partie de l'équipe
/membre_ajouter ID rôle Nom — ajouter quelqu'un (administrateurs ; rôles : cls, cpts, admin)
/membre_retirer ID — retirer quelqu'un (administrateurs)
/moi — votre identifiant Telegram et celui de la discussion
/aide — ce message"""

WELCOME = "Bonjour {name} 👋\nJe suis le bot d'accompagnement à l'installation des professionnels de santé.\n\n"

STRANGER = (
    "Bonjour. Ce bot est réservé à l'équipe d'accompagnement à l'installation du CLS du Pays Lédonien et de "
    "la CPTS du Grand Lons. Si vous en faites partie, demandez à un administrateur de vous ajouter "
    "(tapez /moi pour connaître votre identifiant)."
)
STRANGER_BUTTON = "Ce bouton est réservé à l'équipe."
ERROR = (
    "😕 Une erreur inattendue est survenue. Ce qui était déjà enregistré est conservé. "
    "Réessayez ; si cela se reproduit, prévenez un administrateur."
)
UNKNOWN_COMMAND = "Je ne connais pas la commande {command}. Tapez /aide pour la liste des commandes."
NOT_WAITING = "Je n'attends pas de réponse de votre part ici. Tapez /aide pour voir ce que je sais faire."
STALE_BUTTON = "Ce bouton n'est plus valable."
OTHER_GROUP = (
    "Bonjour. Ce bot sert uniquement au groupe de l'équipe d'accompagnement à l'installation ; "
    "il quitte ce groupe. Pour toute question, adressez-vous au CLS du Pays Lédonien."
)
REPLY_HINT = "↩️ <i>Répondez à ce message pour que je reçoive votre réponse.</i>"
PRIVATE_UNREACHABLE = (
    "⚠️ Je n'ai pas pu écrire en privé à {name} : cette personne doit d'abord ouvrir une discussion avec moi "
    "(bouton « Démarrer » ou /start)."
)

OUTSIDER_HELP = (
    "Bonjour 👋 Je suis le bot d'accompagnement à l'installation des professionnels de santé du CLS du Pays "
    "Lédonien et de la CPTS du Grand Lons.\n\nVous recevrez ici les messages qui vous concernent : pour un lieu "
    "d'exercice, les demandes de disponibilité pour des visites (répondez avec les boutons ✅ Oui · 🟡 Si besoin · "
    "❌ Non) ; pour un élu, l'annonce des visites prévues dans votre commune.\n/moi — votre identifiant Telegram"
)
OUTSIDER_REFUSED = (
    "Cette commande est réservée à l'équipe d'accompagnement. Vous recevrez ici les messages qui concernent "
    "votre lieu d'exercice ou votre commune. Tapez /aide pour en savoir plus."
)
INVITATION_UNKNOWN = "Ce lien d'invitation n'est pas valable. Demandez-en un nouveau à l'équipe (CLS ou CPTS)."
INVITATION_USED = "Ce lien d'invitation a déjà été utilisé. Demandez-en un nouveau à l'équipe si besoin."
INVITATION_EXPIRED = "Ce lien d'invitation a expiré (14 jours). Demandez-en un nouveau à l'équipe."
