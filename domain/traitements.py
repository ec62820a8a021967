"""What the ledger does with each command: one handler per command, from the acting organisation,
the act, the demand, the dwelling it concerns and the territory, to the aggregates to save.

A handler asks `permissions.exiger` (`peut`, raising) first (403), then lets the aggregates
check their preconditions and record their events (422). It reads nothing and writes nothing:
the `Registre` loads the aggregates beforehand (`logement_concerne` tells it which dwelling),
catches the demand up with its schedule, and saves what the handler returns, demand first, in
one transaction. So a single command, a batch (`Registre.executer_lot`, the generator) and a
page asking what it may offer (`permissions.peut`) all go through the same rules.

`TRAITEMENTS` maps each command on an existing demand to its handler; registration
(`preparer_enregistrement`, `enregistrer`), a dwelling's own commands (`declarer_vacance`,
`orienter_vacance`) and a CAL session's (`ouvrir_session`, `clore_session`) have handlers of
their own shape. A command within a session (an inscription, a decision, the retraction of a
decision taken in one) also gets the session's aggregate (`session_concernee` names it).

It runs past 600 lines: one short handler per command, in one table, so that every command's
way through permissions and preconditions reads in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain import bornes, menage, verifications
from domain import commandes as c
from domain.acte import Acte
from domain.cal import LogementExamine, SessionCAL
from domain.codes import (
    ATTRIBUTIONS,
    CodeDecote,
    Justification,
    QualificationRefus,
    StadeReponse,
    TypeReservataire,
)
from domain.cotation import Grille, coter
from domain.demande import Demande
from domain.erreurs import Introuvable, RefusCommande, RegleEnfreinte
from domain.etat_demande import EtatDemande, SituationAttribution
from domain.foyer import DonneesPersonnelles, Souhaits
from domain.logement import Logement
from domain.permissions import Affectation, bailleur_de_la_session, exiger
from domain.territoire import LogementSocial, Organisation, Territoire

Agregat = Demande | Logement | SessionCAL


@dataclass(frozen=True)
class Contexte:
    """Everything a handler decides from, besides the demand and the command."""

    organisation: Organisation
    acte: Acte
    territoire: Territoire
    # The dwelling `logement_concerne` named, as the territory describes it (None if it is not
    # in the territory), and its aggregate (None until the ledger follows the dwelling).
    logement: LogementSocial | None = None
    agregat_logement: Logement | None = None
    # The CAL session `session_concernee` named (None if unknown to the ledger), and the grid
    # that gives a candidate's points at the session's date.
    session: SessionCAL | None = None
    grille: Grille | None = None

    def spec(self, identifiant: str) -> LogementSocial:
        if self.logement is None or self.logement.identifiant != identifiant:
            raise Introuvable("logement_inconnu", f"dwelling {identifiant!r} is not in the territory")
        return self.logement

    def agregat(self, spec: LogementSocial) -> Logement:
        """The dwelling's aggregate, opened in the state the territory file gives on first use."""
        lgt = self.agregat_logement
        if lgt is None:
            return Logement.ouvrir(spec, self.acte)
        assert lgt.identifiant == spec.identifiant, "the Registre loads the dwelling concerned"
        return lgt

    def session_requise(self, identifiant: str) -> SessionCAL:
        if self.session is None or self.session.identifiant != identifiant:
            raise Introuvable("session_inconnue", f"no CAL session {identifiant!r}")
        return self.session


Traitement = Callable[[Contexte, Demande, Any], list[Agregat]]


def logement_concerne(demande: Demande, commande: c.Commande) -> str | None:
    """Which dwelling the handler of `commande` will need, for the Registre to load it first.
    Never raises: a bad event number is the handler's to refuse, with its own rule."""
    logement = getattr(commande, "logement", None)
    if isinstance(logement, str):
        return logement
    if isinstance(commande, c.ConstaterVisite):
        fait = _fait_ou_rien(demande, commande.visite)
        return fait.logement if isinstance(fait, Demande.VisiteProposee) else None
    if isinstance(commande, c.AppliquerDecote) and commande.refus is not None:
        fait = _fait_ou_rien(demande, commande.refus)
        return fait.logement if isinstance(fait, Demande.Refusee) else None
    if isinstance(commande, c.Retracter):
        fait = _fait_ou_rien(demande, commande.evenement)
        return fait.logement if fait is not None and fait.concerne_logement else None  # type: ignore[attr-defined]
    return None


