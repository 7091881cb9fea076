"""The sites' spreadsheet: every row checked, errors by row and column, in French."""

import io

from openpyxl import load_workbook

from domain.sites import COLUMNS, parse_sites
from domain.spreadsheets import read_table, write_csv, write_xlsx

COMMUNES = {"conliege": (1, "Conliège"), "perrigny": (2, "Perrigny")}
HEADER = ["Nom", "Type", "Commune", "Professions recherchées", "Modes", "Équipe pluriprofessionnelle", "Téléphone"]


def find(text):
    from domain.territory import name_key
    return COMMUNES.get(name_key(text))


def test_good_rows():
    rows = [HEADER, ["MSP de Conliège", "MSP", "conliege", "Médecin généraliste, infirmier", "libéral", "oui", "0384000000"]]
    sites, errors = parse_sites(rows, find)
    assert errors == []
    assert sites == [{"status": "en_fonctionnement", "name": "MSP de Conliège", "type": "msp", "commune_id": 1,
                      "professions_sought": ["medecin_generaliste", "infirmier"], "modes": ["liberal"],
                      "pluripro": True, "contact_phone": "03 84 00 00 00"}]


def test_every_bad_cell_is_reported_by_row_and_column():
    rows = [HEADER,
            ["Clinique du lac", "clinique", "Conliège", "médecin généraliste", "libéral", "oui", ""],
            ["", "MSP", "Paris", "astronaute", "libéral", "peut-être", "12"],
            ["", "", "", "", "", "", ""]]
    sites, errors = parse_sites(rows, find)
    assert errors == [
        "Ligne 2, colonne « Type » : « clinique » n'est pas un type connu (Cabinet médical, Cabinet de groupe, MSP, "
        "Centre de santé, Maison médicale, ESP, Autre)",
        "Ligne 3, colonne « Nom » : valeur obligatoire manquante",
        "Ligne 3, colonne « Commune » : commune « Paris » inconnue (ajoutez-la avec /commune_ajouter ou /communes_import)",
        "Ligne 3, colonne « Professions recherchées » : « astronaute » n'est pas reconnu (Médecin généraliste, Médecin "
        "spécialiste, Chirurgien-dentiste, Sage-femme, Infirmier·e, Masseur-kinésithérapeute, Orthophoniste, "
        "Pharmacien·ne, Psychologue, Diététicien·ne)",
        "Ligne 3, colonne « Équipe pluriprofessionnelle » : « peut-être » : attendu oui ou non",
        "Ligne 3, colonne « Téléphone » : « 12 » n'est pas un numéro de téléphone valide. Exemples : 06 12 34 56 78 ou "
        "+33 6 12 34 56 78.",
    ]


def test_missing_required_columns():
    _, errors = parse_sites([["Nom", "Adresse"], ["A", "B"]], find)
    assert errors[0].startswith("Colonne(s) manquante(s) en ligne 1 : Type, Commune.")


def test_xlsx_and_csv_round_trip():
    headers = [t for t, _ in COLUMNS][:3]
    data = write_xlsx([("Lieux", headers, [["MSP de Conliège", "MSP", "Conliège"]])])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C2"
    assert read_table("lieux.xlsx", data) == [headers, ["MSP de Conliège", "MSP", "Conliège"]]
    csv_bytes = write_csv(headers, [["MSP; de Conliège", "MSP", "Conliège"]])
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert read_table("lieux.csv", csv_bytes) == [headers, ["MSP; de Conliège", "MSP", "Conliège"]]
