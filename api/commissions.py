"""The CAL over HTTP (CCH L.441-2, R.441-9; docs/rules.md): a bailleur opens a session of its commission d'attribution,
puts candidates on its agenda, records the decisions within it and closes it; anyone of the
territory reads its minutes (procès-verbal) as JSON or PDF, and the sessions that examined a
demand. And the bilan du flux of a year (a vacancy's orientation is a dwelling's command:
`api/logements.py`).

Thin: each endpoint decodes the request, hands the domain's command to the `Registre` or asks a
read-side function of `projections/` (the same ones the pages use), and encodes the answer."""

from __future__ import annotations

from datetime import date

import msgspec
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from adapters.proces_verbal import pdf_proces_verbal
from adapters.registre import Registre, Resultat
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.demandes import corps
from api.problemes import ErreurHTTP
from domain import commandes as c
from projections.commissions import (
    ExamenEnCAL,
    ProcesVerbal,
    examens_de_la_demande,
    proces_verbal,
    sessions,
)
from projections.indicateurs import BilanFlux, Periode
from projections.lecteurs import Lecteurs
from projections.lectures_personnelles import Lecteur
from projections.vue_statistiques import lire_bilan_flux

routeur = APIRouter(tags=["commissions"])


class Inscription(c.Commande, kw_only=True):
    """A candidate put on the session's agenda (inscription à une CAL)."""

    numero_unique: str
    logement: str


class DecisionEnSeance(c.DeciderCAL, kw_only=True):
    """A CAL decision within the session: the `DeciderCAL` command and the candidate's numéro."""

    numero_unique: str


class SessionOuverte(msgspec.Struct, frozen=True):
    session: str
    date: date
    close: bool


class ReponseFlux(msgspec.Struct, frozen=True):
    source: str
    position: int
    bilan: BilanFlux


def _resultat(r: Resultat) -> Response:
    return reponses.json(r, headers={"ETag": f'"{r.version}"'})


@routeur.post(
    "/commissions", status_code=201, response_class=Response,
    summary="Opens a session of the bailleur's CAL: its date, form and members present",
    responses=reponses.reponses_en_ligne(SessionOuverte, "The session, its identifier minted", reponses.ERREURS_MOTS),
    openapi_extra=reponses.corps(c.OuvrirSession),
)
def ouvrir(
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.OuvrirSession)),
    registre: Registre = Depends(dep.registre),
) -> Response:
    assert isinstance(commande, c.OuvrirSession)
    s = registre.ouvrir_session(qui.organisation, qui.agent.identifiant, commande)
    return reponses.json(SessionOuverte(s.identifiant, s.date, s.close), 201,
                         {"Location": f"/commissions/{s.identifiant}/proces-verbal"})


@routeur.get("/commissions", response_class=Response, responses=reponses.liste("Session identifiers, in log order"),
             summary="The CAL sessions opened, of a bailleur, within dates")
