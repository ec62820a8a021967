"""Who may record what (DOMAIN.md §1). Each refusal names the rule, for a 403 that explains itself."""

from domain.codes import CodeDecote, MotifMiseEnDemeure, MotifRadiation, TypeOrganisation
from domain.erreurs import Interdit
from domain.territoire import LogementSocial, Organisation

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


def radiation(org: Organisation, motif: MotifRadiation) -> None:
    if motif is MotifRadiation.RADIRR:
        _exiger(org, {B}, "bailleur_requis", "a RADIRR radiation")
    else:
        guichet(org, f"a {motif} radiation")


def dalo(org: Organisation) -> None:
    _exiger(org, {E}, "etat_requis", "a DALO or priority decision")


def bailleur_du_logement(org: Organisation, logement: LogementSocial, quoi: str) -> None:
    if B not in org.types or logement.bailleur != org.code:
        raise Interdit(
            "bailleur_du_logement",
            f"{quoi} on {logement.identifiant} is recorded by its bailleur {logement.bailleur}, "
            f"not {org.code}",
        )


def designation(org: Organisation, logement: LogementSocial) -> None:
    if B in org.types and logement.bailleur == org.code:
        return
    if R in org.types and logement.reservataire == org.code:
        return
    raise Interdit(
        "designation_hors_contingent",
        f"{org.code} may designate on {logement.identifiant} neither as its bailleur "
        f"({logement.bailleur}) nor as holder of its contingent {logement.contingent} "
        f"({logement.reservataire or 'none'})",
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