def session_concernee(demande: Demande, commande: c.Commande) -> str | None:
    """Which CAL session the handler of `commande` will need, for the Registre to load it."""
    session = getattr(commande, "session", None)
    if isinstance(session, str):
        return session
    if isinstance(commande, c.Retracter):
        fait = _fait_ou_rien(demande, commande.evenement)
        return fait.session if isinstance(fait, Demande.DecisionCAL) else None
    return None


def affectation(ctx: Contexte, spec: LogementSocial, lgt: Logement | None) -> Affectation:
    """Whom the dwelling's current vacancy is for: in flux (a vacancy opened on or after the
    territory's date), the réservataire it was oriented to; in stock, its contingent's holder."""
    v = lgt.vacance_courante if lgt is not None else None
    ouverte_le = v.ouverte_le if v is not None else (ctx.acte.occurred_on if spec.vacant else None)
    if not ctx.territoire.en_flux(ouverte_le):
        return Affectation(False, spec.reservataire, spec.contingent)
    o = v.orientation if v is not None else None
    if o is None:
        return Affectation(True, None, TypeReservataire.AUCUN, orientee=False)
    return Affectation(True, o.reservataire, o.contingent)


def traiter(ctx: Contexte, demande: Demande, commande: c.Commande) -> list[Agregat]:
    """The handler of `commande` applied: the aggregates to save, the demand first."""
    try:
        traitement = TRAITEMENTS[type(commande)]
    except KeyError:
        raise RegleEnfreinte(
            "commande_inconnue", f"{type(commande).__name__} does not apply to an existing demand"
        ) from None
    bornes.verifier(commande)
    return traitement(ctx, demande, commande)


# -- registration and vacancy ---------------------------------------------------------------------


def preparer_enregistrement(ctx: Contexte, cmd: c.Enregistrer) -> str | None:
    """What must hold before a numéro unique is taken: the permission, and, for a numéro to mint,
    the guichet's code and a valid payload (a bad payload must not burn a number). Returns the
    guichet code to mint with, or None when the command brings its own numéro (an import)."""
    exiger(ctx.organisation, cmd)
    bornes.verifier(cmd)
    if cmd.numero_unique is not None:
        bornes.numero_unique(cmd.numero_unique)
        return None
    code = ctx.organisation.code_guichet
    if code is None:
        raise RegleEnfreinte(
            "code_guichet_manquant",
            f"{ctx.organisation.code} has no guichet code to mint a numéro unique with",
        )
    _nouvelle_demande(ctx, cmd, "validation")
    return code


def enregistrer(ctx: Contexte, cmd: c.Enregistrer, numero: str, *, preparee: bool = False) -> Demande:
    """`preparee`: this very command (immutable, as every command) was just accepted by
    `preparer_enregistrement` in the same context, so its permission and bounds hold already
    (walking a household's hundreds of values twice was a third of a bulk import's domain)."""
    if not preparee:
        exiger(ctx.organisation, cmd)
        bornes.verifier(cmd)
    return _nouvelle_demande(ctx, cmd, numero)


def _communes_du_territoire(ctx: Contexte, souhaits: Souhaits | None) -> None:
    if souhaits is not None:
        verifications.communes_souhaitees(souhaits, ctx.territoire)


def _nouvelle_demande(ctx: Contexte, cmd: c.Enregistrer, numero: str) -> Demande:
    _communes_du_territoire(ctx, cmd.souhaits)
    return Demande.enregistrer(
        numero,
        ctx.acte,
        membres=cmd.membres,
        logement_actuel=cmd.logement_actuel,
        souhaits=cmd.souhaits,
        motifs=cmd.motifs,
        situations=cmd.situations,
        personnel=cmd.personnel,
        filed_on=cmd.filed_on,
        anniversaire=cmd.anniversaire,
        complements=cmd.complements,
    )


