"""The forms a demand's page offers: exactly the commands the viewer's organisation may record,
asked of `domain.permissions.peut` (the question the command handlers ask first) with the
demand's state and, for a command on a dwelling, the dwelling it concerns; a retraction only of
the events the domain would let this organisation retract (`Demande.refus_de_retractation`).
Nothing is decided here: a form is shown or not, and what it posts goes to the `Registre` like
the API's JSON (`api/pages/demandes.py`), which checks everything again."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain import commandes as c
from domain.codes import (
    CanalNotification,
    CategoriePrioritaire,
    CodeDecote,
    DecisionRecours,
    Justification,
    MotifMiseEnDemeure,
    MotifRadiation,
    QualificationRefus,
    SourcePriorite,
    SousMotifIrrecevabilite,
    StadeRefus,
    StadeReponse,
    StatutDalo,
    TypeDecisionCAL,
    TypeReservataire,
)
from domain.demande import Demande
from domain.erreurs import Interdit
from domain.etat_demande import EtatDemande
from domain.permissions import bailleur_de_la_session, peut
from domain.territoire import LogementSocial, Organisation, Territoire
from projections.commissions import (
    LIBELLES_MOINS_DE_TROIS,
    LIBELLES_MOTIF,
    LIBELLES_MOTIF_REFUS,
    SeanceDuLogement,
)
from projections.repertoire import Vacance

LIBELLES_DECISION = {
    TypeDecisionCAL.attribution: "attribution",
    TypeDecisionCAL.attribution_par_classement: "attribution par classement (rang)",
    TypeDecisionCAL.attribution_sous_condition: "attribution sous condition suspensive",
    TypeDecisionCAL.non_attribution: "non-attribution",
    TypeDecisionCAL.irrecevabilite: "irrecevabilité",
}
LIBELLES_STADE = {
    StadeRefus.avant_cal: "avant la CAL (désistement)",
    StadeRefus.apres_cal: "après la CAL",
    StadeRefus.absence_reponse: "absence de réponse",
}
LIBELLES_QUALIFICATION = {
    QualificationRefus.recevable: "recevable",
    QualificationRefus.non_recevable: "non recevable (logement adapté à la composition et aux ressources)",
}
LIBELLES_RADIATION = {
    MotifRadiation.RADABA: "RADABA — renoncement écrit",
    MotifRadiation.RADCON: "RADCON — absence de réponse aux courriers",
    MotifRadiation.RADIRR: "RADIRR — irrecevabilité prononcée par la CAL",
}
LIBELLES_MISE_EN_DEMEURE = {
    MotifMiseEnDemeure.absence_reponse: "absence de réponse (avant RADCON)",
    MotifMiseEnDemeure.irrecevabilite: "irrecevabilité (avant RADIRR)",
}
LIBELLES_NOTIFICATION = {
    CanalNotification.courrier: "courrier",
    CanalNotification.recommande: "lettre recommandée avec accusé de réception",
    CanalNotification.email: "courriel",
    CanalNotification.sms: "SMS",
    CanalNotification.en_ligne: "espace en ligne du demandeur",
}
LIBELLES_DECISION_RECOURS = {
    DecisionRecours.annulee: "annulée (la décote n'a jamais compté)",
    DecisionRecours.maintenue: "maintenue",
}


@dataclass(frozen=True)
class Champ:
    nom: str
    libelle: str
    genre: str = "text"  # text | date | number | select | textarea | checkbox
    options: tuple[tuple[str, str], ...] = ()
    requis: bool = True
    valeur: str = ""


@dataclass(frozen=True)
class Action:
    segment: str  # the API's path segment: the same command
    titre: str
    champs: tuple[Champ, ...]
    fixes: dict[str, str] = field(default_factory=dict)  # hidden fields

    @property
    def cle(self) -> str:
        return "-".join([self.segment, *(f"{k}-{v}" for k, v in sorted(self.fixes.items()))]).replace(".", "-")


def _jour(aujourdhui: date) -> Champ:
    return Champ("occurred_on", "Date du fait", "date", valeur=aujourdhui.isoformat())


def _options(valeurs: dict) -> tuple[tuple[str, str], ...]:
    return tuple((k.value, v) for k, v in valeurs.items())


def actions_demande(
    org: Organisation, d: Demande, etat: EtatDemande, territoire: Territoire, aujourdhui: date
) -> list[Action]:
    """Every form of the demand's page this organisation may post, in the page's order."""
    jour = _jour(aujourdhui)
    out: list[Action] = []

    def permis(cmd: c.Commande | type[c.Commande], logement: str | None = None) -> bool:
        spec = None
        if logement is not None:
            try:
                spec = territoire.logement(logement)
            except KeyError:
                return False
        return peut(org, cmd, etat, spec) is None

    if etat.active:
        if permis(c.Renouveler):
            out.append(Action("renouvellements", "Renouveler la demande", (jour,)))
        motifs = {m: t for m, t in LIBELLES_MISE_EN_DEMEURE.items()
                  if permis(c.MettreEnDemeure(occurred_on=aujourdhui, motif=m))}
        if motifs:
            out.append(Action("mises-en-demeure", "Mettre en demeure", (jour, Champ("motif", "Motif", "select", _options(motifs)))))
        radiations = {m: t for m, t in LIBELLES_RADIATION.items()
                      if permis(c.Radier(occurred_on=aujourdhui, motif=m))}
        if radiations:
            out.append(Action("radiations", "Radier la demande", (jour, Champ("motif", "Motif de radiation", "select", _options(radiations)))))
        if permis(c.Justifier) and etat.situations:
            out.append(Action("justifications", "Justifier un critère", (
                jour,
                Champ("critere", "Critère déclaré", "select", tuple((s, s) for s in sorted(etat.situations))),
                Champ("justification", "Justification", "select", _options({Justification.justifie: "justifié", Justification.rejete: "rejeté"})),
            )))
        if permis(c.Designer):
            out.append(Action("designations", "Désigner sur un logement", (
                jour,
                Champ("logement", "Identifiant du logement (RPLS)"),
                Champ("contingent", "Contingent (vide : celui du logement)", "select",
                      (("", "celui du logement"),) + tuple((t.value, t.value) for t in TypeReservataire), requis=False),
            )))
        if permis(c.AppliquerDecote(occurred_on=aujourdhui, code=CodeDecote.decote_pieces)):
            out.append(Action("decotes", "Appliquer une décote pour pièces incohérentes", (
                jour, Champ("notifiee_le", "Notifiée le (vide : le jour de la décote)", "date", requis=False),
            ), {"code": CodeDecote.decote_pieces.value}))
    elif etat.radiation is MotifRadiation.RADREN and permis(c.Reactiver):
        out.append(Action("reactivations", "Réactiver la demande (radiée pour non-renouvellement)", (jour,)))
    if etat.active and permis(c.ReconnaitrePriorite):
        out.append(Action("priorites", "Reconnaître un caractère prioritaire (L.441-1)", (
            jour,
            Champ("categorie", "Catégorie (L.441-1 a à m, ou DALO)", "select",
                  tuple((x.value, "DALO" if x is CategoriePrioritaire.dalo else x.value.replace("_", " "))
                        for x in CategoriePrioritaire)),
            Champ("source", "Source", "select", tuple((x.value, x.value.replace("_", " ")) for x in SourcePriorite)),
            Champ("du", "Du", "date", valeur=aujourdhui.isoformat()),
            Champ("jusqua", "Jusqu'au (vide : sans terme)", "date", requis=False),
        )))
    if etat.active and permis(c.DeclarerEligibilite):
        out.append(Action("eligibilites", "Déclarer l'éligibilité à un contingent", (
            jour,
            Champ("contingent", "Contingent", "select",
                  tuple((t.value, t.value) for t in TypeReservataire if t is not TypeReservataire.AUCUN)),
            Champ("eligible", "Éligible", "select", (("true", "éligible"), ("false", "retirer l'éligibilité"))),
        )))
    if permis(c.ReconnaitreDalo):
        out.append(Action("reconnaissances-dalo", "Reconnaître le statut DALO", (
            jour, Champ("statut", "Statut DALO", "select", _options({s: s.value for s in StatutDalo if s is not StatutDalo.NON})),
        )))

    for cand in etat.candidatures.values():
        lgt = cand.logement
        if cand.bail is not None or cand.refus is not None:
            continue
        fixe = {"logement": lgt}
        if permis(c.DeciderCAL, lgt):
            out.append(Action("decisions-cal", f"Décision de la CAL sur {lgt}", champs_decision_cal(aujourdhui), fixe))
        if permis(c.Refuser, lgt):
            out.append(Action("refus", f"Enregistrer le refus du candidat sur {lgt}", champs_refus(aujourdhui), fixe))
        if cand.decisions and permis(c.LeverCondition, lgt):
            out.append(Action("conditions-levees", f"Condition suspensive levée sur {lgt}", (jour,), fixe))
        if cand.decisions and permis(c.SignerBail, lgt):
            out.append(Action("baux", f"Signer le bail de {lgt}", (jour,), fixe))

    for f in d.faits:
        if isinstance(f, Demande.Refusee) and f.qualification is QualificationRefus.non_recevable:
            v = f.originator_version
            deja = any(x.refus == v for x in etat.decotes.values())
            cmd = c.AppliquerDecote(occurred_on=aujourdhui, code=CodeDecote.decote_refus, refus=v)
            if not deja and not d.est_retracte(v) and permis(cmd, f.logement):
                out.append(Action("decotes", f"Appliquer la décote du refus n° {v}", (
                    jour, Champ("notifiee_le", "Notifiée le (vide : le jour de la décote)", "date", requis=False),
                ), {"code": CodeDecote.decote_refus.value, "refus": str(v)}))
    for x in etat.decotes.values():
        if x.recours is None and permis(c.DeposerRecours):
            out.append(Action("recours", f"Déposer un recours contre la décote n° {x.version}", (jour,), {"decote": str(x.version)}))
        elif x.recours is not None and x.decision is None:
            cmd = c.DeciderRecours(occurred_on=aujourdhui, decote=x.version, decision=DecisionRecours.maintenue, motivation="-")
            if permis(cmd):
                out.append(Action("decisions-recours", f"Décider du recours contre la décote n° {x.version}",
                                  champs_decision_recours(aujourdhui), {"decote": str(x.version)}))
    return out


def champs_decision_cal(aujourdhui: date, en_seance: bool = False) -> tuple[Champ, ...]:
    """A CAL decision's fields; `en_seance`: within a session, dated on the session's date (a
    hidden field), so no date to type."""
    return (
        *(() if en_seance else (_jour(aujourdhui),)),
        Champ("decision", "Décision", "select", _options(LIBELLES_DECISION)),
        Champ("rang", "Rang (attribution par classement)", "number", requis=False),
        Champ("motif", "Motif (non-attribution)", "select", (("", "—"),) + _options(LIBELLES_MOTIF), requis=False),
        Champ("sous_motif_irrecevabilite", "Sous-motif d'irrecevabilité", "select",
              (("", "—"),) + _options({SousMotifIrrecevabilite.IRRSEJ: "IRRSEJ — conditions de séjour",
                                        SousMotifIrrecevabilite.IRRRES: "IRRRES — ressources"}), requis=False),
        Champ("piece_manquante", "Pièce manquante (condition suspensive)", requis=False),
        Champ("delai_jours", "Délai en jours (condition suspensive)", "number", requis=False),
        Champ("moins_de_trois_candidats", "Raison si moins de trois candidats ayant répondu favorablement", "select",
              (("", "—"),) + _options(LIBELLES_MOINS_DE_TROIS), requis=False),
        Champ("texte", "Précision (texte libre, chiffré)", "textarea", requis=False),
    )


def champs_refus(aujourdhui: date) -> tuple[Champ, ...]:
    return (
        _jour(aujourdhui),
        Champ("stade", "Stade", "select", _options(LIBELLES_STADE)),
        Champ("motif", "Motif du refus", "select", _options(LIBELLES_MOTIF_REFUS)),
        Champ("texte", "Précision (texte libre, chiffré)", "textarea", requis=False),
        Champ("qualification", "Qualification par le bailleur", "select", _options(LIBELLES_QUALIFICATION)),
        Champ("appliquer_decote", "Appliquer la décote (refus non recevable)", "checkbox", requis=False),
        Champ("decote_notifiee_le", "Décote notifiée le (vide : le jour du refus)", "date", requis=False),
    )


def champs_decision_recours(aujourdhui: date) -> tuple[Champ, ...]:
    return (
        _jour(aujourdhui),
        Champ("decision", "Décision", "select", _options(LIBELLES_DECISION_RECOURS)),
        Champ("motivation", "Motivation", "textarea"),
    )


def retractables(org: Organisation, d: Demande) -> set[int]:
    """The events of the demand this organisation may retract (the domain's own refusal test)."""
    return {f.originator_version for f in d.faits if d.refus_de_retractation(f.originator_version, org.code) is None}


def en_seance(org: Organisation, seance: SeanceDuLogement) -> bool:
    """Whether `org` records within this session: the domain's rule, asked (its bailleur's CAL)."""
    try:
        bailleur_de_la_session(org, seance.bailleur, seance.session)
    except Interdit:
        return False
    return True


def actions_vacance(
    org: Organisation, spec: LogementSocial, vacance: Vacance, seance: SeanceDuLogement | None, aujourdhui: date
) -> dict[str, list[Action]]:
    """The CAL workspace's forms for each candidate of the dwelling's open vacancy, asked of
    `peut` with the dwelling (and, within `seance`, of the session's rule): the favourable answer
    before the CAL, the inscription on the session's agenda, the decision within the session (its
    coded motifs, free text beside them), the candidate's refusal with its qualification and
    décote, the notification of the decision, the bail. An action without fields is one button."""
    jour = _jour(aujourdhui)
    fixe = {"logement": spec.identifiant}

    def permis(cmd: type[c.Commande]) -> bool:
        return peut(org, cmd, None, spec) is None

    ouverte = seance is not None and not seance.close and en_seance(org, seance)
    inscrits = {x.numero_unique: x for x in seance.point.candidats} if seance and seance.point else {}
    out: dict[str, list[Action]] = {}
    if not vacance.logement.vacant:
        return out
    for x in vacance.candidats:
        if x.refuse:
            continue
        actions: list[Action] = []
        if not x.favorable and not x.decision and permis(c.Accepter):
            actions.append(Action("reponses", "Réponse favorable avant la CAL", (jour,),
                                  {**fixe, "stade": StadeReponse.avant_cal.value}))
        if seance is not None and ouverte:
            session = {**fixe, "session": seance.session, "occurred_on": seance.date.isoformat()}
            inscrit = inscrits.get(x.numero_unique)
            if inscrit is None and permis(c.InscrireCAL):
                actions.append(Action("inscriptions-cal", f"Inscrire à la séance {seance.session}", (), session))
            elif inscrit is not None and inscrit.decision is None and permis(c.DeciderCAL):
                actions.append(Action("decisions-cal", "Décision de la CAL", champs_decision_cal(aujourdhui, True), session))
        if permis(c.Refuser):
            actions.append(Action("refus", "Refus du candidat", champs_refus(aujourdhui), fixe))
        if x.decision and permis(c.NotifierDecision):
            actions.append(Action("notifications", "Notifier la décision au candidat", (
                jour, Champ("canal", "Canal", "select", _options(LIBELLES_NOTIFICATION)),
            ), fixe))
        if x.decision and permis(c.SignerBail):
            actions.append(Action("baux", "Signer le bail", (jour,), fixe))
        out[x.numero_unique] = actions
    return out
