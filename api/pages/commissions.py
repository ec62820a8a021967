"""The CAL's sessions in the workspace: the list of a bailleur's sessions, opening one (with its
members present) and closing it, and its minutes (procès-verbal) as a printable page and as a PDF.

The same services as the JSON endpoints of `api/commissions.py`: a session is opened and closed by
`Registre.ouvrir_session` / `Registre.clore_session` with the commands `OuvrirSession` /
`CloreSession` the API decodes (here converted from the form's fields), so a page refuses what the
API refuses, with the same rule; the minutes are `projections.commissions.proces_verbal`,
regenerated from the log, and the PDF is `adapters.proces_verbal.pdf_proces_verbal` of it: the
same bytes as GET /commissions/{s}/proces-verbal.pdf, at any later date. Inscriptions on the
agenda and decisions within the session are commands on a demand: their forms (the dwelling's
CAL workspace, `api/pages/logements.py`) post them to the demand's page twin of POST
/demandes/{n}/inscriptions-cal and /decisions-cal, with the session's identifier."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.proces_verbal import pdf_proces_verbal
from adapters.registre import Registre
from api import dependances as dep
from api.pages.commun import (
    ENTETES,
    Connecte,
    commande_de,
    connecte,
    date_de,
    formulaire,
    rediriger,
    rendre,
)
from domain import commandes as c
from domain.codes import FormeSession, QualiteMembre, TypeOrganisation
from domain.territoire import LogementSocial, Territoire
from projections.commissions import LIBELLES_QUALITE, proces_verbal, sessions

routeur = APIRouter(include_in_schema=False)

LIBELLES_FORME = {
    FormeSession.presentiel: "en présentiel",
    FormeSession.dematerialisee: "dématérialisée (L.441-2, avec l'accord du maire)",
}
MEMBRES = 6  # rows of the opening form; an empty row is no member
PAR_PAGE = 50


def membres_proposes(qui: Connecte, territoire: Territoire, spec: LogementSocial) -> list[tuple[str, str, str]]:
    """The opening form's rows (organisation, qualité, name): the agent's own bailleur first, the
    dwelling's réservataire (consultative) if it has one, then empty rows to fill in."""
    lignes = [(qui.organisation.code, QualiteMembre.bailleur.value, qui.agent.nom)]
    if spec.reservataire and spec.reservataire != qui.organisation.code:
        lignes.append((spec.reservataire, QualiteMembre.reservataire.value, ""))
    return lignes + [("", "", "")] * (MEMBRES - len(lignes))


def _retour(champs: dict[str, str]) -> str | None:
    retour = champs.get("_retour") or ""
    return retour if retour.startswith("/espace/") and not retour.startswith("//") else None


@routeur.get("/espace/commissions")
def page_commissions(
    request: Request,
    bailleur: str | None = None,
    du: str | None = None,
    au: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
) -> Response:
    """The sessions opened (what GET /commissions lists), the latest first, with their minutes'
    totals; a bailleur's agent sees its own by default."""
    if bailleur is None and qui.est("bailleur"):
        bailleur = qui.organisation.code
    debut, fin = date_de(du, "du"), date_de(au, "au")
    ids = sessions(registre, bailleur or None, debut, fin)
    pvs = [proces_verbal(registre, x) for x in reversed(ids[-PAR_PAGE:])]
    t = registre.territoire
    return rendre(request, "commissions.html", {
        "pvs": pvs, "total": len(ids), "par_page": PAR_PAGE,
        "filtres": {"bailleur": bailleur or "", "du": du or "", "au": au or ""},
        "bailleurs": sorted((o.code, o.nom) for o in t.organisations if o.est(TypeOrganisation.bailleur)),
        "formes": {k.value: v for k, v in LIBELLES_FORME.items()},
    }, qui)


@routeur.post("/espace/commissions")
async def ouvrir(
    request: Request,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
) -> Response:
    """POST /commissions from a form: the date, the form and the members present (one row each:
    organisation, qualité, name); the identifier is minted. Back to the workspace it came from,
    working in the new session."""
    champs = await formulaire(request, qui)
    membres: list[dict[str, Any]] = []
    for i in range(1, MEMBRES + 1):
        ligne = {k: champs.get(f"membre-{i}-{k}", "").strip() for k in ("organisation", "qualite", "nom")}
        if any(ligne.values()):
            membres.append({k: v for k, v in ligne.items() if v})
    donnees = {k: v for k, v in champs.items() if not k.startswith("membre-")} | {"membres": membres}
    cmd = commande_de(c.OuvrirSession, donnees)
    assert isinstance(cmd, c.OuvrirSession)
    s = registre.ouvrir_session(qui.organisation, qui.agent.identifiant, cmd)
    if fond is not None:
        fond.wake()
    retour = _retour(champs)
    if retour is None:
        return rediriger(f"/espace/commissions/{s.identifiant}/proces-verbal?ok=seance")
    separateur = "&" if "?" in retour else "?"
    return rediriger(f"{retour}{separateur}seance={s.identifiant}&ok=seance")


@routeur.post("/espace/commissions/{session}/cloture")
async def clore(
    request: Request,
    session: str,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
) -> Response:
    """POST /commissions/{s}/cloture from a form: the minutes are final; on to them."""
    champs = await formulaire(request, qui)
    cmd = commande_de(c.CloreSession, champs)
    assert isinstance(cmd, c.CloreSession)
    registre.clore_session(qui.organisation, qui.agent.identifiant, session, cmd)
    if fond is not None:
        fond.wake()
    return rediriger(f"/espace/commissions/{session}/proces-verbal?ok=cloture")


@routeur.get("/espace/commissions/{session}/proces-verbal")
def page_proces_verbal(
    request: Request,
    session: str,
    ok: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
) -> Response:
    """The minutes as GET /commissions/{s}/proces-verbal answers them, laid out to be printed."""
    pv = proces_verbal(registre, session)
    return rendre(request, "proces_verbal.html", {
        "pv": pv,
        "ok": ok if ok in ("seance", "cloture") else None,
        "forme": LIBELLES_FORME[FormeSession(pv.forme)],
        "qualites": {k.value: v for k, v in LIBELLES_QUALITE.items()},
    }, qui)


@routeur.get("/espace/commissions/{session}/proces-verbal.pdf")
def pdf(session: str, qui: Connecte = Depends(connecte), registre: Registre = Depends(dep.registre)) -> Response:
    """The same bytes as GET /commissions/{s}/proces-verbal.pdf, as a download."""
    nom = re.sub(r"[^A-Za-z0-9._-]", "_", session)
    return Response(
        pdf_proces_verbal(proces_verbal(registre, session)),
        media_type="application/pdf",
        headers={**ENTETES, "Content-Disposition": f'attachment; filename="proces-verbal-{nom}.pdf"'},
    )
