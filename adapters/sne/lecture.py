"""Reading a national exchange file (SNE interfaceNuu) as a stream, in constant memory: `lxml`'s
`iterparse` hands over one `demande` element at a time, which is checked against the structure
(`schema.valider`), read into a `DemandeSNE` with every value converted and checked, and then
dropped from the tree, so that a file of any size is read with the memory of one demand.

Every error is kept with its line, its element and why: the schema's, and the reader's own (a
code outside its national list, an amount that is not one, a date that is not one), so that an
error the schema stops at does not hide the next one in the same element."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any, TypeVar

import msgspec
from lxml import etree

from adapters.sne import modele as m
from adapters.sne.codes import CODES
from adapters.sne.schema import ErreurSNE, chemin, q, valider

T = TypeVar("T")
VERSIONS = ("02.00", "02.01")
MANQUANT = "this required element is missing"


@dataclass
class DemandeLue:
    """One `demande` element: what it says (None when it cannot be read) and what is wrong."""

    ligne: int
    numero_unique: str | None
    demande: m.DemandeSNE | None
    erreurs: list[ErreurSNE]


class FichierIllisible(Exception):
    """The file is not well-formed XML, or not an interfaceNuu file: nothing of it is read."""

    def __init__(self, erreur: ErreurSNE) -> None:
        super().__init__(str(erreur))
        self.erreur = erreur


@dataclass
class Lecture:
    """A file being read: `entete` once its element has been read, `erreurs` of the file itself
    (its root and header), and the demands one by one from `demandes()`."""

    source: IO[bytes]
    entete: m.Entete | None = None
    erreurs: list[ErreurSNE] = field(default_factory=list)

    def demandes(self) -> Iterator[DemandeLue]:
        return self.elements(lire_demande)

    def elements(self, lire: Callable[[etree._Element], T]) -> Iterator[T]:
        """Each `demande` element as `lire` makes it, the file's own checks made on the way."""
        racine = None
        tags = (q("interfaceNuu"), q("entete"), q("demande"))
        contexte = etree.iterparse(
            self.source, events=("start", "end"), tag=tags, remove_blank_text=False, huge_tree=True
        )
        try:
            for evenement, el in contexte:
                if evenement == "start":
                    if el.tag == q("interfaceNuu") and racine is None:
                        racine = el
                        self._racine(el)
                    continue
                if el.tag == q("interfaceNuu"):
                    self._restes(el)
                    break
                self._restes(el)
                if el.tag == q("entete"):
                    self._entete(el)
                else:
                    yield lire(el)
                # Constant memory: what was read goes, with what came before it.
                el.clear(keep_tail=True)
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as e:
            ligne = e.lineno or 0
            raise FichierIllisible(ErreurSNE(ligne, "(file)", f"not well-formed XML: {e.msg}")) from None
        if racine is None:
            raise FichierIllisible(
                ErreurSNE(1, "(file)", f"not an interfaceNuu file: no root element interfaceNuu in namespace {q('')[1:-1]}")
            )
        if self.entete is None:
            self.erreurs.append(ErreurSNE(racine.sourceline or 1, "interfaceNuu", "the header (entete) is missing"))

    def _racine(self, el: etree._Element) -> None:
        version = el.get("versionInterface")
        if version not in VERSIONS:
            self.erreurs.append(
                ErreurSNE(
                    el.sourceline or 1,
                    "interfaceNuu",
                    f"attribute versionInterface: {version!r} is not one of {', '.join(VERSIONS)}",
                )
            )

    def _restes(self, el: etree._Element) -> None:
        """Elements of the root that are neither the header nor a demand (read before `el`), and
        a header out of place."""
        parent = el.getparent()
        if parent is None:
            return
        for autre in parent:
            if autre is el:
                break
            if autre.tag not in (q("entete"), q("demande")) and isinstance(autre.tag, str):
                self.erreurs.append(
                    ErreurSNE(autre.sourceline or 0, chemin(autre), "this element is not expected here")
                )
        if el.tag == q("demande") and self.entete is None and not any(e.element == "interfaceNuu" for e in self.erreurs):
            self.erreurs.append(
                ErreurSNE(el.sourceline or 0, "interfaceNuu", "the header (entete) must come before the demands")
            )

    def _entete(self, el: etree._Element) -> None:
        if self.entete is not None:
            self.erreurs.append(ErreurSNE(el.sourceline or 0, "entete", "a second header"))
            return
        erreurs = valider(el)
        lu = _Lecteur(erreurs)
        noeud = _Noeud(el)
        quand = lu.datetime_(noeud, "dateFichier", requis=True)
        type_fichier = lu.code(noeud, "typeFichier", "typeFichier")
        self.erreurs.extend(_uniques(erreurs))
        if quand is not None:
            self.entete = m.Entete(
                date_fichier=quand, type_fichier=type_fichier, version=el.getparent().get("versionInterface", "02.00")
            )


