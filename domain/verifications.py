"""Checks of what a command brings before any fact is recorded: the household, the wishes, the
current housing, the declared situations, a CAL decision's own fields, and a date that must not
be in the future (docs/rules.md "The demand"). They read the payload only, never the demand's state, so that
registration checks a payload before a numéro unique is taken for it."""

from __future__ import annotations

import re
from datetime import date

from domain import horloge
from domain.codes import (
    MOTIFS_DEMANDE,
    MotifNonAttribution,
    RoleMembre,
    SousMotifIrrecevabilite,
    TypeDecisionCAL,
)
from domain.erreurs import RegleEnfreinte
from domain.foyer import Complements, DonneesPersonnelles, LogementActuel, Membre, Souhaits
from domain.territoire import Territoire

_INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
_CODE_CRITERE = re.compile(r"^[a-z][a-z0-9_]*$")
# A household member's id links the readable facts to the encrypted identity: a short code (a
# letter and up to three digits, m1, p2, e3), never anything that could name the person — it is
# stored in clear and kept after the erasure (docs/donnees-personnelles.md).
_ID_MEMBRE = re.compile(r"^[a-z][0-9]{0,3}$")


def pas_dans_le_futur(jour: date) -> None:
    today = horloge.aujourdhui()
    if jour > today:
        raise RegleEnfreinte(
            "date_future",
            f"occurred_on {jour.isoformat()} is in the future (today is {today.isoformat()})",
        )


def foyer(membres: tuple[Membre, ...], personnel: DonneesPersonnelles | None) -> None:
    demandeurs = [m for m in membres if m.role is RoleMembre.demandeur]
    if len(demandeurs) != 1:
        raise RegleEnfreinte(
            "foyer_invalide", f"the household needs exactly one demandeur, found {len(demandeurs)}"
        )
    ids = [m.id for m in membres]
    for x in ids:
        if not _ID_MEMBRE.match(x):
            raise RegleEnfreinte(
                "id_membre_invalide",
                f"household member id {x[:20]!r} must be a short code, a letter and up to three digits "
                "(m1, p2): it is stored in clear, so a name belongs in the personal data, not here",
            )
    if len(set(ids)) != len(ids):
        raise RegleEnfreinte("foyer_invalide", "household member ids must be unique")
    for m in membres:
        if m.commune_travail is not None and not _INSEE.match(m.commune_travail):
            raise RegleEnfreinte(
                "commune_invalide", f"member {m.id}: work commune {m.commune_travail!r} is not an INSEE code"
            )
        for r in m.ressources:
            if r.montant_mensuel < 0:
                raise RegleEnfreinte("ressource_negative", f"member {m.id}: negative resource {r.code}")
    if personnel is not None:
        connus = set(ids)
        today = horloge.aujourdhui() if personnel.identites else None  # once, not per member
        for i in personnel.identites:
            if i.membre not in connus:
                raise RegleEnfreinte(
                    "identite_orpheline", f"identity for unknown household member {i.membre!r}"
                )
            if today is not None and i.date_naissance > today:
                raise RegleEnfreinte("naissance_future", f"member {i.membre}: birth date in the future")


def souhaits(s: Souhaits, vides_permis: bool = False) -> None:
    """At least one commune and one typology, unless `vides_permis` (an import of a demand whose
    national file carries no housing sought)."""
    if not s.communes and not vides_permis:
        raise RegleEnfreinte("souhaits_invalides", "wishes need at least one commune")
    for c in s.communes:
        if not _INSEE.match(c):
            raise RegleEnfreinte("commune_invalide", f"wished commune {c!r} is not an INSEE code")
    if not s.typologies and not vides_permis:
        raise RegleEnfreinte("souhaits_invalides", "wishes need at least one typology")


