"""The partner-traceable history of a demand (DOMAIN.md §7, R.441-2-15): every event in order
with its date, when it was recorded, by which organisation and agent, field-level old and new
values for modifications, and retracted events shown as deleted, when and by whom."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from adapters.mapper import champs_recents as _recents
from domain.demande import Demande, EtatDemande, etat_initial
from domain.foyer import Efface

NOMS = {
    Demande.Enregistree: "enregistrement",
    Demande.Modifiee: "modification",
    Demande.Renouvelee: "renouvellement",
    Demande.PreavisEnvoye: "preavis_radiation",
    Demande.MiseEnDemeure: "mise_en_demeure",
    Demande.Radiee: "radiation",
    Demande.Reactivee: "reactivation",
    Demande.DaloReconnu: "reconnaissance_dalo",
    Demande.CritereJustifie: "justification",
    Demande.CaracterePrioritaireReconnu: "caractere_prioritaire",
    Demande.EligibiliteContingent: "contingent_eligible",
    Demande.Designee: "designation",
    Demande.DecisionCAL: "decision_cal",
    Demande.ConditionLevee: "condition_levee",
    Demande.Refusee: "refus",
    Demande.DecoteAppliquee: "decote",
    Demande.RecoursDepose: "recours",
    Demande.RecoursDecide: "decision_recours",
    Demande.BailSigne: "bail",
    Demande.Retractee: "retractation",
    Demande.DonneesEffacees: "effacement",
    Demande.InscriteCAL: "inscription_cal",
    Demande.Acceptee: "reponse_favorable",
    Demande.DecisionNotifiee: "notification_decision",
    Demande.PieceDeposee: "piece_deposee",
    Demande.PieceValidee: "piece_validee",
    Demande.PieceRefusee: "piece_refusee",
    Demande.PiecesDemandees: "demande_de_pieces",
    Demande.VisiteProposee: "visite_proposee",
    Demande.VisiteConstatee: "visite_constatee",
    Demande.AttestationDelivree: "attestation_delivree",
}
_COMMUNS = {"originator_id", "originator_version", "timestamp", "originator_topic", "occurred_on",
            "organisation", "agent", "canal"}
CHAMPS_MODIFIABLES = ("membres", "logement_actuel", "souhaits", "motifs", "situations", "personnel")
EFFACE = "effacé"


class Changement(msgspec.Struct, frozen=True):
    champ: str  # dotted path, e.g. souhaits.communes or personnel.email
    ancien: Any
    nouveau: Any


class Retractation(msgspec.Struct, frozen=True):
    par_evenement: int
    le: date
    enregistree_le: datetime
    organisation: str
    agent: str
    motif: str


class EntreeHistorique(msgspec.Struct, frozen=True):
    evenement: int
    type: str
    occurred_on: date
    recorded_at: datetime
    organisation: str
    agent: str
    canal: str
    details: dict[str, Any]
    changements: list[Changement] | None = None
    supprime: Retractation | None = None  # set when the event was retracted


def historique(demande: Demande) -> list[EntreeHistorique]:
    retractations = {
        f.cible: f for f in demande.faits if isinstance(f, Demande.Retractee)
    }
    entrees: list[EntreeHistorique] = []
    etat: EtatDemande | None = None
    for f in demande.faits:
        changements = None
        if isinstance(f, Demande.Enregistree):
            etat = etat_initial(f)
        elif isinstance(f, Demande.Modifiee):
            assert etat is not None
            changements = _changements(etat, f)
            f.evoluer(etat)
        r = retractations.get(f.originator_version)
        entrees.append(
            EntreeHistorique(
                evenement=f.originator_version,
                type=NOMS[type(f)],
                occurred_on=f.occurred_on,
                recorded_at=f.timestamp,
                organisation=f.organisation,
                agent=f.agent,
                canal=str(f.canal),
                details=_efface(details(f), f) if demande.etat.effacee else details(f),
                changements=changements,
                supprime=None
                if r is None
                else Retractation(
                    par_evenement=r.originator_version,
                    le=r.occurred_on,
                    enregistree_le=r.timestamp,
                    organisation=r.organisation,
                    agent=r.agent,
                    motif=r.motif or EFFACE,
                ),
            )
        )
    return entrees


def details(f: Demande.Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    recents = _recents(type(f))
    for k, v in vars(f).items():
        if k in _COMMUNS or (v is None and isinstance(f, Demande.Modifiee)):
            continue
        if k in recents and v == recents[k]:
            continue  # a field added since, unused by this event: shown as it always was
        out[k] = EFFACE if isinstance(v, Efface) else msgspec.to_builtins(v)
    return out


# Free text every such event holds when recorded: empty, it was erased with the demand's key.
_TEXTE_REQUIS = {Demande.RecoursDecide: "motivation", Demande.Retractee: "motif"}


def _efface(d: dict[str, Any], f: Demande.Event) -> dict[str, Any]:
    champ = _TEXTE_REQUIS.get(type(f))
    if champ is not None and not d.get(champ):
        d[champ] = EFFACE
    return d


def _changements(etat: EtatDemande, f: Demande.Modifiee) -> list[Changement]:
    changements: list[Changement] = []
    for champ in CHAMPS_MODIFIABLES:
        nouveau = getattr(f, champ)
        if nouveau is None:
            continue
        ancien = getattr(etat, champ)
        if champ == "situations":
            ancien = sorted(ancien)
            nouveau = sorted(nouveau)
        _diff(champ, _brut(ancien), _brut(nouveau), changements)
    return changements


def _brut(v: Any) -> Any:
    if isinstance(v, Efface):
        return EFFACE
    return msgspec.to_builtins(v)


def _diff(chemin: str, ancien: Any, nouveau: Any, out: list[Changement]) -> None:
    if isinstance(ancien, dict) and isinstance(nouveau, dict):
        for k in sorted(set(ancien) | set(nouveau)):
            _diff(f"{chemin}.{k}", ancien.get(k), nouveau.get(k), out)
    elif ancien != nouveau:
        out.append(Changement(chemin, ancien, nouveau))


RESERVE = "réservé"


def sans_donnees_personnelles(entrees: list[EntreeHistorique]) -> list[EntreeHistorique]:
    """The history as an organisation that may not read personal data sees it
    (`domain.permissions.lecture_personnelle`): every personal field, and every change of one,
    reads `réservé`; the facts, dates and authors stay."""
    out = []
    for e in entrees:
        prives = _PRIVES.get(e.type, frozenset())
        details = {
            k: (RESERVE if (k == "personnel" or k in prives) and v not in (None, "") else v)
            for k, v in e.details.items()
        }
        changements = None if e.changements is None else [
            Changement(x.champ, RESERVE, RESERVE) if x.champ.split(".")[0] == "personnel" else x
            for x in e.changements
        ]
        supprime = e.supprime
        if supprime is not None and supprime.motif:
            supprime = msgspec.structs.replace(supprime, motif=RESERVE)
        out.append(msgspec.structs.replace(e, details=details, changements=changements, supprime=supprime))
    return out


# The free-text fields of each type of event (`champs_personnels`): personal data too.
_PRIVES = {nom: frozenset(getattr(k, "champs_personnels", ())) for k, nom in NOMS.items()}