def declarer_vacance(ctx: Contexte, identifiant: str, cmd: c.DeclarerVacance) -> Logement:
    spec = ctx.spec(identifiant)
    exiger(ctx.organisation, cmd, logement=spec)
    bornes.verifier(cmd)
    lgt = ctx.agregat(spec)
    lgt.declarer_vacance(ctx.acte)
    return lgt


def orienter_vacance(ctx: Contexte, identifiant: str, cmd: c.OrienterVacance) -> Logement:
    """In flux, the bailleur orients its vacancy to a réservataire under their convention for
    the vacancy's year, keeps it, or withdraws it from the flux base (docs/rules.md and docs/flux.md)."""
    spec = ctx.spec(identifiant)
    exiger(ctx.organisation, cmd, logement=spec)
    bornes.verifier(cmd)
    lgt = ctx.agregat(spec)
    v = lgt.vacance_ouverte()
    t = ctx.territoire
    if not t.en_flux(v.ouverte_le):
        raise RegleEnfreinte(
            "hors_flux",
            f"vacancy {v.numero} of {identifiant} opened on {v.ouverte_le} is managed in stock "
            f"(the territory is in flux from {t.flux_depuis or 'no date'}): its contingent "
            f"{spec.contingent} applies and it is not oriented",
        )
    if cmd.retrait is not None and (cmd.reservataire is not None or cmd.contingent is not None):
        raise RegleEnfreinte("retrait_sans_reservataire", "a vacancy withdrawn from the flux is oriented to nobody")
    if cmd.reservataire is None:
        if cmd.contingent not in (None, TypeReservataire.AUCUN):
            raise RegleEnfreinte("reservataire_requis", f"contingent {cmd.contingent} needs its réservataire")
        lgt.orienter(ctx.acte, None, TypeReservataire.AUCUN, None, cmd.retrait)
        return lgt
    assert v.ouverte_le is not None  # en_flux says so
    convention = t.convention_pour(
        cmd.reservataire, spec.bailleur, v.ouverte_le.year, spec.typologie, spec.commune, cmd.contingent
    )
    if convention is None:
        raise RegleEnfreinte(
            "sans_convention",
            f"{cmd.reservataire} has no convention de réservation with {spec.bailleur} for "
            f"{v.ouverte_le.year} covering a {spec.typologie} in {spec.commune}"
            + (f" on contingent {cmd.contingent}" if cmd.contingent else ""),
        )
    lgt.orienter(ctx.acte, cmd.reservataire, convention.contingent, convention.identifiant, None)
    return lgt


def ouvrir_session(ctx: Contexte, cmd: c.OuvrirSession, identifiant: str) -> SessionCAL:
    exiger(ctx.organisation, cmd)
    bornes.verifier(cmd)
    return SessionCAL.ouvrir(ctx.acte, identifiant, cmd.forme, cmd.membres, ctx.territoire.voix_preponderante)


def clore_session(ctx: Contexte, session: SessionCAL, cmd: c.CloreSession) -> SessionCAL:
    exiger(ctx.organisation, cmd)
    bornes.verifier(cmd)
    bailleur_de_la_session(ctx.organisation, session.bailleur, session.identifiant)
    session.clore(ctx.acte)
    return session


# -- one handler per command on a demand ----------------------------------------------------------


def _modifier(ctx: Contexte, d: Demande, cmd: c.Modifier) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    _communes_du_territoire(ctx, cmd.souhaits)
    d.modifier(
        ctx.acte,
        membres=cmd.membres,
        logement_actuel=cmd.logement_actuel,
        souhaits=cmd.souhaits,
        motifs=cmd.motifs,
        situations=cmd.situations,
        personnel=cmd.personnel,
        complements=cmd.complements,
    )
    return [d]


def _renouveler(ctx: Contexte, d: Demande, cmd: c.Renouveler) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.renouveler(ctx.acte)
    return [d]


