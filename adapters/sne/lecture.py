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
                    yield lire_demande(el)
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
        quand = lu.datetime_(el, "dateFichier", requis=True)
        type_fichier = lu.code(el, "typeFichier", "typeFichier")
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


class _Lecteur:
    """Reads values out of elements, converting and checking each one; a value that cannot be
    read is an error with its line, and reads as None."""

    def __init__(self, erreurs: list[ErreurSNE]) -> None:
        self.erreurs = erreurs

    def _erreur(self, el: etree._Element, raison: str) -> None:
        self.erreurs.append(ErreurSNE(el.sourceline or 0, chemin(el), raison))

    def _valeur(
        self, parent: etree._Element, nom: str, conv: Callable[[str], T], quoi: str, requis: bool
    ) -> T | None:
        x = parent.find(q(nom))
        if x is None:
            if requis:
                self.erreurs.append(
                    ErreurSNE(parent.sourceline or 0, f"{chemin(parent)}/{nom}", MANQUANT)
                )
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

    def texte(self, parent: etree._Element, nom: str, requis: bool = False) -> str | None:
        return self._valeur(parent, nom, str, "a text", requis)

    def date_(self, parent: etree._Element, nom: str, requis: bool = False) -> date | None:
        return self._valeur(parent, nom, date.fromisoformat, "a date (YYYY-MM-DD)", requis)

    def datetime_(self, parent: etree._Element, nom: str, requis: bool = False) -> datetime | None:
        return self._valeur(parent, nom, datetime.fromisoformat, "a date and time (ISO 8601)", requis)

    def montant(self, parent: etree._Element, nom: str, requis: bool = False) -> Decimal | None:
        def conv(t: str) -> Decimal:
            d = Decimal(t)
            if not d.is_finite() or d < 0:
                raise ValueError(t)
            return d

        return self._valeur(parent, nom, conv, "an amount (a number ≥ 0)", requis)

    def entier(self, parent: etree._Element, nom: str, requis: bool = False) -> int | None:
        def conv(t: str) -> int:
            n = int(t)
            if n < 0:
                raise ValueError(t)
            return n

        return self._valeur(parent, nom, conv, "a whole number ≥ 0", requis)

    def booleen(self, parent: etree._Element, nom: str) -> bool | None:
        def conv(t: str) -> bool:
            if t in ("true", "1"):
                return True
            if t in ("false", "0"):
                return False
            raise ValueError(t)

        return self._valeur(parent, nom, conv, "true or false", False)

    def code(self, parent: etree._Element, nom: str, liste: str, requis: bool = False) -> str | None:
        x = parent.find(q(nom))
        if x is None:
            if requis:
                self.erreurs.append(
                    ErreurSNE(parent.sourceline or 0, f"{chemin(parent)}/{nom}", MANQUANT)
                )
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

    def codes(self, parent: etree._Element, liste_el: str, nom: str, liste: str) -> tuple[str, ...] | None:
        conteneur = parent.find(q(liste_el))
        if conteneur is None:
            return None
        out = []
        for x in conteneur.iterchildren(q(nom)):
            v = self._code_de(x, liste)
            if v is not None:
                out.append(v)
        return tuple(out)

    def montants(self, parent: etree._Element, nom: str, liste: str) -> tuple[m.Montant, ...] | None:
        conteneur = parent.find(q(nom))
        if conteneur is None:
            return None
        out = []
        for d in conteneur.iterchildren(q("detailRessource")):
            code = self.code(d, "ressource", liste, requis=True)
            montant = self.montant(d, "montant", requis=True)
            if code is not None and montant is not None:
                out.append(m.Montant(code, montant))
        return tuple(out)

    def _sous(self, parent: etree._Element, nom: str, lire: Callable[[etree._Element], Any]) -> Any:
        x = parent.find(q(nom))
        return None if x is None else lire(x)

    # -- the elements ---------------------------------------------------------------------------

    def demande_logement(self, dl: etree._Element) -> m.DemandeSNE | None:
        numero = self.texte(dl, "numUnique", requis=True)
        guichet = self.texte(dl, "numGuichet")
        creation = self.date_(dl, "dateCreationDemande", requis=True)
        renouvellement = self.date_(dl, "dateRenouvellement")
        pp = dl.find(q("personnePhysique"))
        if pp is None:
            self.erreurs.append(
                ErreurSNE(dl.sourceline or 0, f"{chemin(dl)}/personnePhysique", MANQUANT)
            )
            return None
        dem_el = pp.find(q("demandeur"))
        demandeur = self.titulaire(dem_el) if dem_el is not None else None
        if dem_el is None:
            self.erreurs.append(
                ErreurSNE(pp.sourceline or 0, f"{chemin(pp)}/demandeur", MANQUANT)
            )
        pac = self._sous(pp, "listePersonneACharge", lambda x: tuple(
            p for p in (self.personne_a_charge(y) for y in x.iterchildren(q("personneACharge"))) if p is not None
        ))
        cotitulaires = self._sous(pp, "listeCotitulaire", lambda x: tuple(
            t for t in (self.titulaire(y) for y in x.iterchildren(q("cotitulaire"))) if t is not None
        ))
        en_garde = self._sous(pp, "listePersonneEnGarde", lambda x: tuple(
            g for g in (self.en_garde(y) for y in x.iterchildren(q("personneEnGarde"))) if g is not None
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
            ressources_recues_pac=self.montants(dem_el, "listeRessourceRecuePersACharge", "ressourceRecue"),
            ressources_versees_pac=self.montants(dem_el, "listeRessourceVerseePersACharge", "ressourceVersee"),
            personnes_a_charge=pac,
            personne_a_naitre=a_naitre,
            personnes_en_garde=en_garde,
            cotitulaires=cotitulaires,
            logement_actuel=logement,
            recherche=recherche,
            motifs=motifs,
        )

    def titulaire(self, t: etree._Element) -> m.Titulaire | None:
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

    def adresse(self, a: etree._Element) -> m.Adresse:
        return m.Adresse(
            etranger=self.booleen(a, "etranger"),
            numero=self.texte(a, "numero"),
            voie=self.texte(a, "voie"),
            code_postal=self.texte(a, "codePostal"),
            commune=self.code(a, "commune", "commune"),
        )

    def situation_pro(self, s: etree._Element) -> m.SituationProfessionnelle:
        return m.SituationProfessionnelle(
            profession=self.texte(s, "profession"),
            contrat=self.code(s, "typeContratTravail", "typeContratTravail"),
            employeur=self.texte(s, "nomEmployeurPrincipal"),
            etranger=self.booleen(s, "etranger"),
            code_postal=self.texte(s, "codePostal"),
            commune=self.code(s, "commune", "commune"),
        )

    def revenu_fiscal(self, r: etree._Element) -> m.RevenuFiscal:
        return m.RevenuFiscal(
            annee_moins1=self.entier(r, "anneeMoins1"),
            montant_moins1=self.montant(r, "montantMoins1"),
            annee_moins2=self.entier(r, "anneeMoins2"),
            montant_moins2=self.montant(r, "montantMoins2"),
        )

    def personne_a_charge(self, p: etree._Element) -> m.PersonneACharge | None:
        nom = self.texte(p, "nom", requis=True)
        prenom = self.texte(p, "prenom", requis=True)
        naissance = self.date_(p, "dateNaissance", requis=True)
        sexe = self.code(p, "sexe", "sexe")
        lien = self.code(p, "lienParente", "lienParente")
        if nom is None or prenom is None or naissance is None:
            return None
        return m.PersonneACharge(nom=nom, prenom=prenom, date_naissance=naissance, sexe=sexe, lien_parente=lien)

    def en_garde(self, g: etree._Element) -> m.PersonneEnGarde | None:
        naissance = self.date_(g, "dateNaissance", requis=True)
        sexe = self.code(g, "sexe", "sexe")
        copar = self.code(g, "coParentalite", "coParentalite", requis=True)
        if naissance is None or copar is None:
            return None
        return m.PersonneEnGarde(naissance, sexe, copar)

    def a_naitre(self, p: etree._Element) -> m.PersonneANaitre | None:
        nombre = self.entier(p, "nombre", requis=True)
        prevue = self.date_(p, "dateNaissancePrevue")
        if nombre is None:
            return None
        if nombre < 1:
            self._erreur(p, "nombre: at least one person to be born")
            return None
        return m.PersonneANaitre(nombre, prevue)

    def logement_actuel(self, la: etree._Element) -> m.LogementActuel | None:
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
                self.erreurs.append(
                    ErreurSNE(la.sourceline or 0, f"{chemin(la)}/listeModeleLogement", MANQUANT)
                )
            else:
                self._erreur(la.find(q("listeModeleLogement")), "at least one modeleLogement")
            return None
        return m.LogementActuel(modeles=modeles, **valeurs)

    def recherche(self, r: etree._Element) -> m.LogementRecherche:
        communes = None
        conteneur = r.find(q("listeLocalisationSouhaite"))
        if conteneur is not None:
            communes = tuple(
                c
                for c in (
                    self.code(loc, "commune", "commune", requis=True)
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

