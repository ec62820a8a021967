"""Who may record what (DOMAIN.md §1). Each refusal names the rule, for a 403 that explains itself.

`peut` is the one question every face asks: the command handlers (`domain/traitements.py`) ask it
before deciding anything, and a page asks it to offer exactly the actions that would be accepted.
The functions below it are the rules it combines, one per kind of fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from domain import commandes as c
from domain.codes import (
    CodeDecote,
    MotifMiseEnDemeure,
    MotifRadiation,
    TypeOrganisation,
    TypeReservataire,
)
from domain.erreurs import Interdit
from domain.territoire import LogementSocial, Organisation

if TYPE_CHECKING:
    from domain.etat_demande import EtatDemande

G, B, R, E = (
    TypeOrganisation.guichet,
    TypeOrganisation.bailleur,
    TypeOrganisation.reservataire,
    TypeOrganisation.etat,
)


def _exiger(org: Organisation, types: set[TypeOrganisation], regle: str, quoi: str) -> None:
    if not org.types & types:
        noms = " or ".join(sorted(t.value for t in types))
        raise Interdit(regle, f"{quoi} is recorded by a {noms}; {org.code} is {_kinds(org)}")


def _kinds(org: Organisation) -> str:
    return "/".join(sorted(t.value for t in org.types)) or "nothing"


def guichet(org: Organisation, quoi: str) -> None:
    """Registration, modification, renewal, reactivation, justification, recours, pièces."""
    _exiger(org, {G, B}, "guichet_requis", quoi)


def mise_en_demeure(org: Organisation, motif: MotifMiseEnDemeure) -> None:
    if motif is MotifMiseEnDemeure.irrecevabilite:
        _exiger(org, {B}, "bailleur_requis", "a mise en demeure for irrecevabilité")
    else:
        guichet(org, "a mise en demeure for no answer")


def radiation(org: Organisation, motif: MotifRadiation, etat: EtatDemande | None = None) -> None:
    if motif is MotifRadiation.RADIRR:
        _exiger(org, {B}, "bailleur_requis", "a RADIRR radiation")
        # The irrecevabilité is the bailleur's whose CAL pronounced it and who sent the mise en
        # demeure: another bailleur has nothing to radiate (without a mise en demeure at all,
        # the domain refuses the radiation as a precondition, 422).
        med = etat.mise_en_demeure if etat is not None else None
        par = etat.mise_en_demeure_par if etat is not None else None
        if med is not None and med[1] is MotifMiseEnDemeure.irrecevabilite and par not in (None, org.code):
            raise Interdit(
                "bailleur_de_l_irrecevabilite",
                f"a RADIRR radiation is recorded by {par}, whose CAL pronounced the irrecevabilité "
                f"and which sent the mise en demeure of {med[0].isoformat()}; not by {org.code}",
                bailleur=par,
            )
    else:
        guichet(org, f"a {motif} radiation")


def refus_auteur(organisation: str, auteur: str, cible: int) -> Interdit | None:
    """Only the organisation that recorded an event may retract it (docs/rules.md): the refusal
    for anyone else, a permission (403), or None."""
    if organisation != auteur:
        return Interdit(
            "retractation_par_l_auteur",
            f"only {auteur}, which recorded event {cible}, may retract it; not {organisation}",
            auteur=auteur,
        )
    return None


def dalo(org: Organisation) -> None:
    _exiger(org, {E}, "etat_requis", "a DALO or priority decision")


def priorite(org: Organisation) -> None:
    """The caractère prioritaire: the Etat, or the labelling instance it hosts (an organisation
    of kind etat in the territory file: the DALO commission, the SYPLO service…)."""
    _exiger(org, {E}, "etat_requis", "a caractère prioritaire")


def eligibilite(org: Organisation) -> None:
    _exiger(org, {R}, "reservataire_requis", "a statement of eligibility to a contingent")


def bailleur_du_logement(org: Organisation, logement: LogementSocial, quoi: str) -> None:
    if B not in org.types or logement.bailleur != org.code:
        raise Interdit(
            "bailleur_du_logement",
            f"{quoi} on {logement.identifiant} is recorded by its bailleur {logement.bailleur}, "
            f"not {org.code}",
        )


class Affectation(msgspec.Struct, frozen=True):
    """Whom a dwelling's current vacancy is for (DOMAIN.md §3, §9). In stock: the holder of the
    dwelling's contingent. In flux: the réservataire the bailleur oriented it to (None while it
    is not oriented, or when the bailleur keeps it or withdrew it from the flux base)."""

    flux: bool
    reservataire: str | None
    contingent: TypeReservataire
    orientee: bool = True  # in flux: whether the bailleur has oriented it yet


def designation(org: Organisation, logement: LogementSocial, affectation: Affectation | None = None) -> None:
    if B in org.types and logement.bailleur == org.code:
        return
    if affectation is not None and affectation.flux:
        # In flux only the réservataire the vacancy was oriented to designates on it (or the
        # bailleur); the dwelling's old contingent no longer says anything.
        if R in org.types and affectation.reservataire == org.code:
            return
        pour = (
            f"oriented to {affectation.reservataire}" if affectation.reservataire
            else "kept by its bailleur" if affectation.orientee else "not oriented yet"
        )
        raise Interdit(
            "designation_hors_flux",
            f"{org.code} may not designate on {logement.identifiant}: its vacancy is managed in flux and "
            f"{pour}; only that réservataire or the bailleur {logement.bailleur} designates on it",
            reservataire=affectation.reservataire,
        )
    if R in org.types and logement.reservataire == org.code:
        return
    raise Interdit(
        "designation_hors_contingent",
        f"{org.code} may designate on {logement.identifiant} neither as its bailleur "
        f"({logement.bailleur}) nor as holder of its contingent {logement.contingent} "
        f"({logement.reservataire or 'none'})",
    )


def bailleur_de_la_session(org: Organisation, bailleur: str, session: str) -> None:
    if org.code != bailleur:
        raise Interdit(
            "bailleur_de_la_session",
            f"session {session} belongs to {bailleur}'s CAL: only {bailleur} records in it, not {org.code}",
        )


def decote(org: Organisation, code: CodeDecote, logement_refuse: LogementSocial | None) -> None:
    if code is CodeDecote.decote_refus:
        # Without a standing refusal there is no bailleur to compare with: the domain refuses
        # the command for that (a broken precondition, 422), not as a permission.
        if logement_refuse is not None:
            bailleur_du_logement(org, logement_refuse, "a décote for a refusal")
    else:
        guichet(org, "a decote_pieces")


def ecriture(org: Organisation) -> None:
    """Anything at all: an auditeur reads and replays, it never writes."""
    if not org.types - {TypeOrganisation.auditeur}:
        raise Interdit("lecture_seule", f"{org.code} is an auditeur: it reads and replays only")
    if TypeOrganisation.systeme in org.types:
        raise Interdit("systeme_reserve", "the systeme acts on schedule only, not through the API")


def donnees_personnelles(org: Organisation) -> None:
    """`lecture_personnelle`, raising its refusal: for a read that is nothing but personal data
    (the search by name and birth date)."""
    if not lecture_personnelle(org):
        raise Interdit(
            "donnees_personnelles_reservees",
            f"personal data are read by a guichet, bailleur, réservataire or the Etat; {org.code} is "
            f"{_kinds(org)}",
        )


def auteur_de_la_decote(org: Organisation, etat: EtatDemande, decote: int) -> None:
    """A recours is decided by the organisation that applied the décote (DOMAIN.md §3). A décote
    that does not stand is no permission matter: the domain refuses it as a precondition (422)."""
    d = etat.decotes.get(decote)
    if d is not None and d.organisation != org.code:
        raise Interdit(
            "auteur_de_la_decote",
            f"only {d.organisation}, which applied décote {decote}, decides on its recours",
        )


# -- the question a page asks ---------------------------------------------------------------------

# What each command needs of its organisation. `cmd` is None when only the kind of command is
# asked (a page deciding which buttons to show): the answer is then whether some command of that
# kind could be accepted from this organisation. `logement` is the dwelling the command concerns
# (for a décote after a refusal: the refused dwelling); None when not known yet.
_Regle = Callable[[Organisation, c.Commande | None, "EtatDemande | None", LogementSocial | None], None]


def _sur_logement(quoi: str) -> _Regle:
    def regle(
        org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
    ) -> None:
        if lgt is not None:
            bailleur_du_logement(org, lgt, quoi)
        else:
            _exiger(org, {B}, "bailleur_du_logement", quoi)

    return regle


def _de_guichet(quoi: str) -> _Regle:
    def regle(
        org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
    ) -> None:
        guichet(org, quoi)

    return regle


def _mise_en_demeure(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    if isinstance(cmd, c.MettreEnDemeure):
        mise_en_demeure(org, cmd.motif)
    else:
        guichet(org, "a mise en demeure")


def _radiation(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    if isinstance(cmd, c.Radier):
        radiation(org, cmd.motif, etat)
    else:
        guichet(org, "a radiation")


def _dalo(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    dalo(org)


def _designation(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    if lgt is not None:
        designation(org, lgt)
    else:
        _exiger(org, {B, R}, "designation_hors_contingent", "a designation")


def _decote(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    if isinstance(cmd, c.AppliquerDecote):
        decote(org, cmd.code, lgt)
    else:
        guichet(org, "a décote")


def _decision_recours(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    if isinstance(cmd, c.DeciderRecours) and etat is not None:
        auteur_de_la_decote(org, etat, cmd.decote)
    else:
        # Only an organisation that may apply a décote can be the author of one.
        guichet(org, "a decision on a recours")


def visite(org: Organisation, logement: LogementSocial, etat: EtatDemande | None) -> None:
    """A visit is proposed, and said done or not, by the dwelling's bailleur or by the
    réservataire whose designation made the demand a candidate on it (PPGDID, IV.2)."""
    if B in org.types and logement.bailleur == org.code:
        return
    if R in org.types and etat is not None and any(
        c.logement == logement.identifiant and c.reservataire == org.code and c.designations
        for c in etat.candidatures.values()
    ):
        return
    raise Interdit(
        "visite_bailleur_ou_reservataire",
        f"a visit of {logement.identifiant} is recorded by its bailleur {logement.bailleur} or by the "
        f"réservataire that designated the candidate; not {org.code}",
    )


def _visite(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    if lgt is not None:
        visite(org, lgt, etat)
    else:
        _exiger(org, {B, R}, "visite_bailleur_ou_reservataire", "a visit")


def _retractation(
    org: Organisation, cmd: c.Commande | None, etat: EtatDemande | None, lgt: LogementSocial | None
) -> None:
    """Any organisation that writes, for an event it recorded itself (403 otherwise). An event
    the state does not hold (unknown, already retracted) is the domain's to refuse (422)."""
    if isinstance(cmd, c.Retracter) and etat is not None:
        fait = etat.faits.get(cmd.evenement)
        auteur = getattr(fait, "organisation", None)
        if isinstance(auteur, str) and (refus := refus_auteur(org.code, auteur, cmd.evenement)) is not None:
            raise refus