def _mettre_en_demeure(ctx: Contexte, d: Demande, cmd: c.MettreEnDemeure) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.mettre_en_demeure(ctx.acte, cmd.motif)
    return [d]


def _radier(ctx: Contexte, d: Demande, cmd: c.Radier) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.radier(ctx.acte, cmd.motif)
    return [d]


def _reactiver(ctx: Contexte, d: Demande, cmd: c.Reactiver) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.reactiver(ctx.acte)
    return [d]


def _reconnaitre_dalo(ctx: Contexte, d: Demande, cmd: c.ReconnaitreDalo) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.reconnaitre_dalo(ctx.acte, cmd.statut)
    return [d]


def _justifier(ctx: Contexte, d: Demande, cmd: c.Justifier) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.justifier(ctx.acte, cmd.critere, cmd.justification)
    return [d]


def _reconnaitre_priorite(ctx: Contexte, d: Demande, cmd: c.ReconnaitrePriorite) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.reconnaitre_priorite(ctx.acte, cmd.categorie, cmd.source, cmd.du, cmd.jusqua)
    return [d]


def _declarer_eligibilite(ctx: Contexte, d: Demande, cmd: c.DeclarerEligibilite) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.declarer_eligibilite(ctx.acte, cmd.contingent, cmd.eligible)
    return [d]


def _designer(ctx: Contexte, d: Demande, cmd: c.Designer) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    lgt = ctx.agregat(spec)
    aff = affectation(ctx, spec, lgt)
    exiger(ctx.organisation, cmd, d.etat, spec, aff)
    contingent = cmd.contingent or aff.contingent
    # Hors contingent (AUCUN) is the bailleur's own choice; anyone else designates within the
    # dwelling's contingent (stock) or the vacancy's orientation (flux).
    hors_contingent = spec.bailleur == ctx.organisation.code and contingent is TypeReservataire.AUCUN
    if contingent is not aff.contingent and not hors_contingent:
        raise RegleEnfreinte(
            "contingent_invalide",
            f"the vacancy of {spec.identifiant} is for contingent {aff.contingent}"
            + (" (its flux orientation)" if aff.flux else "") + f", not {contingent}",
        )
    reservataire = aff.reservataire if contingent is aff.contingent and contingent is not TypeReservataire.AUCUN else None
    vacance = lgt.designer(ctx.acte, d.numero_unique)
    d.designer(ctx.acte, spec, vacance, contingent, reservataire, aff.flux)
    return [d, lgt]


def _inscrire_cal(ctx: Contexte, d: Demande, cmd: c.InscrireCAL) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    session = ctx.session_requise(cmd.session)
    bailleur_de_la_session(ctx.organisation, session.bailleur, session.identifiant)
    lgt = ctx.agregat(spec)
    v = lgt.vacance_ouverte()
    aff = affectation(ctx, spec, lgt)
    candidature = d.etat.candidature(spec.identifiant, v.numero)
    examine = LogementExamine(
        logement=spec.identifiant, vacance=v.numero, commune=spec.commune, typologie=spec.typologie,
        financement=spec.financement, qpv=spec.qpv, contingent=aff.contingent,
        reservataire=aff.reservataire, flux=aff.flux,
    )
    points = _points(ctx, d, session.date)
    ordre = session.inscrire(
        ctx.acte, examine, d.numero_unique, points, d.etat.filed_on,
        bool(candidature and candidature.favorable),
    )
    d.inscrire_cal(ctx.acte, spec, v.numero, session.identifiant, ordre, points)
    return [d, session]


def _points(ctx: Contexte, d: Demande, jour: date) -> int | None:
    """The candidate's points at the session's date, as the ledger knows them when inscribed."""
    if ctx.grille is None:
        return None
    try:
        return coter(d.etat_au(jour), jour, ctx.territoire, ctx.grille).points
    except (RefusCommande, ValueError):
        return None  # no grid version in force that day: the minutes show no points