def lire_demande(el: etree._Element) -> DemandeLue:
    """One `demande` element read and checked: the schema's errors, then the reader's own."""
    du_schema = valider(el)
    lu = _Lecteur([])
    dl = el.find(q("demandeLogement"))
    numero = _texte_brut(dl, "numUnique") if dl is not None else None
    demande = None
    if dl is not None:
        demande = lu.demande_logement(dl)
    erreurs = _uniques(_sans_doublons(du_schema, lu.erreurs) + lu.erreurs)
    if numero:
        erreurs = [ErreurSNE(e.ligne, e.element, e.raison, numero) for e in erreurs]
    return DemandeLue(el.sourceline or 0, numero, demande if not erreurs else None, erreurs)


def en_octets(el: etree._Element) -> tuple[int, bytes]:
    """A `demande` element as bytes, with its line: what a worker process reads it from
    (`lire_octets`)."""
    return el.sourceline or 0, etree.tostring(el, with_tail=False)


_ANALYSEUR = etree.XMLParser(huge_tree=True, remove_blank_text=False)


def lire_octets(ligne: int, octets: bytes) -> DemandeLue:
    """`lire_demande` of an element made bytes by `en_octets`, its lines those of the file."""
    lue = lire_demande(etree.fromstring(octets, _ANALYSEUR))
    if ligne <= 1:
        return lue
    decalage = ligne - 1
    erreurs = [msgspec.structs.replace(e, ligne=e.ligne + decalage) if e.ligne else e for e in lue.erreurs]
    return DemandeLue(lue.ligne + decalage, lue.numero_unique, lue.demande, erreurs)


def _sans_doublons(du_schema: list[ErreurSNE], du_lecteur: list[ErreurSNE]) -> list[ErreurSNE]:
    """The schema's errors less those the reader tells better: a required element missing is
    named by the reader at its parent, and by the schema as the next element "not expected"."""
    manquants = [e.element.rsplit("/", 1) for e in du_lecteur if e.raison == MANQUANT]
    return [
        e
        for e in du_schema
        if not any(
            e.element.startswith(parent + "/") and "not expected" in e.raison and f" {nom}" in e.raison
            for parent, nom in manquants
        )
    ]


def _uniques(erreurs: list[ErreurSNE]) -> list[ErreurSNE]:
    """The schema and the reader often see the same fault: keep it once per line and element
    (the schema's wording first), in the file's order."""
    vus: set[tuple[int, str]] = set()
    out = []
    for e in erreurs:
        cle = (e.ligne, e.element.rsplit("/", 1)[-1].split("[", 1)[0])
        if cle in vus:
            continue
        vus.add(cle)
        out.append(e)
    return sorted(out, key=lambda e: e.ligne)


def _texte_brut(parent: etree._Element, nom: str) -> str | None:
    x = parent.find(q(nom))
    return x.text.strip() if x is not None and x.text and x.text.strip() else None


class _Noeud:
    """An element and its children by tag, looked up once: a demand has some eighty elements, and
    one pass over each element's children costs less than a search per value."""

    __slots__ = ("el", "enfants")

    def __init__(self, el: etree._Element) -> None:
        self.el = el
        self.enfants = {x.tag: x for x in el}

    def find(self, nom: str) -> etree._Element | None:
        return self.enfants.get(_Q[nom]) if nom in _Q else self.enfants.get(q(nom))

    @property
    def sourceline(self) -> int | None:
        return self.el.sourceline


