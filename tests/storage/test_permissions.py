"""`permissions.peut`, the question a page asks before offering an action, gives the answer
`Registre.executer` gives: for every command of DOMAIN.md §3 and every organisation of the demo
territory, `peut` returns a refusal exactly when the Registre refuses with a 403, with the same
rule and reason; and when `peut` lets it through, the Registre goes on to the preconditions.

The commands are tried on demands prepared so that the organisation entitled to each one would
see it accepted; the Registre's save is replaced by a sentinel, so that nothing tried is saved
and every organisation meets the same state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import HorlogeReglable
from adapters.database import depuis_url
from adapters.registre import Registre
from adapters.territory_file import load_territory
from domain import commandes as c
from domain import horloge
from domain.cal import MembreCAL
from domain.codes import (
    CanalNotification,
    CategoriePrioritaire,
    CodeDecote,
    DecisionRecours,
    FormeSession,
    Justification,
    ModeleLogement,
    MotifMiseEnDemeure,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    QualiteMembre,
    RaisonMoinsDeTrois,
    RessourceRecue,
    RoleMembre,
    SourcePriorite,
    SousMotifIrrecevabilite,
    StadeRefus,
    StadeReponse,
    StatutDalo,
    TypeContratTravail,
    TypeDecisionCAL,
    TypeReservataire,
    Typologie,
)
from domain.erreurs import Interdit, RefusCommande
from domain.foyer import LogementActuel, Membre, Ressource, Souhaits
from domain.permissions import REGLES, peut
from domain.pieces import CanalAttestation, MotifRefusPiece, TypeAttestation, TypePiece
from domain.territoire import Organisation, Territoire
from domain.traitements import TRAITEMENTS, logement_concerne
from tests.conftest import DEMO

LGT = "RPLS-0602900023"  # OPH-CPL, no contingent, vacant
LGT_ALS = "RPLS-0602900110"  # OPH-CPL, COLACT held by ALS, vacant
LGT_ETAT = "RPLS-0602900029"  # OPH-CPL, PPRIOR held by ETAT-06, vacant
LGT_ERILIA = "RPLS-0602900156"  # ERILIA, no contingent, vacant
LGT_LOUE = "RPLS-0602900015"  # OPH-CPL, no contingent, let
JOUR = date(2026, 11, 20)  # every command tried is dated so, after the preparation
ORGANISATIONS = [o.code for o in load_territory(DEMO).organisations]


class Accepte(Exception):
    """Raised instead of saving: the command passed every check."""


@dataclass(frozen=True)
class Essai:
    nom: str
    commande: c.Commande
    numero: str | None = None  # None: a registration
    logement: str | None = None  # for a vacancy, the dwelling declared vacant


def _membres() -> tuple[Membre, ...]:
    return (
        Membre(id="m1", role=RoleMembre.demandeur, contrat=TypeContratTravail.CDD,
               ressources=(Ressource(RessourceRecue.SAL, Decimal("1450.00")),), commune_travail="06029"),
    )


def _enregistrement(jour: date, **kw: Any) -> c.Enregistrer:
    return c.Enregistrer(
        occurred_on=jour, membres=_membres(), situations=("handicap",),
        souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
        logement_actuel=LogementActuel(modele=ModeleLogement.CP, commune="06029"), **kw,
    )


class Preparation:
    def __init__(self, registre: Registre) -> None:
        self.r = registre

    def __call__(self, org: str, commande: c.Commande, numero: str | None = None) -> tuple[int, ...]:
        o = self.r.territoire.organisation(org)
        return self.r.executer(o, org.lower() + "-1", commande, numero_unique=numero).evenements

    def demande(self, jour: date = date(2026, 3, 2), **kw: Any) -> str:
        o = self.r.territoire.organisation("CANNES")
        return self.r.executer(o, "cannes-1", _enregistrement(jour, **kw)).numero_unique


def preparer(registre: Registre) -> list[Essai]:
    x = Preparation(registre)
    j = date

    base = x.demande()
    (modification,) = x("CANNES", c.Modifier(occurred_on=j(2026, 3, 10), motifs=("01",)), base)

    def incoherente(numero: str, jour: date) -> int:
        (piece,) = x("CANNES", c.DeposerPiece(occurred_on=jour, type_piece=TypePiece.avis_imposition,
                                              empreinte="ab" * 32, taille=1000), numero)
        (refus_piece,) = x("CANNES", c.RefuserPiece(occurred_on=jour, piece=piece,
                                                    motif=MotifRefusPiece.incoherente), numero)
        return refus_piece

    recours_pendant = x.demande()
    (decote_pendante,) = x("CANNES", c.AppliquerDecote(occurred_on=j(2026, 11, 10), code=CodeDecote.decote_pieces,
                                                       piece=incoherente(recours_pendant, j(2026, 11, 10))),
                           recours_pendant)
    x("CANNES", c.DeposerRecours(occurred_on=j(2026, 11, 12), decote=decote_pendante), recours_pendant)
    sans_recours = x.demande()
    (decote_libre,) = x("CANNES", c.AppliquerDecote(occurred_on=j(2026, 11, 10), code=CodeDecote.decote_pieces,
                                                    piece=incoherente(sans_recours, j(2026, 11, 10))),
                        sans_recours)
    pieces = x.demande()
    (piece_pieces,) = x("CANNES", c.DeposerPiece(occurred_on=j(2026, 3, 10), type_piece=TypePiece.identite,
                                                 empreinte="cd" * 32, taille=2000), pieces)
    incoherente_libre = incoherente(pieces, j(2026, 3, 11))

    designee = x.demande()
    x("OPH-CPL", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT), designee)
    (visite_oph,) = x("OPH-CPL", c.ProposerVisite(occurred_on=j(2026, 4, 2), logement=LGT,
                                                  visite_le=j(2026, 4, 8)), designee)
    designee_als = x.demande()
    x("ALS", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT_ALS), designee_als)

    sous_condition = x.demande()
    x("ERILIA", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT_ERILIA), sous_condition)
    x("ERILIA", c.DeciderCAL(occurred_on=j(2026, 4, 10), logement=LGT_ERILIA,
                             decision=TypeDecisionCAL.attribution_sous_condition, piece_manquante="avis",
                             delai_jours=10, moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), sous_condition)

    attribuee = x.demande()
    x("ALS", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT_ALS), attribuee)
    x("OPH-CPL", c.DeciderCAL(occurred_on=j(2026, 4, 10), logement=LGT_ALS,
                              decision=TypeDecisionCAL.attribution,
                              moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), attribuee)

    refusee = x.demande()
    x("OPH-CPL", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT), refusee)
    (refus,) = x("OPH-CPL", c.Refuser(occurred_on=j(2026, 11, 2), logement=LGT, stade=StadeRefus.avant_cal,
                                      motif=MotifRefus.localisation, texte="trop loin", qualification=QualificationRefus.non_recevable), refusee)

    irrecevable = x.demande()
    x("OPH-CPL", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT), irrecevable)
    x("OPH-CPL", c.DeciderCAL(occurred_on=j(2026, 4, 10), logement=LGT, decision=TypeDecisionCAL.irrecevabilite,
                              sous_motif_irrecevabilite=SousMotifIrrecevabilite.IRRSEJ,
                              moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), irrecevable)
    averti_irr = x.demande()
    x("OPH-CPL", c.Designer(occurred_on=j(2026, 4, 1), logement=LGT), averti_irr)
    x("OPH-CPL", c.DeciderCAL(occurred_on=j(2026, 4, 10), logement=LGT, decision=TypeDecisionCAL.irrecevabilite,
                              sous_motif_irrecevabilite=SousMotifIrrecevabilite.IRRRES,
                              moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), averti_irr)
    x("OPH-CPL", c.MettreEnDemeure(occurred_on=j(2026, 6, 1), motif=MotifMiseEnDemeure.irrecevabilite), averti_irr)
    averti = x.demande()
    x("CANNES", c.MettreEnDemeure(occurred_on=j(2026, 6, 1), motif=MotifMiseEnDemeure.absence_reponse), averti)

    # Imported with an anniversary past: RADREN on 2026-11-01, reactivable until 2026-12-01.
    non_renouvelee = x.demande(filed_on=j(2025, 10, 1), anniversaire=j(2026, 10, 1))

    on = JOUR
    oph = registre.territoire.organisation("OPH-CPL")
    session = registre.ouvrir_session(oph, "oph-cpl-1", c.OuvrirSession(
        occurred_on=on, forme=FormeSession.presentiel, membres=(MembreCAL("OPH-CPL", QualiteMembre.bailleur),)))
    return [
        Essai("enregistrement", _enregistrement(on)),
        Essai("modification", c.Modifier(occurred_on=on, motifs=("01", "11")), base),
        Essai("renouvellement", c.Renouveler(occurred_on=on), base),
        Essai("med_absence_reponse", c.MettreEnDemeure(occurred_on=on, motif=MotifMiseEnDemeure.absence_reponse), base),
        Essai("med_irrecevabilite", c.MettreEnDemeure(occurred_on=on, motif=MotifMiseEnDemeure.irrecevabilite),
              irrecevable),
        Essai("radiation_radaba", c.Radier(occurred_on=on, motif=MotifRadiation.RADABA), base),
        Essai("radiation_radcon", c.Radier(occurred_on=on, motif=MotifRadiation.RADCON), averti),
        Essai("radiation_radirr", c.Radier(occurred_on=on, motif=MotifRadiation.RADIRR), averti_irr),
        Essai("reactivation", c.Reactiver(occurred_on=on), non_renouvelee),
        Essai("dalo", c.ReconnaitreDalo(occurred_on=on, statut=StatutDalo.ACTIF), base),
        Essai("justification", c.Justifier(occurred_on=on, critere="handicap",
                                           justification=Justification.justifie), base),
        Essai("priorite", c.ReconnaitrePriorite(occurred_on=on, categorie=CategoriePrioritaire.k,
                                                source=SourcePriorite.syplo, du=on), base),
        Essai("eligibilite", c.DeclarerEligibilite(occurred_on=on, contingent=TypeReservataire.COLACT), base),
        Essai("designation_sans_contingent", c.Designer(occurred_on=on, logement=LGT), base),
        Essai("designation_colact", c.Designer(occurred_on=on, logement=LGT_ALS), base),
        Essai("designation_pprior", c.Designer(occurred_on=on, logement=LGT_ETAT), base),
        Essai("designation_hors_contingent", c.Designer(occurred_on=on, logement=LGT_ALS,
                                                        contingent=TypeReservataire.AUCUN),
              base),
        Essai("designation_logement_inconnu", c.Designer(occurred_on=on, logement="RPLS-INCONNU"), base),
        Essai("decision_cal", c.DeciderCAL(occurred_on=on, logement=LGT, decision=TypeDecisionCAL.attribution,
                                           moins_de_trois_candidats=RaisonMoinsDeTrois.insuffisance_candidats), designee),
        Essai("condition_levee", c.LeverCondition(occurred_on=on, logement=LGT_ERILIA), sous_condition),
        Essai("refus", c.Refuser(occurred_on=on, logement=LGT, stade=StadeRefus.avant_cal, motif=MotifRefus.localisation, texte="trop cher",
                                 qualification=QualificationRefus.recevable), designee),
        Essai("refus_et_decote", c.Refuser(occurred_on=on, logement=LGT, stade=StadeRefus.avant_cal,
                                           motif=MotifRefus.localisation, texte="trop cher", qualification=QualificationRefus.non_recevable,
                                           appliquer_decote=True), designee),
        Essai("decote_pieces", c.AppliquerDecote(occurred_on=on, code=CodeDecote.decote_pieces,
                                                 piece=incoherente_libre), pieces),
        Essai("piece_deposee", c.DeposerPiece(occurred_on=on, type_piece=TypePiece.titre_sejour,
                                              empreinte="ef" * 32, taille=10), base),
        Essai("piece_validee", c.ValiderPiece(occurred_on=on, piece=piece_pieces), pieces),
        Essai("piece_refusee", c.RefuserPiece(occurred_on=on, piece=piece_pieces, motif=MotifRefusPiece.perimee),
              pieces),
        Essai("demande_de_pieces", c.DemanderPieces(occurred_on=on, du_le=j(2026, 12, 20),
                                                    pieces=(TypePiece.logement_actuel,)), base),
        Essai("attestation", c.DelivrerAttestation(occurred_on=on, type=TypeAttestation.enregistrement,
                                                   canal=CanalAttestation.courrier), base),
        Essai("visite_proposee", c.ProposerVisite(occurred_on=on, logement=LGT, visite_le=j(2026, 11, 30)), designee),
        Essai("visite_proposee_colact", c.ProposerVisite(occurred_on=on, logement=LGT_ALS, visite_le=j(2026, 11, 30)),
              designee_als),
        Essai("visite_constatee", c.ConstaterVisite(occurred_on=on, visite=visite_oph, effectuee=True), designee),
        Essai("decote_refus", c.AppliquerDecote(occurred_on=on, code=CodeDecote.decote_refus, refus=refus), refusee),
        Essai("decote_refus_inconnu", c.AppliquerDecote(occurred_on=on, code=CodeDecote.decote_refus, refus=99),
              refusee),
        Essai("recours", c.DeposerRecours(occurred_on=on, decote=decote_libre), sans_recours),
        Essai("decision_recours", c.DeciderRecours(occurred_on=on, decote=decote_pendante,
                                                   decision=DecisionRecours.annulee, motivation="cohérentes"),
              recours_pendant),
        Essai("decision_recours_inconnu", c.DeciderRecours(occurred_on=on, decote=99,
                                                           decision=DecisionRecours.annulee, motivation="x"),
              recours_pendant),
        Essai("bail", c.SignerBail(occurred_on=on, logement=LGT_ALS), attribuee),
        Essai("retractation", c.Retracter(occurred_on=on, evenement=modification, motif="erreur"), base),
        Essai("vacance", c.DeclarerVacance(occurred_on=on), logement=LGT_LOUE),
        Essai("reponse_favorable", c.Accepter(occurred_on=on, logement=LGT, stade=StadeReponse.avant_cal), designee),
        Essai("notification", c.NotifierDecision(occurred_on=on, logement=LGT_ALS, canal=CanalNotification.courrier),
              attribuee),
        Essai("inscription_cal", c.InscrireCAL(occurred_on=on, logement=LGT, session=session.identifiant), designee),
    ]


@pytest.fixture(scope="module")
def prepare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registre, list[Essai]]]:
    HorlogeReglable(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)).installer()
    tmp: Path = tmp_path_factory.mktemp("permissions")
    registre = Registre(depuis_url(f"sqlite:///{tmp}/ledger.sqlite3"), load_territory(DEMO))
    try:
        essais = preparer(registre)
        yield registre, essais
    finally:
        registre.close()
        horloge.reinitialiser()


def _issue(registre: Registre, org: Organisation, essai: Essai) -> RefusCommande | None:
    """What the Registre makes of the command: None if accepted, else its refusal."""
    agent = org.code.lower() + "-1"
    try:
        if essai.logement is not None:
            assert isinstance(essai.commande, c.DeclarerVacance)
            registre.declarer_vacance(org, agent, essai.logement, essai.commande)
        else:
            registre.executer(org, agent, essai.commande, numero_unique=essai.numero)
    except Accepte:
        return None
    except RefusCommande as e:
        return e
    raise AssertionError("the sentinel save was not reached")


def _question(registre: Registre, org: Organisation, essai: Essai) -> Interdit | None:
    """What a page would ask: the demand's state and the dwelling the command concerns."""
    t: Territoire = registre.territoire
    if essai.logement is not None:
        return peut(org, essai.commande, None, t.logement(essai.logement))
    if essai.numero is None:
        return peut(org, essai.commande)
    demande = registre.demande(essai.numero)
    identifiant = logement_concerne(demande, essai.commande)
    try:
        logement = t.logement(identifiant) if identifiant else None
    except KeyError:
        logement = None
    return peut(org, essai.commande, demande.etat, logement)


