"""The e-mails the team sends to sites and élus: subject, plain text and HTML, in French. Telegram-free.

Texts carry ``{lien}`` where the personal link goes: the link's token is minted when the e-mail leaves the outbox
(storage keeps only its hash), so a queued e-mail never holds a usable token.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

LINK = "{lien}"
SIGNATURE = "La CPTS du Grand Lons et le CLS du Pays Lédonien"
_HTML = Environment(loader=FileSystemLoader(Path(__file__).with_name("mail_templates")),
                    autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Draft:
    """An e-mail before its link is minted."""
    subject: str
    paragraphs: list[str]  # plain text; LINK where the link goes (alone in its paragraph)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, MIME type, content

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs + [SIGNATURE]) + "\n"

    @property
    def html(self) -> str:
        return _HTML.get_template("mail.html").render(subject=self.subject, paragraphs=self.paragraphs, link=LINK,
                                                      signature=SIGNATURE)

    def encoded_attachments(self) -> list[tuple[str, str, str]]:
        return [(name, kind, base64.b64encode(data).decode()) for name, kind, data in self.attachments]


def poll_invitation(site_name: str, description: str, slots: list[str], deadline: str) -> Draft:
    return Draft(f"Disponibilités pour une visite — {site_name}", [
        "Bonjour,",
        f"{description} La CPTS du Grand Lons et le CLS du Pays Lédonien organisent les visites : pourriez-vous "
        f"nous dire quels créneaux conviennent à « {site_name} » ?",
        "Créneaux proposés :\n" + "\n".join(f"- {s}" for s in slots),
        f"Répondez en un clic, avant le {deadline}, sur votre page personnelle (vous pourrez y revenir pour changer "
        "vos réponses jusque-là) :",
        LINK,
        "Ce lien est personnel : merci de ne pas le transférer hors de votre lieu d'exercice.",
    ])


def poll_relance(site_name: str, deadline: str) -> Draft:
    return Draft(f"Petit rappel : disponibilités pour une visite — {site_name}", [
        "Bonjour,",
        f"Nous attendons encore les disponibilités de « {site_name} » pour la visite d'un·e professionnel·le de "
        f"santé, avant le {deadline}. Il suffit d'un clic sur votre page personnelle :",
        LINK,
        "Merci !",
    ])


def visit_confirmation(site_name: str, day: str, starts: str, ends: str, what: str, ics: bytes) -> Draft:
    return Draft(f"Visite confirmée le {day} — {site_name}", [
        "Bonjour,",
        f"La visite est confirmée à « {site_name} » le {day}, de {starts} à {ends} : un·e {what} accompagné·e par "
        "la CPTS du Grand Lons et le CLS du Pays Lédonien. Le fichier joint l'ajoute à votre agenda.",
        "Si vous ne pouvez plus recevoir la visite, dites-le-nous sur votre page :",
        LINK,
        "Merci pour votre accueil !",
    ], [("visite.ics", "text/calendar", ics)])


def elus_message(text: str) -> Draft:
    """The élus' notice validated by the team, with the link to read it again."""
    return Draft("Accompagnement à l'installation d'un·e professionnel·le de santé sur votre territoire",
                 [*(line for line in text.split("\n") if not line.startswith("L'équipe du CLS")),
                  "Ce message reste consultable sur votre page personnelle pendant 30 jours :", LINK])


def message(*, sender: str, to: str, subject: str, text: str, html: str, link: str | None, key: str, queued_at: str,
            attachments: list[tuple[str, str, str]] = ()) -> EmailMessage:
    """The e-mail as sent: the link put in, a plain-text and an HTML part, attachments; its Message-ID is made
    from the outbox key and when it was queued, so a repeat after a crash is recognisable as the same message."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    domain = parseaddr(sender)[1].rpartition("@")[2] or "installation-jura.invalid"
    mail["Message-ID"] = f"<{_id_part(key)}.{_id_part(queued_at)}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text.replace(LINK, link or ""))
    mail.add_alternative(html.replace(LINK, link or ""), subtype="html")
    for name, kind, data in attachments:
        maintype, subtype = kind.split("/", 1)
        mail.add_attachment(base64.b64decode(data), maintype=maintype, subtype=subtype, filename=name)
    return mail


def _id_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", ".", text)


def team_sender(name: str, address: str) -> str:
    return address if "<" in address else formataddr((name, address))