def communes_souhaitees(s: Souhaits, territoire: Territoire) -> None:
    """Wished communes are the territory's, unless its file lets demands wish beyond the EPCI."""
    if territoire.souhaits_hors_epci:
        return
    connues = territoire.communes_epci
    for c in s.communes:
        if c not in connues and _INSEE.match(c):  # not an INSEE code at all: `souhaits` says so
            raise RegleEnfreinte(
                "commune_hors_territoire",
                f"wished commune {c!r} is not one of the territory's communes ({', '.join(sorted(connues))})",
                champ="souhaits.communes",
            )


def complements(c: Complements | None, membres: tuple[Membre, ...]) -> None:
    if c is None:
        return
    ids = {m.id for m in membres}
    vus: set[str] = set()
    for cm in c.membres:
        if cm.membre not in ids:
            raise RegleEnfreinte(
                "complement_orphelin", f"complements for unknown household member {cm.membre!r}"
            )
        if cm.membre in vus:
            raise RegleEnfreinte("complement_double", f"member {cm.membre}: complements given twice")
        vus.add(cm.membre)
        for v in cm.versements:
            if v.montant_mensuel < 0:
                raise RegleEnfreinte("ressource_negative", f"member {cm.membre}: negative paid {v.code}")
    if c.logement is not None and c.logement.surface is not None and c.logement.surface < 0:
        raise RegleEnfreinte("surface_negative", "the current housing's surface is negative")


def logement_actuel(lgt: LogementActuel | None) -> None:
    if lgt is None:
        return
    if lgt.commune is not None and not _INSEE.match(lgt.commune):
        raise RegleEnfreinte(
            "commune_invalide", f"current housing commune {lgt.commune!r} is not an INSEE code"
        )
    if lgt.loyer is not None and lgt.loyer < 0:
        raise RegleEnfreinte("loyer_negatif", "the current housing's rent is negative", champ="logement_actuel.loyer")
    if lgt.pieces is not None and lgt.pieces < 0:
        raise RegleEnfreinte(
            "pieces_negatives", f"the current housing has {lgt.pieces} rooms", champ="logement_actuel.pieces"
        )


def motifs(codes: tuple[str, ...]) -> None:
    """The demand's reasons: codes of the national list (SNE motifDemande, 01 to 23)."""
    for m in codes:
        if m not in MOTIFS_DEMANDE:
            raise RegleEnfreinte(
                "motif_inconnu", f"reason {m[:30]!r} is not a motifDemande code (01 to 23)", champ="motifs"
            )


def situations(codes: tuple[str, ...]) -> None:
    for s in codes:
        if not _CODE_CRITERE.match(s):
            raise RegleEnfreinte("situation_invalide", f"situation {s!r} is not a criterion code")


def decision_cal(
    decision: TypeDecisionCAL,
    rang: int | None,
    motif: MotifNonAttribution | None,
    sous_motif: SousMotifIrrecevabilite | None,
    piece: str | None,
    delai: int | None,
) -> None:
    if decision is TypeDecisionCAL.attribution_par_classement:
        if rang is None or rang < 1:
            raise RegleEnfreinte("rang_requis", "an attribution par classement needs its rank (≥ 1)")
    elif rang is not None:
        raise RegleEnfreinte("rang_inattendu", f"a {decision} decision has no rank")
    if decision is TypeDecisionCAL.attribution_sous_condition and (
        not piece or delai is None or delai < 1
    ):
        raise RegleEnfreinte(
            "condition_incomplete",
            "an attribution sous condition suspensive needs the missing pièce and a delay in days",
        )
    if decision is TypeDecisionCAL.non_attribution and motif is None:
        raise RegleEnfreinte(
            "motif_requis",
            "a non-attribution needs its motif's code (" + ", ".join(m.value for m in MotifNonAttribution) + ")",
        )
    if decision is not TypeDecisionCAL.non_attribution and motif is not None:
        raise RegleEnfreinte("motif_inattendu", f"a {decision} decision has no non-attribution motif")
    if decision is TypeDecisionCAL.irrecevabilite and sous_motif is None:
        raise RegleEnfreinte(
            "sous_motif_requis", "an irrecevabilité needs its sousMotifIrrecevabilite"
        )
