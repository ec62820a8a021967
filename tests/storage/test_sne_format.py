"""The national exchange format on its own (adapters/sne): the schema agrees with the national
code lists and the domain's enums, the published sample reads without error and is written back
element for element, every planted error is found with its line, element and why, a file that is
not XML is refused whole, and the reader's memory does not grow with the file."""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import date

import pytest
from lxml import etree

from adapters.sne import codes, ecriture, lecture, schema
from adapters.sne.generation import ecrire_fichier
from adapters.territory_file import load_territory
from domain import codes as dc
from tests import sne_fichiers as f
from tests.conftest import DEMO

XS = "{http://www.w3.org/2001/XMLSchema}"


def _enumerations() -> dict[str, set[str]]:
    xsd = etree.parse(str(schema.XSD))
    out = {}
    for st in xsd.getroot().iter(f"{XS}simpleType"):
        nom = st.get("name") or ""
        if nom.startswith("valeurs"):
            out[nom.removeprefix("valeurs")] = {e.get("value") for e in st.iter(f"{XS}enumeration")}
    return out


def test_the_schema_s_code_lists_are_the_national_ones() -> None:
    enums = _enumerations()
    nationales = json.loads(codes.FICHIER.read_text(encoding="utf-8"))
    for nom, valeurs in enums.items():
        liste = nom[0].lower() + nom[1:]
        assert liste in nationales, nom
        assert valeurs == set(nationales[liste]), nom
    assert len(enums) >= 14


@pytest.mark.parametrize(
    ("enum", "liste"),
    [
        (dc.TypeContratTravail, "typeContratTravail"), (dc.RessourceRecue, "ressourceRecue"),
        (dc.ModeleLogement, "modeleLogement"), (dc.Typologie, "typeLogement"),
        (dc.Civilite, "civilite"), (dc.Nationalite, "nationalite"),
        (dc.SituationFamiliale, "situationFamiliale"), (dc.LienDemandeur, "lienDemandeur"),
        (dc.LienParente, "lienParente"), (dc.Sexe, "sexe"), (dc.CoParentalite, "coParentalite"),
        (dc.CategorieLogement, "categorieLogementRecherche"), (dc.RessourceVersee, "ressourceVersee"),
        (dc.MotifRadiation, "motifRadiation"), (dc.StatutDalo, "statutDalo"),
        (dc.TypeReservataire, "typeReservataire"),
    ],
)
def test_the_domain_s_codes_are_the_national_ones(enum: type, liste: str) -> None:
    assert {e.value for e in enum} == set(codes.CODES[liste])


def _lire(xml: bytes) -> tuple[lecture.Lecture, list[lecture.DemandeLue]]:
    lu = lecture.Lecture(io.BytesIO(xml))
    return lu, list(lu.demandes())


def test_the_sample_reads_without_error_and_is_written_back_element_for_element() -> None:
    xml = f.EXEMPLE.read_bytes()
    lu, demandes = _lire(xml)
    assert lu.erreurs == [] and lu.entete is not None
    assert [(d.numero_unique, d.erreurs) for d in demandes] == [(f.NUMERO, [])]
    d = demandes[0].demande
    assert d is not None and d.demandeur.nom == "Dupont" and len(d.cotitulaires or ()) == 1
    assert d.logement_actuel is not None and d.logement_actuel.modeles == ("LP",)
    ecrit = ecriture.document(lu.entete, [d])
    assert f.canonique(ecrit, sans_entete=False) == f.canonique(xml, sans_entete=False)
    assert schema.schema().validate(etree.fromstring(ecrit))


def test_every_planted_error_is_found_with_its_line_element_and_why() -> None:
    xml = f.plante()
    lu, demandes = _lire(xml)
    lignes = xml.decode().splitlines()
    assert lu.erreurs == []
    par_numero = {d.numero_unique: d for d in demandes}
    for i, (_, plante, element, pourquoi) in enumerate(f.PLANTEES[:9]):
        d = par_numero[f.numero(i)]
        assert d.demande is None
        assert len(d.erreurs) == 1, d.erreurs
        (e,) = d.erreurs
        assert e.element.rsplit("/", 1)[-1].split("[")[0] == element
        assert pourquoi in e.raison
        assert e.numero_unique == f.numero(i)
        # The line named is the planted element's (or, for a missing one, its parent's).
        texte = plante or "<ns1:demandeur>"
        assert texte.split(">")[0] in lignes[e.ligne - 1] or element in lignes[e.ligne - 1], (e, lignes[e.ligne - 1])
    # The tenth is the domain's to refuse; the reader finds nothing wrong with it.
    assert par_numero[f.numero(9)].erreurs == [] and par_numero[f.numero(99)].erreurs == []


def test_a_file_that_is_not_well_formed_or_not_interface_nuu_is_refused_whole() -> None:
    with pytest.raises(lecture.FichierIllisible) as e:
        _lire(f.fichier([f.copie(1)])[:-200])
    assert "not well-formed" in e.value.erreur.raison and e.value.erreur.ligne > 1
    with pytest.raises(lecture.FichierIllisible, match="not an interfaceNuu file"):
        _lire(b"<?xml version='1.0'?><autre/>")
    lu, _ = _lire(f.fichier([f.copie(1)]).replace(b'versionInterface="02.00"', b'versionInterface="09.99"'))
    assert [e.element for e in lu.erreurs] == ["interfaceNuu"] and "09.99" in lu.erreurs[0].raison


def test_a_generated_file_is_valid_and_read_in_flat_memory() -> None:
    territoire = load_territory(DEMO)

    def pic(n: int) -> tuple[int, int]:
        tampon = io.BytesIO()
        ecrire_fichier(tampon, territoire, n, date(2026, 11, 23), graine=7)
        xml = tampon.getvalue()
        assert schema.schema().validate(etree.fromstring(xml))
        tracemalloc.start()
        lu = lecture.Lecture(io.BytesIO(xml))
        lues = sum(1 for d in lu.demandes() if d.demande is not None and not d.erreurs)
        _, haut = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return lues, haut

    n1, pic1 = pic(100)
    n2, pic2 = pic(800)
    assert (n1, n2) == (100, 800)
    # Eight times the demands, not eight times the memory (the bytes in a BytesIO aside).
    assert pic2 < 2 * pic1, (pic1, pic2)
