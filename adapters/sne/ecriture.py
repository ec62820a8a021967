"""Writing a national exchange file (SNE interfaceNuu) as a stream: `ecrire` takes the header and
any iterable of `DemandeSNE` and writes them one by one through lxml's incremental `xmlfile`, so
that an export of the whole territory holds one demand in memory at a time. Elements come in the
order of `interfaceNuu.xsd`; an absent value writes no element. What is written validates against
the schema (tests/storage/test_sne_format.py)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import IO

from lxml import etree

from adapters.sne import modele as m
from adapters.sne.schema import NS, q

_NSMAP = {"ns1": NS}


def ecrire(sortie: IO[bytes], entete: m.Entete, demandes: Iterable[m.DemandeSNE]) -> int:
    """Writes the file; returns how many demands it holds."""
    n = 0
    with etree.xmlfile(sortie, encoding="UTF-8") as xf:
        xf.write_declaration(standalone=True)
        with xf.element(q("interfaceNuu"), nsmap=_NSMAP, versionInterface=entete.version):
            _ecrire(xf, element_entete(entete))
            for d in demandes:
                _ecrire(xf, element_demande(d))
                n += 1
            xf.write("\n")
    return n


def _ecrire(xf: etree.xmlfile, el: etree._Element) -> None:
    # Each element carries its namespace declaration: lxml's incremental writer does not reuse
    # the root's prefix; the file reads the same.
    etree.indent(el, space="    ", level=1)
    xf.write("\n    ")
    xf.write(el)


def document(entete: m.Entete, demandes: Iterable[m.DemandeSNE]) -> bytes:
    """The whole file in memory (one demand over HTTP, tests)."""
    import io

    tampon = io.BytesIO()
    ecrire(tampon, entete, demandes)
    return tampon.getvalue()


def element_entete(e: m.Entete) -> etree._Element:
    el = etree.Element(q("entete"), nsmap=_NSMAP)
    if e.type_fichier is not None:
        _code(el, "typeFichier", e.type_fichier)
    _texte(el, "dateFichier", e.date_fichier.isoformat(timespec="milliseconds"))
    return el


def element_demande(d: m.DemandeSNE) -> etree._Element:
    racine = etree.Element(q("demande"), nsmap=_NSMAP)
    dl = etree.SubElement(racine, q("demandeLogement"))
    _texte(dl, "numUnique", d.numero_unique)
    _texte(dl, "numGuichet", d.numero_guichet)
    _texte(dl, "dateCreationDemande", d.date_creation.isoformat())
    _texte(dl, "dateRenouvellement", d.date_renouvellement.isoformat() if d.date_renouvellement else None)
    pp = etree.SubElement(dl, q("personnePhysique"))
    dem = _titulaire(pp, "demandeur", d.demandeur)
    _montants(dem, "listeRessourceRecuePersACharge", d.ressources_recues_pac)
    _montants(dem, "listeRessourceVerseePersACharge", d.ressources_versees_pac)
    if d.personnes_a_charge is not None:
        liste = etree.SubElement(pp, q("listePersonneACharge"))
        for p in d.personnes_a_charge:
            x = etree.SubElement(liste, q("personneACharge"))
            _texte(x, "nom", p.nom)
            _texte(x, "prenom", p.prenom)
            _texte(x, "dateNaissance", p.date_naissance.isoformat())
            _code(x, "sexe", p.sexe)
            _code(x, "lienParente", p.lien_parente)
    if d.personne_a_naitre is not None:
        x = etree.SubElement(pp, q("personneANaitre"))
        _texte(x, "nombre", str(d.personne_a_naitre.nombre))
        prevue = d.personne_a_naitre.date_prevue
        _texte(x, "dateNaissancePrevue", prevue.isoformat() if prevue else None)
    if d.personnes_en_garde is not None:
        liste = etree.SubElement(pp, q("listePersonneEnGarde"))
        for g in d.personnes_en_garde:
            x = etree.SubElement(liste, q("personneEnGarde"))
            _texte(x, "dateNaissance", g.date_naissance.isoformat())
            _code(x, "sexe", g.sexe)
            _code(x, "coParentalite", g.coparentalite)
    if d.cotitulaires is not None:
        liste = etree.SubElement(pp, q("listeCotitulaire"))
        for t in d.cotitulaires:
            _titulaire(liste, "cotitulaire", t)
    if d.logement_actuel is not None:
        la = d.logement_actuel
        x = etree.SubElement(pp, q("logementActuel"))
        modeles = etree.SubElement(x, q("listeModeleLogement"))
        for code in la.modeles:
            _code(modeles, "modeleLogement", code)
        _texte(x, "montantMensuelLoyer", _nombre(la.loyer))
        _texte(x, "nombreHabitant", None if la.habitants is None else str(la.habitants))
        _code(x, "categorieLogement", la.categorie)
        _code(x, "typeLogementActuel", la.typologie)
        _texte(x, "surface", _nombre(la.surface))
        _texte(x, "proprietaire", _booleen(la.proprietaire))
    if d.recherche is not None:
        r = d.recherche
        x = etree.SubElement(dl, q("logementRecherche"))
        _texte(x, "demandeElargie", _booleen(r.elargie))
        if r.typologies is not None:
            liste = etree.SubElement(x, q("listeTypeLogement"))
            for t in r.typologies:
                _code(liste, "typeLogement", t)
        _code(x, "categorieLogementRecherche", r.categorie)
        if r.communes is not None:
            liste = etree.SubElement(x, q("listeLocalisationSouhaite"))
            for c in r.communes:
                _code(etree.SubElement(liste, q("localisationSouhaite")), "commune", c)
    if d.motifs is not None:
        liste = etree.SubElement(dl, q("listeMotifDemande"))
        for code in d.motifs:
            _code(liste, "motifDemande", code)
    return racine


def _titulaire(parent: etree._Element, nom: str, t: m.Titulaire) -> etree._Element:
    x = etree.SubElement(parent, q(nom))
    _code(x, "civilite", t.civilite)
    _texte(x, "nom", t.nom)
    _texte(x, "nomPatronymique", t.nom_patronymique)
    _texte(x, "prenom", t.prenom)
    _texte(x, "dateNaissance", t.date_naissance.isoformat())
    _code(x, "nationalite", t.nationalite)
    _code(x, "situationFamiliale", t.situation_familiale)
    _code(x, "lienDemandeur", t.lien_demandeur)
    _texte(x, "telPortable", t.tel_portable)
    _texte(x, "mel", t.mel)
    if t.adresse is not None:
        a = etree.SubElement(x, q("adressePostale"))
        _texte(a, "etranger", _booleen(t.adresse.etranger))
        _texte(a, "numero", t.adresse.numero)
        _texte(a, "voie", t.adresse.voie)
        _texte(a, "codePostal", t.adresse.code_postal)
        _code(a, "commune", t.adresse.commune)
    if t.situation_professionnelle is not None:
        s = t.situation_professionnelle
        a = etree.SubElement(x, q("situationProfessionnelle"))
        _texte(a, "profession", s.profession)
        _code(a, "typeContratTravail", s.contrat)
        _texte(a, "nomEmployeurPrincipal", s.employeur)
        _texte(a, "etranger", _booleen(s.etranger))
        _texte(a, "codePostal", s.code_postal)
        _code(a, "commune", s.commune)
    if t.revenu_fiscal is not None:
        r = t.revenu_fiscal
        a = etree.SubElement(x, q("revenuFiscal"))
        _texte(a, "anneeMoins1", None if r.annee_moins1 is None else str(r.annee_moins1))
        _texte(a, "montantMoins1", _nombre(r.montant_moins1))
        _texte(a, "anneeMoins2", None if r.annee_moins2 is None else str(r.annee_moins2))
        _texte(a, "montantMoins2", _nombre(r.montant_moins2))
    _montants(x, "listeRessourceRecue", t.ressources_recues)
    _montants(x, "listeRessourceVersee", t.ressources_versees)
    return x


def _montants(parent: etree._Element, nom: str, montants: tuple[m.Montant, ...] | None) -> None:
    if montants is None:
        return
    liste = etree.SubElement(parent, q(nom))
    for r in montants:
        d = etree.SubElement(liste, q("detailRessource"))
        _code(d, "ressource", r.code)
        _texte(d, "montant", _nombre(r.montant))


def _texte(parent: etree._Element, nom: str, valeur: str | None) -> None:
    if valeur is not None:
        etree.SubElement(parent, q(nom)).text = valeur


def _code(parent: etree._Element, nom: str, code: str | None) -> None:
    if code is not None:
        etree.SubElement(parent, q(nom), code=code)


def _booleen(v: bool | None) -> str | None:
    return None if v is None else ("true" if v else "false")


def _nombre(v: Decimal | None) -> str | None:
    if v is None:
        return None
    # 100, not 100.00 nor 1E+2: the national files write whole amounts without decimals.
    return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")