def _accepter(ctx: Contexte, d: Demande, cmd: c.Accepter) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    lgt = ctx.agregat(spec)
    v = lgt.vacance_ouverte()
    d.accepter(ctx.acte, spec, v.numero, cmd.stade)
    if cmd.stade is StadeReponse.avant_cal:
        lgt.enregistrer_favorable(ctx.acte, d.numero_unique)
        return [d, lgt]
    return [d]


def _notifier_decision(ctx: Contexte, d: Demande, cmd: c.NotifierDecision) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    lgt = ctx.agregat(spec)
    v = lgt.vacance_courante
    if v is None:
        raise RegleEnfreinte("rien_a_notifier", f"dwelling {spec.identifiant} has had no vacancy")
    d.notifier_decision(ctx.acte, spec, v.numero, cmd.canal)
    return [d]


def _decider_cal(ctx: Contexte, d: Demande, cmd: c.DeciderCAL) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    session = ctx.session_requise(cmd.session) if cmd.session is not None else None
    if session is not None:
        bailleur_de_la_session(ctx.organisation, session.bailleur, session.identifiant)
    lgt = ctx.agregat(spec)
    vacance = lgt.vacance_ouverte().numero
    d.decider_cal(
        ctx.acte,
        spec,
        vacance,
        cmd.decision,
        rang=cmd.rang,
        motif=cmd.motif,
        sous_motif_irrecevabilite=cmd.sous_motif_irrecevabilite,
        piece_manquante=cmd.piece_manquante,
        delai_jours=cmd.delai_jours,
        moins_de_trois_candidats=cmd.moins_de_trois_candidats,
        situation=(
            situation_a_l_attribution(ctx, d.etat, spec, vacance)
            if cmd.decision in ATTRIBUTIONS
            else None
        ),
        session=cmd.session,
        texte=cmd.texte,
    )
    lgt.enregistrer_decision(ctx.acte, d.numero_unique, cmd.decision, cmd.rang, cmd.moins_de_trois_candidats)
    if session is None:
        return [d, lgt]
    session.decider(
        ctx.acte, spec.identifiant, vacance, d.numero_unique, decision=cmd.decision, rang=cmd.rang,
        motif=cmd.motif, sous_motif_irrecevabilite=cmd.sous_motif_irrecevabilite,
        delai_jours=cmd.delai_jours, moins_de_trois_candidats=cmd.moins_de_trois_candidats,
    )  # the missing pièce is free text: on the demand only, encrypted (the minutes read it there)
    return [d, lgt, session]


def _lever_condition(ctx: Contexte, d: Demande, cmd: c.LeverCondition) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    lgt = ctx.agregat(spec)
    d.lever_condition(ctx.acte, spec, lgt.vacance_ouverte().numero)
    lgt.lever_condition(ctx.acte, d.numero_unique)
    return [d, lgt]


def _refuser(ctx: Contexte, d: Demande, cmd: c.Refuser) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    if cmd.appliquer_decote and cmd.qualification is not QualificationRefus.non_recevable:
        raise RegleEnfreinte("refus_recevable", "only a non_recevable refusal may carry a décote")
    lgt = ctx.agregat(spec)
    refus = d.refuser(
        ctx.acte, spec, lgt.vacance_ouverte().numero, cmd.stade, cmd.motif, cmd.qualification, cmd.texte,
        cmd.loyer,
    )
    lgt.enregistrer_refus(ctx.acte, d.numero_unique)
    if cmd.appliquer_decote:
        # The refusal's bailleur applies it: the permission above already said it is this one.
        d.appliquer_decote(
            ctx.acte, CodeDecote.decote_refus, refus=refus, notifiee_le=cmd.decote_notifiee_le
        )
    return [d, lgt]


def _appliquer_decote(ctx: Contexte, d: Demande, cmd: c.AppliquerDecote) -> list[Agregat]:
    refuse: LogementSocial | None = None
    if cmd.code is CodeDecote.decote_refus and cmd.refus is not None:
        fait = d.fait(cmd.refus)
        if isinstance(fait, Demande.Refusee):
            refuse = ctx.spec(fait.logement)
    exiger(ctx.organisation, cmd, d.etat, refuse)
    d.appliquer_decote(ctx.acte, cmd.code, refus=cmd.refus, notifiee_le=cmd.notifiee_le, piece=cmd.piece)
    return [d]


