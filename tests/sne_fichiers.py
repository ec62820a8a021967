"""Files of the national exchange format for the tests: the published sample (a fixture; its
people are fictitious), copies of its demand under other numéros, and the same with ten planted
errors, one per demand, each of a different kind."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

EXEMPLE = Path(__file__).parent / "fixtures" / "sne" / "interface-exemple.xml"
NUMERO = "1110318016982G1104"
TEXTE = EXEMPLE.read_text(encoding="utf-8")
_TETE, _RESTE = TEXTE.split("<ns1:demande>", 1)
DEMANDE = "<ns1:demande>" + _RESTE.rsplit("</ns1:demande>", 1)[0] + "</ns1:demande>"
_FIN = _RESTE.rsplit("</ns1:demande>", 1)[1]

# (what is planted, the element the error must name): nine the reader sees, one the domain sees.
PLANTEES: list[tuple[str, str, str, str]] = [
    ('code="PAR"', 'code="XXX"', "ressource", "XXX"),
    ("<ns1:montant>400</ns1:montant>", "<ns1:montant>-400</ns1:montant>", "montant", "-400"),
    ("<ns1:dateNaissance>1970-01-01", "<ns1:dateNaissance>1970-13-01", "dateNaissance", "1970-13-01"),
    ("<ns1:prenom>Jean</ns1:prenom>", "", "prenom", "missing"),
    ("<ns1:mel>", "<ns1:inconnu>x</ns1:inconnu><ns1:mel>", "inconnu", "not expected"),
    ('<ns1:commune code="75113"/>', '<ns1:commune code="7511"/>', "commune", "7511"),
    ('<ns1:civilite code="1"/>', '<ns1:civilite code="9"/>', "civilite", "'9'"),
    ("<ns1:montant>150</ns1:montant>", "<ns1:montant>abc</ns1:montant>", "montant", "abc"),
    ("<ns1:proprietaire>false", "<ns1:proprietaire>peut-etre", "proprietaire", "peut-etre"),
    # Filed after the file's date: the domain refuses a registration dated before its filing.
    (
        "<ns1:dateCreationDemande>2018-03-15</ns1:dateCreationDemande>",
        "<ns1:dateCreationDemande>2018-04-15</ns1:dateCreationDemande>",
        "demandeLogement",
        "filed_on_apres_enregistrement",
    ),
]


def numero(i: int) -> str:
    return f"11103180169{i:02d}G1104"


def fichier(demandes: list[str], date_fichier: str | None = None) -> bytes:
    tete = _TETE
    if date_fichier is not None:
        tete = tete.replace("2018-03-15T16:54:06.339+01:00", date_fichier)
    return (tete + "\n    ".join(demandes) + _FIN).encode("utf-8")


def copie(i: int, remplacements: tuple[tuple[str, str], ...] = ()) -> str:
    d = DEMANDE.replace(NUMERO, numero(i))
    for avant, apres in remplacements:
        assert avant in d, avant
        d = d.replace(avant, apres, 1)
    return d


def plante() -> bytes:
    """Ten demands with one planted error each, then a clean one (numéro 99)."""
    return fichier([copie(i, ((a, b),)) for i, (a, b, _, _) in enumerate(PLANTEES)] + [copie(99)])


def canonique(xml: bytes, sans_entete: bool = True) -> bytes:
    """The XML's canonical form, whitespace between elements aside (and the header, whose
    date is the export's, and the interface version: the ledger writes 02.01, which reads 02.00)."""
    racine = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True))
    if sans_entete:
        racine.attrib.pop("versionInterface", None)
        for e in racine.findall("{http://nuu.application.i2/}entete"):
            racine.remove(e)
    return etree.tostring(racine, method="c14n2", strip_text=True)