REGLES: dict[type[c.Commande], _Regle] = {
    c.Enregistrer: _de_guichet("a registration"),
    c.Modifier: _de_guichet("a modification"),
    c.Renouveler: _de_guichet("a renewal"),
    c.MettreEnDemeure: _mise_en_demeure,
    c.Radier: _radiation,
    c.Reactiver: _de_guichet("a reactivation"),
    c.ReconnaitreDalo: _dalo,
    c.Justifier: _de_guichet("a justification"),
    c.ReconnaitrePriorite: lambda org, *_: priorite(org),
    c.DeclarerEligibilite: lambda org, *_: eligibilite(org),
    c.Designer: _designation,
    c.DeciderCAL: _sur_logement("a CAL decision"),
    c.LeverCondition: _sur_logement("meeting a suspensive condition"),
    c.Refuser: _sur_logement("a refusal"),
    c.AppliquerDecote: _decote,
    c.DeposerRecours: _de_guichet("a recours"),
    c.DeciderRecours: _decision_recours,
    c.SignerBail: _sur_logement("a bail"),
    c.Retracter: _retractation,
    c.DeclarerVacance: _sur_logement("a vacancy"),
    c.OrienterVacance: _sur_logement("an orientation of a vacancy"),
    c.InscrireCAL: _sur_logement("an inscription à une CAL"),
    c.Accepter: _sur_logement("a candidate's answer"),
    c.NotifierDecision: _sur_logement("the notification of a CAL decision"),
    c.OuvrirSession: _sur_logement("a session of a CAL"),
    c.CloreSession: _sur_logement("closing a session of a CAL"),
    # The dossier unique (R.441-2-4): the guichets and bailleurs that instruct the demand.
    c.DeposerPiece: _de_guichet("a pièce déposée"),
    c.ValiderPiece: _de_guichet("the validation of a pièce"),
    c.RefuserPiece: _de_guichet("the refusal of a pièce"),
    c.DemanderPieces: _de_guichet("a request for pièces or informations"),
    c.ProposerVisite: _visite,
    c.ConstaterVisite: _visite,
    c.DelivrerAttestation: _de_guichet("an attestation"),
    c.Deposer: _de_guichet("a dépôt"),
    c.RetracterDepot: _de_guichet("the retraction of a dépôt"),
}