def _deposer_recours(ctx: Contexte, d: Demande, cmd: c.DeposerRecours) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.deposer_recours(ctx.acte, cmd.decote, cmd.depose_par, cmd.explications)
    return [d]


def _decider_recours(ctx: Contexte, d: Demande, cmd: c.DeciderRecours) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.decider_recours(ctx.acte, cmd.decote, cmd.decision, cmd.motivation)
    return [d]


def _deposer_piece(ctx: Contexte, d: Demande, cmd: c.DeposerPiece) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.deposer_piece(ctx.acte, cmd.type_piece, cmd.membre, cmd.empreinte, cmd.taille, en_reponse_a=cmd.en_reponse_a)
    return [d]


def _valider_piece(ctx: Contexte, d: Demande, cmd: c.ValiderPiece) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.valider_piece(ctx.acte, cmd.piece)
    return [d]


def _refuser_piece(ctx: Contexte, d: Demande, cmd: c.RefuserPiece) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.refuser_piece(ctx.acte, cmd.piece, cmd.motif, cmd.texte)
    return [d]


def _demander_pieces(ctx: Contexte, d: Demande, cmd: c.DemanderPieces) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.demander_pieces(ctx.acte, cmd.pieces, cmd.du_le, cmd.membre, cmd.texte)
    return [d]


def _proposer_visite(ctx: Contexte, d: Demande, cmd: c.ProposerVisite) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    lgt = ctx.agregat(spec)
    d.proposer_visite(ctx.acte, spec.identifiant, lgt.vacance_ouverte().numero, cmd.visite_le)
    return [d]


def _constater_visite(ctx: Contexte, d: Demande, cmd: c.ConstaterVisite) -> list[Agregat]:
    fait = _fait_ou_rien(d, cmd.visite)
    spec = ctx.spec(fait.logement) if isinstance(fait, Demande.VisiteProposee) else None
    exiger(ctx.organisation, cmd, d.etat, spec)
    d.constater_visite(ctx.acte, cmd.visite, cmd.effectuee)
    return [d]


def _delivrer_attestation(ctx: Contexte, d: Demande, cmd: c.DelivrerAttestation) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    d.delivrer_attestation(ctx.acte, cmd.type, cmd.canal)
    return [d]


def _signer_bail(ctx: Contexte, d: Demande, cmd: c.SignerBail) -> list[Agregat]:
    spec = ctx.spec(cmd.logement)
    exiger(ctx.organisation, cmd, d.etat, spec)
    lgt = ctx.agregat(spec)
    vacance = lgt.vacance_ouverte().numero
    situation = situation_a_l_attribution(ctx, d.etat, spec, vacance)
    lgt.louer(ctx.acte, d.numero_unique)
    d.signer_bail(ctx.acte, spec, vacance, situation)
    return [d, lgt]


def _retracter(ctx: Contexte, d: Demande, cmd: c.Retracter) -> list[Agregat]:
    exiger(ctx.organisation, cmd, d.etat)
    fait = d.retracter(ctx.acte, cmd.evenement, cmd.motif)
    if not fait.concerne_logement:
        return [d]
    if isinstance(fait, Demande.Acceptee) and fait.stade is StadeReponse.apres_cal:
        return [d]  # the dwelling only counts the answers before the CAL
    # The dwelling's rules (one bail, ranks, three candidates) must stop counting the fact too.
    quoi = {
        Demande.Designee: "designation",
        Demande.DecisionCAL: "decision",
        Demande.Refusee: "refus",
        Demande.ConditionLevee: "condition",
        Demande.Acceptee: "favorable",
    }[type(fait)]
    lgt = ctx.agregat_logement
    assert lgt is not None and lgt.identifiant == fait.logement, "the Registre loads it first"  # type: ignore[attr-defined]
    lgt.retracter(ctx.acte, fait.vacance, d.numero_unique, quoi)  # type: ignore[attr-defined]
    if isinstance(fait, Demande.DecisionCAL) and fait.session is not None:
        # Mirrored on the session: after its closing, so its minutes stay as they were.
        session = ctx.session_requise(fait.session)
        session.retracter_decision(ctx.acte, fait.logement, fait.vacance, d.numero_unique)
        return [d, lgt, session]
    return [d, lgt]


