"""What the demandeur is told about the way their demand goes (CCH R.441-2-17, L.441-2-8 and
the PPGDID's information rules; docs/demandeur.md): each CAL that examined it with their rank
among its candidates, the dwellings proposed to them, what refusing one would cost them (for a
DALO household, the benefit of the DALO decision), and the date their demand passes the délai
anormalement long. Read by `projections.information_demandeur.information_demandeur`, so the
JSON endpoint and the page show the same."""

from __future__ import annotations

from datetime import date

import msgspec

from adapters.registre import Registre
from domain import calendrier
from domain.codes import ATTRIBUTIONS, CategoriePrioritaire, StatutDalo
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import EtatDemande
from projections.commissions import ExamenEnCAL, examens_de_la_demande


class LogementPropose(msgspec.Struct, frozen=True):
    """A dwelling attributed to the demandeur by a CAL, as the territory describes it."""

    logement: str
    decision_le: date
    decision: str
    bailleur: str
    bailleur_nom: str
    commune: str
    commune_nom: str
    typologie: str
    financement: str
    qpv: bool
    description: str


class DelaiAnormalementLong(msgspec.Struct, frozen=True):
    date: date  # the day the demand passes it
    mois: int  # the préfet's delay for the territory
    depasse: bool
    message: str


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def logements_proposes(registre: Registre, d: Demande) -> list[LogementPropose]:
    """The attributions of a CAL (any kind) not retracted, with the dwelling's description."""
    t = registre.territoire
    retractes = {f.cible for f in d.faits if isinstance(f, Demande.Retractee)}
    noms_communes = {c.insee: c.nom for c in t.communes}
    noms_org = {o.code: o.nom for o in t.organisations}
    out: list[LogementPropose] = []
    for f in d.faits:
        if not isinstance(f, Demande.DecisionCAL) or f.originator_version in retractes:
            continue
        if f.decision not in ATTRIBUTIONS:
            continue
        try:
            lgt = t.logement(f.logement)
        except KeyError:
            continue
        commune = noms_communes.get(lgt.commune, lgt.commune)
        description = (
            f"logement {lgt.typologie} {lgt.financement} à {commune}"
            + (" (quartier prioritaire de la politique de la ville)" if lgt.qpv else "")
            + f", bailleur {noms_org.get(lgt.bailleur, lgt.bailleur)}"
        )
        out.append(LogementPropose(
            f.logement, f.occurred_on, str(f.decision), lgt.bailleur, noms_org.get(lgt.bailleur, lgt.bailleur),
            lgt.commune, commune, str(lgt.typologie), str(lgt.financement), lgt.qpv, description,
        ))
    return out


def dalo(etat: EtatDemande, jour: date) -> bool:
    """A DALO household: its DALO status is ACTIF, or the Etat recognised it DALO that day."""
    return etat.statut_dalo is StatutDalo.ACTIF or any(
        p.categorie is CategoriePrioritaire.dalo and p.vaut_le(jour) for p in etat.priorites.values()
    )


def consequences_d_un_refus(registre: Registre, etat: EtatDemande, jour: date) -> str:
    """What refusing a dwelling adapted to the household would cost (CCH L.441-2-3 for DALO,
    the grid's décote for refusal)."""
    points = None
    if registre.grille is not None:
        try:
            version = registre.grille.version_en_vigueur(jour)
            points = next((c.points for c in version.criteres if c.code == "decote_refus"), None)
        except RegleEnfreinte:
            points = None
    decote = (
        f"si le bailleur juge votre refus non recevable (le logement était adapté à la composition "
        f"de votre ménage et à vos ressources), votre demande perd {abs(points)} points pendant un an "
        "à compter du refus ; vous pouvez contester cette décote dans les quinze jours"
        if points is not None
        else "un refus d'un logement adapté peut entraîner une décote de vos points pendant un an"
    )
    if dalo(etat, jour):
        return (
            "votre ménage est reconnu prioritaire au titre du droit au logement opposable (DALO) : "
            "refuser un logement adapté à vos besoins et à vos capacités vous ferait perdre le "
            "bénéfice de la décision de la commission de médiation (CCH L.441-2-3) ; " + decote
        )
    return decote


def delai_anormalement_long(registre: Registre, etat: EtatDemande, jour: date) -> DelaiAnormalementLong:
    mois = registre.territoire.delai_anormalement_long_mois
    le = calendrier.delai_anormalement_long(etat.filed_on, mois)
    depasse = jour >= le
    if depasse:
        message = (
            f"votre demande a dépassé le délai anormalement long du territoire ({mois} mois) le "
            f"{_fr(le)} : vous pouvez saisir la commission de médiation DALO (CCH L.441-2-3)"
        )
    else:
        message = (
            f"votre demande dépassera le délai anormalement long du territoire ({mois} mois après "
            f"son dépôt) le {_fr(le)} ; sans proposition adaptée à cette date, vous pourrez saisir "
            "la commission de médiation DALO (CCH L.441-2-3)"
        )
    return DelaiAnormalementLong(le, mois, depasse, message)


def examens(registre: Registre, numero_unique: str) -> list[ExamenEnCAL]:
    return examens_de_la_demande(registre, numero_unique)