def peut(
    org: Organisation,
    commande: c.Commande | type[c.Commande],
    demande: EtatDemande | None = None,
    logement: LogementSocial | None = None,
    affectation: Affectation | None = None,
) -> Interdit | None:
    """None if `org` may record `commande`, else the refusal (its rule and reason), not raised.

    Given a command, with the demand's state and the dwelling it concerns, the answer is the one
    `Registre.executer` gives (a 403, or going on to the preconditions). Given only a kind of
    command, it is whether some command of that kind could be accepted from `org`. For a
    designation, `affectation` says whom the dwelling's current vacancy is for (in flux, the
    réservataire it was oriented to); without it, the dwelling's contingent decides (stock)."""
    try:
        exiger(org, commande, demande, logement, affectation)
    except Interdit as refus:
        return refus
    return None


def exiger(
    org: Organisation,
    commande: c.Commande | type[c.Commande],
    demande: EtatDemande | None = None,
    logement: LogementSocial | None = None,
    affectation: Affectation | None = None,
) -> None:
    """`peut`, raising its refusal: what the command handlers call first."""
    ecriture(org)
    genre = commande if isinstance(commande, type) else type(commande)
    cmd = None if isinstance(commande, type) else commande
    if genre is c.Designer and logement is not None and affectation is not None:
        designation(org, logement, affectation)
        return
    REGLES[genre](org, cmd, demande, logement)


