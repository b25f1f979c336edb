"""Payers shown by name, never by raw code.

A claim or a lot names its payer by type (AMO, C2S, AMC, ATT) and organism code. For the caisse
(AMO, and the C2S share it pays) the code is the caisse number of the régime général: the
département then a digit (861 = CPAM de la Vienne, 751 = CPAM de Paris); for a complementary it
is the organism number, whose name the coverage gave (kept on the claim as `payer_label`).
"""

from __future__ import annotations

from billing.pricing import PayerType

# Départements of metropolitan France and overseas, for the CPAM / CGSS names.
DEPARTMENTS: dict[str, str] = {
    "01": "de l'Ain",
    "02": "de l'Aisne",
    "03": "de l'Allier",
    "04": "des Alpes-de-Haute-Provence",
    "05": "des Hautes-Alpes",
    "06": "des Alpes-Maritimes",
    "07": "de l'Ardèche",
    "08": "des Ardennes",
    "09": "de l'Ariège",
    "10": "de l'Aube",
    "11": "de l'Aude",
    "12": "de l'Aveyron",
    "13": "des Bouches-du-Rhône",
    "14": "du Calvados",
    "15": "du Cantal",
    "16": "de la Charente",
    "17": "de la Charente-Maritime",
    "18": "du Cher",
    "19": "de la Corrèze",
    "20": "de la Corse",
    "21": "de la Côte-d'Or",
    "22": "des Côtes-d'Armor",
    "23": "de la Creuse",
    "24": "de la Dordogne",
    "25": "du Doubs",
    "26": "de la Drôme",
    "27": "de l'Eure",
    "28": "d'Eure-et-Loir",
    "29": "du Finistère",
    "30": "du Gard",
    "31": "de la Haute-Garonne",
    "32": "du Gers",
    "33": "de la Gironde",
    "34": "de l'Hérault",
    "35": "d'Ille-et-Vilaine",
    "36": "de l'Indre",
    "37": "d'Indre-et-Loire",
    "38": "de l'Isère",
    "39": "du Jura",
    "40": "des Landes",
    "41": "de Loir-et-Cher",
    "42": "de la Loire",
    "43": "de la Haute-Loire",
    "44": "de la Loire-Atlantique",
    "45": "du Loiret",
    "46": "du Lot",
    "47": "de Lot-et-Garonne",
    "48": "de la Lozère",
    "49": "de Maine-et-Loire",
    "50": "de la Manche",
    "51": "de la Marne",
    "52": "de la Haute-Marne",
    "53": "de la Mayenne",
    "54": "de Meurthe-et-Moselle",
    "55": "de la Meuse",
    "56": "du Morbihan",
    "57": "de la Moselle",
    "58": "de la Nièvre",
    "59": "du Nord",
    "60": "de l'Oise",
    "61": "de l'Orne",
    "62": "du Pas-de-Calais",
    "63": "du Puy-de-Dôme",
    "64": "de Pau-Pyrénées / Bayonne",
    "65": "des Hautes-Pyrénées",
    "66": "des Pyrénées-Orientales",
    "67": "du Bas-Rhin",
    "68": "du Haut-Rhin",
    "69": "du Rhône",
    "70": "de la Haute-Saône",
    "71": "de Saône-et-Loire",
    "72": "de la Sarthe",
    "73": "de la Savoie",
    "74": "de la Haute-Savoie",
    "75": "de Paris",
    "76": "de la Seine-Maritime",
    "77": "de Seine-et-Marne",
    "78": "des Yvelines",
    "79": "des Deux-Sèvres",
    "80": "de la Somme",
    "81": "du Tarn",
    "82": "de Tarn-et-Garonne",
    "83": "du Var",
    "84": "de Vaucluse",
    "85": "de la Vendée",
    "86": "de la Vienne",
    "87": "de la Haute-Vienne",
    "88": "des Vosges",
    "89": "de l'Yonne",
    "90": "du Territoire de Belfort",
    "91": "de l'Essonne",
    "92": "des Hauts-de-Seine",
    "93": "de la Seine-Saint-Denis",
    "94": "du Val-de-Marne",
    "95": "du Val-d'Oise",
}
OVERSEAS: dict[str, str] = {
    "971": "CGSS de la Guadeloupe", "972": "CGSS de la Martinique",
    "973": "CGSS de la Guyane", "974": "CGSS de La Réunion", "976": "CSS de Mayotte",
}  # fmt: skip

TYPE_NAMES = {
    PayerType.AMO: "Assurance maladie",
    PayerType.C2S: "C2S",
    PayerType.AMC: "Complémentaire",
    PayerType.PENDING: "Droits en attente (PASS, fonds de solidarité)",
}


def caisse_name(code: str) -> str:
    """« CPAM de la Vienne » for 861; « Caisse 999 » when the code names no département."""
    code = code.strip()
    if code in OVERSEAS:
        return OVERSEAS[code]
    if len(code) == 3 and code[:2] in DEPARTMENTS:
        return f"CPAM {DEPARTMENTS[code[:2]]}"
    return f"Caisse {code}" if code else "Caisse non renseignée"


def payer_name(payer_type: str, payer_code: str, label: str = "") -> str:
    """The payer as a clerk reads it: « CPAM de la Vienne », « C2S — CPAM de la Vienne »,
    « Mutuelle du Poitou », « Droits en attente (PASS, fonds de solidarité) »."""
    if payer_type == PayerType.AMO:
        if label and not label.startswith("Caisse "):
            return label
        return caisse_name(payer_code)
    if payer_type == PayerType.C2S:
        return f"C2S — {caisse_name(payer_code)}" if payer_code.isdigit() else (label or "C2S")
    if payer_type == PayerType.AMC:
        return label or f"Complémentaire n° {payer_code}"
    if payer_type == PayerType.PENDING:
        return label or TYPE_NAMES[PayerType.PENDING]
    return label or f"{payer_type} {payer_code}"