_NOMS = ["numUnique", "numGuichet", "dateCreationDemande", "dateRenouvellement", "personnePhysique", "demandeur", "listePersonneACharge", "personneANaitre", "listePersonneEnGarde", "listeCotitulaire", "logementActuel", "logementRecherche", "listeMotifDemande", "civilite", "nom", "nomPatronymique", "prenom", "dateNaissance", "nationalite", "situationFamiliale", "lienDemandeur", "telPortable", "mel", "adressePostale", "situationProfessionnelle", "revenuFiscal", "listeRessourceRecue", "listeRessourceVersee", "listeRessourceRecuePersACharge", "listeRessourceVerseePersACharge", "etranger", "numero", "voie", "codePostal", "commune", "profession", "typeContratTravail", "nomEmployeurPrincipal", "anneeMoins1", "montantMoins1", "anneeMoins2", "montantMoins2", "ressource", "montant", "sexe", "lienParente", "coParentalite", "nombre", "dateNaissancePrevue", "listeModeleLogement", "montantMensuelLoyer", "nombreHabitant", "categorieLogement", "typeLogementActuel", "surface", "proprietaire", "demandeElargie", "listeTypeLogement", "categorieLogementRecherche", "listeLocalisationSouhaite", "dateFichier", "typeFichier"]
_Q = {n: q(n) for n in _NOMS}
_DETAIL = q("detailRessource")
Noeud = etree._Element | _Noeud


def _n(x: Noeud) -> _Noeud:
    return x if isinstance(x, _Noeud) else _Noeud(x)


def _chemin(x: Noeud) -> str:
    return chemin(x.el if isinstance(x, _Noeud) else x)