def lister(
    bailleur: str | None = Query(None),
    du: reponses.Jour | None = Query(None),
    au: reponses.Jour | None = Query(None),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    return reponses.json(sessions(registre, bailleur, du, au))


@routeur.post(
    "/commissions/{session}/inscriptions", response_class=Response,
    summary="Inscription à une CAL: a designated candidate on the session's agenda for a dwelling",
    responses=reponses.ok(Resultat, "Recorded; the ETag is the demand's new version"),
    openapi_extra=reponses.corps(Inscription),
)
def inscrire(
    session: str,
    qui: Appelant = Depends(appelant),
    i: c.Commande = Depends(corps(Inscription)),
    registre: Registre = Depends(dep.registre),
) -> Response:
    assert isinstance(i, Inscription)
    cmd = c.InscrireCAL(occurred_on=i.occurred_on, logement=i.logement, session=session)
    return _resultat(registre.executer(qui.organisation, qui.agent.identifiant, cmd, numero_unique=i.numero_unique))


@routeur.post(
    "/commissions/{session}/decisions", response_class=Response,
    summary="A CAL decision within the session (coded motifs; free text beside them is encrypted)",
    responses=reponses.ok(Resultat, "Recorded; the ETag is the demand's new version"),
    openapi_extra=reponses.corps(DecisionEnSeance),
)
def decider(
    session: str,
    qui: Appelant = Depends(appelant),
    d: c.Commande = Depends(corps(DecisionEnSeance)),
    registre: Registre = Depends(dep.registre),
) -> Response:
    assert isinstance(d, DecisionEnSeance)
    if d.session not in (None, session):
        raise ErreurHTTP(422, "session_incoherente", f"the body names session {d.session}, the path {session}")
    champs = msgspec.structs.asdict(d)
    numero = champs.pop("numero_unique")
    cmd = c.DeciderCAL(**{**champs, "session": session})
    return _resultat(registre.executer(qui.organisation, qui.agent.identifiant, cmd, numero_unique=numero))


@routeur.post(
    "/commissions/{session}/cloture", response_class=Response,
    summary="Closes the session: its minutes are final",
    responses=reponses.reponses_en_ligne(SessionOuverte, "The session, closed", reponses.ERREURS_MOTS),
    openapi_extra=reponses.corps(c.CloreSession),
)
def clore(
    session: str,
    qui: Appelant = Depends(appelant),
    commande: c.Commande = Depends(corps(c.CloreSession)),
    registre: Registre = Depends(dep.registre),
) -> Response:
    assert isinstance(commande, c.CloreSession)
    s = registre.clore_session(qui.organisation, qui.agent.identifiant, session, commande)
    return reponses.json(SessionOuverte(s.identifiant, s.date, s.close))


@routeur.get(
    "/commissions/{session}/proces-verbal", response_class=Response,
    summary="The minutes, regenerated from the log (as closed; a draft while open)",
    responses=reponses.reponses_en_ligne(ProcesVerbal, "The minutes", reponses.ERREURS_MOTS),
)
def lire_proces_verbal(
    session: str, qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)
) -> Response:
    return reponses.json(proces_verbal(registre, session, Lecteur(qui.organisation, qui.agent.identifiant)))


@routeur.get(
    "/commissions/{session}/proces-verbal.pdf", response_class=Response,
    summary="The minutes as a PDF, byte-identical whenever regenerated",
    responses={200: {"description": "The PDF", "content": {"application/pdf": {}}}, **reponses.ERREURS},
)
def lire_proces_verbal_pdf(
    session: str, qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)
) -> Response:
    pv = proces_verbal(registre, session, Lecteur(qui.organisation, qui.agent.identifiant))
    return Response(pdf_proces_verbal(pv), media_type="application/pdf")


@routeur.get(
    "/demandes/{numero_unique}/commissions", response_class=Response,
    summary="The CAL sessions that examined the demand: its rank among the candidates, the decision",
    responses=reponses.reponses_en_ligne(list[ExamenEnCAL], "The sessions, in order", reponses.ERREURS_MOTS),
)
def examens(
    numero_unique: str, qui: Appelant = Depends(appelant), registre: Registre = Depends(dep.registre)
) -> Response:
    return reponses.json(examens_de_la_demande(registre, numero_unique))


@routeur.get(
    "/bilan-du-flux", response_class=Response, tags=["flux"],
    summary="The bilan du flux of a year, per convention: vacancies oriented vs promised, attributions, baux",
    responses=reponses.reponses_en_ligne(ReponseFlux, "The bilan and the log position it stands for",
                                         reponses.ERREURS_MOTS),
)
def bilan_flux(
    annee: int = Query(..., ge=1, le=9999),
    source: str = Query("vue", pattern="^(vue|journal)$", description="vue: the read model; journal: the raw log"),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    b, position = lire_bilan_flux(registre, lecteurs, Periode.annee(annee), source)
    return reponses.json(ReponseFlux(source, position, b))
