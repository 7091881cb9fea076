"""The CPTS du Grand Lons' territory: its 4 EPCI and their communes. Telegram-free."""

from __future__ import annotations

import functools
import re
import unicodedata

EPCI_LABELS = {
    "bresse_haute_seille": "CC Bresse Haute Seille",
    "ecla": "ECLA",
    "terre_emeraude": "CC Terre d'Émeraude",
    "porte_du_jura": "CC Porte du Jura",
}

# A starting list, so that the bot is usable on day one; the team imports the official list (name, INSEE code,
# EPCI) with /communes_import, which completes and corrects it.
STARTER_COMMUNES = {
    "ecla": ["Lons-le-Saunier", "Montmorot", "Perrigny", "Conliège", "Courlaoux", "Messia-sur-Sorne", "Macornay",
             "Chilly-le-Vignoble", "Courbouzon", "Montaigu", "Revigny", "Pannessières", "L'Étoile", "Trenal",
             "Gevingey", "Chille", "Publy", "Vernantois", "Moiron"],
    "bresse_haute_seille": ["Bletterans", "Voiteur", "Arlay", "Domblans", "Château-Chalon", "Ruffey-sur-Seille",
                            "Cosges", "Nance", "Baume-les-Messieurs", "Sellières"],
    "terre_emeraude": ["Orgelet", "Clairvaux-les-Lacs", "Moirans-en-Montagne", "Arinthod", "Saint-Julien",
                       "Pont-de-Poitte", "Doucier"],
    "porte_du_jura": ["Saint-Amour", "Beaufort-Orbagna", "Cousance", "Cuisia", "Gizia"],
}


@functools.lru_cache(maxsize=4096)  # the same few hundred communes, at every croisement and import
def name_key(name: str) -> str:
    """Names compared without accents, case, hyphens or apostrophes: "lons le saunier" finds "Lons-le-Saunier"."""
    text = "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if not unicodedata.combining(c))
    text = re.sub(r"[-'’`.]", " ", text)
    text = re.sub(r"\bst\b", "saint", text)
    text = re.sub(r"\bste\b", "sainte", text)
    return re.sub(r"\s+", " ", text).strip()


def epci_key(text: str) -> str | None:
    """An EPCI named loosely ("ECLA", "bresse", "Terre d'Emeraude", "porte du jura")."""
    key = name_key(text)
    for epci, label in EPCI_LABELS.items():
        words = name_key(label).replace("cc ", "")
        if key in (epci.replace("_", " "), name_key(label), words) or (len(key) >= 4 and key in words):
            return epci
    return None