class _Lecteur:
    """Reads values out of elements, converting and checking each one; a value that cannot be
    read is an error with its line, and reads as None."""

    def __init__(self, erreurs: list[ErreurSNE]) -> None:
        self.erreurs = erreurs

    def _erreur(self, el: Noeud, raison: str) -> None:
        self.erreurs.append(ErreurSNE(el.sourceline or 0, _chemin(el), raison))

    def _manque(self, parent: Noeud, nom: str) -> None:
        self.erreurs.append(ErreurSNE(parent.sourceline or 0, f"{_chemin(parent)}/{nom}", MANQUANT))

    def _valeur(
        self, parent: _Noeud, nom: str, conv: Callable[[str], T], quoi: str, requis: bool
    ) -> T | None:
        x = parent.find(nom)
        if x is None:
            if requis:
                self._manque(parent, nom)
            return None
        texte = (x.text or "").strip()
        if not texte:
            self._erreur(x, f"empty; expected {quoi}")
            return None
        try:
            return conv(texte)
        except (ValueError, InvalidOperation):
            self._erreur(x, f"{texte!r} is not {quoi}")
            return None

    def texte(self, parent: _Noeud, nom: str, requis: bool = False) -> str | None:
        return self._valeur(parent, nom, str, "a text", requis)

    def date_(self, parent: _Noeud, nom: str, requis: bool = False) -> date | None:
        return self._valeur(parent, nom, date.fromisoformat, "a date (YYYY-MM-DD)", requis)

    def datetime_(self, parent: _Noeud, nom: str, requis: bool = False) -> datetime | None:
        return self._valeur(parent, nom, datetime.fromisoformat, "a date and time (ISO 8601)", requis)

    def montant(self, parent: _Noeud, nom: str, requis: bool = False) -> Decimal | None:
        def conv(t: str) -> Decimal:
            d = Decimal(t)
            if not d.is_finite() or d < 0:
                raise ValueError(t)
            return d

        return self._valeur(parent, nom, conv, "an amount (a number ≥ 0)", requis)

    def entier(self, parent: _Noeud, nom: str, requis: bool = False) -> int | None:
        def conv(t: str) -> int:
            n = int(t)
            if n < 0:
                raise ValueError(t)
            return n

        return self._valeur(parent, nom, conv, "a whole number ≥ 0", requis)

    def booleen(self, parent: _Noeud, nom: str) -> bool | None:
        def conv(t: str) -> bool:
            if t in ("true", "1"):
                return True
            if t in ("false", "0"):
                return False
            raise ValueError(t)

        return self._valeur(parent, nom, conv, "true or false", False)

    def code(self, parent: _Noeud, nom: str, liste: str, requis: bool = False) -> str | None:
        x = parent.find(nom)
        if x is None:
            if requis:
                self._manque(parent, nom)
            return None
        return self._code_de(x, liste)

    def _code_de(self, x: etree._Element, liste: str) -> str | None:
        valeur = x.get("code")
        if valeur is None:
            self._erreur(x, "attribute code is missing")
            return None
        if liste == "commune":
            if len(valeur) != 5 or not (valeur[0].isdigit() and (valeur[1].isdigit() or valeur[1] in "AB") and valeur[2:].isdigit()):
                self._erreur(x, f"attribute code: {valeur!r} is not an INSEE commune code")
                return None
            return valeur
        if valeur not in CODES[liste]:
            self._erreur(x, f"attribute code: {valeur!r} is not in the national list {liste}")
            return None
        return valeur

    def codes(self, parent: _Noeud, liste_el: str, nom: str, liste: str) -> tuple[str, ...] | None:
        conteneur = parent.find(liste_el)
        if conteneur is None:
            return None
        out = []
        for x in conteneur.iterchildren(q(nom)):
            v = self._code_de(x, liste)
            if v is not None:
                out.append(v)
        return tuple(out)

    def montants(self, parent: _Noeud, nom: str, liste: str) -> tuple[m.Montant, ...] | None:
        conteneur = parent.find(nom)
        if conteneur is None:
            return None
        out = []
        for x in conteneur.iterchildren(_DETAIL):
            d = _Noeud(x)
            code = self.code(d, "ressource", liste, requis=True)
            montant = self.montant(d, "montant", requis=True)
            if code is not None and montant is not None:
                out.append(m.Montant(code, montant))
        return tuple(out)

    def _sous(self, parent: _Noeud, nom: str, lire: Callable[[_Noeud], Any]) -> Any:
        x = parent.find(nom)
        return None if x is None else lire(_Noeud(x))

    # -- the elements ---------------------------------------------------------------------------

    def demande_logement(self, dl_el: etree._Element) -> m.DemandeSNE | None:
        dl = _Noeud(dl_el)
        numero = self.texte(dl, "numUnique", requis=True)
        guichet = self.texte(dl, "numGuichet")
        creation = self.date_(dl, "dateCreationDemande", requis=True)
        renouvellement = self.date_(dl, "dateRenouvellement")
        pp_el = dl.find("personnePhysique")
        if pp_el is None:
            self._manque(dl, "personnePhysique")
            return None
        pp = _Noeud(pp_el)
        dem_el = pp.find("demandeur")
        dem = _Noeud(dem_el) if dem_el is not None else None
        demandeur = self.titulaire(dem) if dem is not None else None
        if dem is None:
            self._manque(pp, "demandeur")
        pac = self._sous(pp, "listePersonneACharge", lambda x: tuple(
            p for p in (self.personne_a_charge(_Noeud(y)) for y in x.el.iterchildren(q("personneACharge")))
            if p is not None
        ))
        cotitulaires = self._sous(pp, "listeCotitulaire", lambda x: tuple(
            t for t in (self.titulaire(_Noeud(y)) for y in x.el.iterchildren(q("cotitulaire"))) if t is not None
        ))
        en_garde = self._sous(pp, "listePersonneEnGarde", lambda x: tuple(
            g for g in (self.en_garde(_Noeud(y)) for y in x.el.iterchildren(q("personneEnGarde")))
            if g is not None
        ))
        a_naitre = self._sous(pp, "personneANaitre", self.a_naitre)
        logement = self._sous(pp, "logementActuel", self.logement_actuel)
        recherche = self._sous(dl, "logementRecherche", self.recherche)
        motifs = self.codes(dl, "listeMotifDemande", "motifDemande", "motifDemande")
        if numero is None or creation is None or demandeur is None:
            return None
        return m.DemandeSNE(
            numero_unique=numero,
            numero_guichet=guichet,
            date_creation=creation,
            date_renouvellement=renouvellement,
            demandeur=demandeur,
            ressources_recues_pac=self.montants(dem, "listeRessourceRecuePersACharge", "ressourceRecue"),
            ressources_versees_pac=self.montants(dem, "listeRessourceVerseePersACharge", "ressourceVersee"),
            personnes_a_charge=pac,
            personne_a_naitre=a_naitre,
            personnes_en_garde=en_garde,
            cotitulaires=cotitulaires,
            logement_actuel=logement,
            recherche=recherche,
            motifs=motifs,
        )

    def titulaire(self, t: _Noeud) -> m.Titulaire | None:
        nom = self.texte(t, "nom", requis=True)
        prenom = self.texte(t, "prenom", requis=True)
        naissance = self.date_(t, "dateNaissance", requis=True)
        valeurs = dict(
            civilite=self.code(t, "civilite", "civilite"),
            nom_patronymique=self.texte(t, "nomPatronymique"),
            nationalite=self.code(t, "nationalite", "nationalite"),
            situation_familiale=self.code(t, "situationFamiliale", "situationFamiliale"),
            lien_demandeur=self.code(t, "lienDemandeur", "lienDemandeur"),
            tel_portable=self.texte(t, "telPortable"),
            mel=self.texte(t, "mel"),
            adresse=self._sous(t, "adressePostale", self.adresse),
            situation_professionnelle=self._sous(t, "situationProfessionnelle", self.situation_pro),
            revenu_fiscal=self._sous(t, "revenuFiscal", self.revenu_fiscal),
            ressources_recues=self.montants(t, "listeRessourceRecue", "ressourceRecue"),
            ressources_versees=self.montants(t, "listeRessourceVersee", "ressourceVersee"),
        )
        if nom is None or prenom is None or naissance is None:
            return None
        return m.Titulaire(nom=nom, prenom=prenom, date_naissance=naissance, **valeurs)

    def adresse(self, a: _Noeud) -> m.Adresse:
        return m.Adresse(
            etranger=self.booleen(a, "etranger"),
            numero=self.texte(a, "numero"),
            voie=self.texte(a, "voie"),
            code_postal=self.texte(a, "codePostal"),
            commune=self.code(a, "commune", "commune"),
        )

    def situation_pro(self, s: _Noeud) -> m.SituationProfessionnelle:
        return m.SituationProfessionnelle(
            profession=self.texte(s, "profession"),
            contrat=self.code(s, "typeContratTravail", "typeContratTravail"),
            employeur=self.texte(s, "nomEmployeurPrincipal"),
            etranger=self.booleen(s, "etranger"),
            code_postal=self.texte(s, "codePostal"),
            commune=self.code(s, "commune", "commune"),
        )

    def revenu_fiscal(self, r: _Noeud) -> m.RevenuFiscal:
        return m.RevenuFiscal(
            annee_moins1=self.entier(r, "anneeMoins1"),
            montant_moins1=self.montant(r, "montantMoins1"),
            annee_moins2=self.entier(r, "anneeMoins2"),
            montant_moins2=self.montant(r, "montantMoins2"),
        )

    def personne_a_charge(self, p: _Noeud) -> m.PersonneACharge | None:
        nom = self.texte(p, "nom", requis=True)
        prenom = self.texte(p, "prenom", requis=True)
        naissance = self.date_(p, "dateNaissance", requis=True)
        sexe = self.code(p, "sexe", "sexe")
        lien = self.code(p, "lienParente", "lienParente")
        if nom is None or prenom is None or naissance is None:
            return None
        return m.PersonneACharge(nom=nom, prenom=prenom, date_naissance=naissance, sexe=sexe, lien_parente=lien)

    def en_garde(self, g: _Noeud) -> m.PersonneEnGarde | None:
        naissance = self.date_(g, "dateNaissance", requis=True)
        sexe = self.code(g, "sexe", "sexe")
        copar = self.code(g, "coParentalite", "coParentalite", requis=True)
        if naissance is None or copar is None:
            return None
        return m.PersonneEnGarde(naissance, sexe, copar)

    def a_naitre(self, p: _Noeud) -> m.PersonneANaitre | None:
        nombre = self.entier(p, "nombre", requis=True)
        prevue = self.date_(p, "dateNaissancePrevue")
        if nombre is None:
            return None
        if nombre < 1:
            self._erreur(p, "nombre: at least one person to be born")
            return None
        return m.PersonneANaitre(nombre, prevue)

    def logement_actuel(self, la: _Noeud) -> m.LogementActuel | None:
        modeles = self.codes(la, "listeModeleLogement", "modeleLogement", "modeleLogement")
        valeurs = dict(
            loyer=self.montant(la, "montantMensuelLoyer"),
            habitants=self.entier(la, "nombreHabitant"),
            categorie=self.code(la, "categorieLogement", "categorieLogementRecherche"),
            typologie=self.code(la, "typeLogementActuel", "typeLogement"),
            surface=self.montant(la, "surface"),
            proprietaire=self.booleen(la, "proprietaire"),
        )
        if not modeles:
            if modeles is None:
                self._manque(la, "listeModeleLogement")
            else:
                self._erreur(la.find("listeModeleLogement"), "at least one modeleLogement")
            return None
        return m.LogementActuel(modeles=modeles, **valeurs)

    def recherche(self, r: _Noeud) -> m.LogementRecherche:
        communes = None
        conteneur = r.find("listeLocalisationSouhaite")
        if conteneur is not None:
            communes = tuple(
                c
                for c in (
                    self.code(_Noeud(loc), "commune", "commune", requis=True)
                    for loc in conteneur.iterchildren(q("localisationSouhaite"))
                )
                if c is not None
            )
        return m.LogementRecherche(
            elargie=self.booleen(r, "demandeElargie"),
            typologies=self.codes(r, "listeTypeLogement", "typeLogement", "typeLogement"),
            categorie=self.code(r, "categorieLogementRecherche", "categorieLogementRecherche"),
            communes=communes,
        )