@pytest.mark.parametrize("code", ORGANISATIONS)
def test_peut_agrees_with_the_registre(
    prepare: tuple[Registre, list[Essai]], code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    registre, essais = prepare

    def sentinelle(*agregats: Any, **kw: Any) -> Any:
        raise Accepte

    monkeypatch.setattr(registre, "save", sentinelle)
    org = registre.territoire.organisation(code)
    acceptes = []
    for essai in essais:
        question = _question(registre, org, essai)
        issue = _issue(registre, org, essai)
        if question is None:
            assert not isinstance(issue, Interdit), (
                f"{essai.nom}: peut lets {code} through, the Registre says 403 {issue.regle}: {issue.message}"  # type: ignore[union-attr]
            )
            if issue is None:
                acceptes.append(essai.nom)
        else:
            assert isinstance(issue, Interdit), (
                f"{essai.nom}: peut refuses {code} ({question.regle}), the Registre says "
                + ("accepted" if issue is None else f"{issue.statut} {issue.regle}")
            )
            assert (issue.regle, issue.message) == (question.regle, question.message), essai.nom
        # Asked for the kind of command only, peut may be broader than the Registre, never
        # narrower: whatever the Registre accepts, the kind of command is offered.
        if issue is None:
            assert peut(org, type(essai.commande)) is None, essai.nom
    attendus = ACCEPTES.get(code, set())
    assert set(acceptes) == attendus, f"{code} had accepted {sorted(acceptes)}"


# What each organisation of the demo territory sees accepted among the commands tried: proof
# that the agreement above is not only between refusals.
_GUICHET = {
    "modification", "renouvellement", "med_absence_reponse", "radiation_radaba", "radiation_radcon",
    "reactivation", "justification", "decote_pieces", "recours",
    "piece_deposee", "piece_validee", "piece_refusee", "demande_de_pieces", "attestation",
}
ACCEPTES: dict[str, set[str]] = {
    "OPH-CPL": _GUICHET | {
        "enregistrement", "med_irrecevabilite", "radiation_radirr", "designation_sans_contingent",
        "designation_colact", "designation_pprior", "designation_hors_contingent", "decision_cal",
        "refus", "refus_et_decote", "decote_refus", "bail", "vacance", "reponse_favorable",
        "notification", "inscription_cal", "visite_proposee", "visite_proposee_colact", "visite_constatee",
    },
    # A bailleur records everything a guichet may. RADIRR is the bailleur's whose CAL
    # pronounced the irrecevabilité and who sent the mise en demeure (OPH-CPL's here), no other's.
    "ERILIA": _GUICHET | {"enregistrement", "condition_levee"},
    "LOGIREM": _GUICHET | {"enregistrement"},
    "ALS": {"designation_colact", "visite_proposee_colact", "eligibilite"},
    "CACPL": {"eligibilite"},
    "ETAT-06": {"dalo", "designation_pprior", "priorite", "eligibilite"},
    "CANNES": _GUICHET | {"enregistrement", "decision_recours", "retractation", "eligibilite"},
    "LE-CANNET": _GUICHET | {"enregistrement", "eligibilite"},
    "MANDELIEU": _GUICHET | {"enregistrement", "eligibilite"},
    "MOUGINS": _GUICHET | {"enregistrement", "eligibilite"},
    "THEOULE": _GUICHET | {"enregistrement", "eligibilite"},
}


def test_every_command_has_a_permission_and_every_command_on_a_demand_a_handler() -> None:
    commandes = {k for k in vars(c).values() if isinstance(k, type) and issubclass(k, c.Commande)}
    commandes.discard(c.Commande)
    assert set(REGLES) == commandes
    # Registration, a dwelling's own commands and a session's own have handlers of their own shape.
    assert set(TRAITEMENTS) == commandes - {
        c.Enregistrer, c.DeclarerVacance, c.OrienterVacance, c.OuvrirSession, c.CloreSession,
        c.Deposer, c.RetracterDepot,
    }


def test_an_auditeur_and_the_systeme_may_do_nothing() -> None:
    t = load_territory(DEMO)
    for code, regle in (("CIL-CACPL", "lecture_seule"), ("SYSTEME", "systeme_reserve")):
        for genre in REGLES:
            refus = peut(t.organisation(code), genre)
            assert refus is not None and refus.regle == regle