TRAITEMENTS: dict[type[c.Commande], Traitement] = {
    c.Modifier: _modifier,
    c.Renouveler: _renouveler,
    c.MettreEnDemeure: _mettre_en_demeure,
    c.Radier: _radier,
    c.Reactiver: _reactiver,
    c.ReconnaitreDalo: _reconnaitre_dalo,
    c.Justifier: _justifier,
    c.ReconnaitrePriorite: _reconnaitre_priorite,
    c.DeclarerEligibilite: _declarer_eligibilite,
    c.Designer: _designer,
    c.DeciderCAL: _decider_cal,
    c.LeverCondition: _lever_condition,
    c.Refuser: _refuser,
    c.AppliquerDecote: _appliquer_decote,
    c.DeposerRecours: _deposer_recours,
    c.DeciderRecours: _decider_recours,
    c.SignerBail: _signer_bail,
    c.Retracter: _retracter,
    c.InscrireCAL: _inscrire_cal,
    c.Accepter: _accepter,
    c.NotifierDecision: _notifier_decision,
    c.DeposerPiece: _deposer_piece,
    c.ValiderPiece: _valider_piece,
    c.RefuserPiece: _refuser_piece,
    c.DemanderPieces: _demander_pieces,
    c.ProposerVisite: _proposer_visite,
    c.ConstaterVisite: _constater_visite,
    c.DelivrerAttestation: _delivrer_attestation,
}


# -- what an attribution keeps of the household -----------------------------------------------


def situation_a_l_attribution(
    ctx: Contexte, etat: EtatDemande, spec: LogementSocial, vacance: int
) -> SituationAttribution:
    """The household as the CAL or the bail saw it (docs/rules.md), so that statistics never need
    personal data nor a replay: resources per UC against the year's threshold, priority and DALO
    flags, the contingent the candidate was designated on, the dwelling's facts."""
    jour: date = ctx.acte.occurred_on
    candidature = etat.candidature(spec.identifiant, vacance)
    contingent = (candidature.contingent if candidature else None) or spec.contingent
    personnel = etat.personnel if isinstance(etat.personnel, DonneesPersonnelles) else None
    par_uc = menage.ressources_par_uc(etat.membres, personnel, jour)
    rejetes = frozenset(k for k, v in etat.justifications.items() if v is Justification.rejete)
    justifies = frozenset(k for k, v in etat.justifications.items() if v is Justification.justifie)
    return SituationAttribution(
        ressources_par_uc=menage.arrondi(par_uc),
        premier_quartile=menage.premier_quartile(
            par_uc, ctx.territoire.seuil_premier_quartile(jour.year)
        ),
        # Priority admitted (justified criteria) or recognised by the Etat on that day (§6).
        prioritaire=menage.prioritaire(etat.situations, etat.logement_actuel, justifies, rejetes)
        or etat.priorite_reconnue_le(jour),
        dalo=menage.dalo(etat.statut_dalo),
        contingent=contingent,
        commune=spec.commune,
        qpv=spec.qpv,
        typologie=spec.typologie,
        financement=spec.financement,
        bailleur=spec.bailleur,
        filed_on=etat.filed_on,
        mutation=etat.mutation,
        reservataire=candidature.reservataire if candidature else None,
        flux=bool(candidature and candidature.flux),
        tranche_age=menage.tranche_age(etat.membres, personnel, jour),
        type_menage=menage.type_menage(etat.membres),
    )


def _fait_ou_rien(demande: Demande, version: int) -> Demande.Event | None:
    return demande.faits[version - 1] if 1 <= version <= len(demande.faits) else None