def lecture_personnelle(org: Organisation) -> bool:
    """Whether `org` may read the demands' personal data (identity, contacts, address, free
    text: DOMAIN.md §8). Every organisation of the territory reads its demands (R.441-2-6), but
    only those that instruct them or decide on them need to know who the applicants are: the
    guichets, bailleurs, réservataires and the Etat. An auditeur (the CIL, an inspection, the
    EPCI's observatory) reads and replays the facts, never the persons, unless the territory
    file grants it (`lecture_donnees_personnelles`); the systeme reads nothing. Product rule
    (docs/donnees-personnelles.md); the one place that decides it, for the JSON API, the pages,
    the feed, the SNE export and any other read that minimises."""
    if TypeOrganisation.systeme in org.types:
        return False
    return bool(org.types & {G, B, R, E}) or org.lecture_donnees_personnelles


def journal_des_lectures(org: Organisation) -> None:
    """Who reads the journal of a demand's personal-data reads (GET /demandes/{n}/lectures): the
    guichets, which answer the applicant's right of access (RGPD art. 15), and the auditeurs
    (CIL, inspection), who control the access. Product rule (docs/donnees-personnelles.md)."""
    if not org.types & {G, TypeOrganisation.auditeur}:
        raise Interdit(
            "journal_des_lectures_reserve",
            f"the journal of personal-data reads is read by a guichet or an auditeur; {org.code} is "
            f"{_kinds(org)}",
        )
