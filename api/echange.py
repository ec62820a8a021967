"""Exchange with the national system and the partners' systems: national files in
(`POST /imports/sne`) and out (`GET /demandes/{n}/sne`), and the partner event feed
(`GET /flux`, long polling). Thin faces over adapters/sne and projections/flux."""

from __future__ import annotations

import tempfile

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from adapters.background import BackgroundWork
from adapters.registre import Registre
from adapters.sne import exportation
from adapters.sne.correspondance import NonExportable
from adapters.sne.ecriture import document
from adapters.sne.importation import RapportImport, importer
from adapters.veilleur import Veilleur
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.garde import exiger_type
from api.problemes import TYPE_MEDIA, ErreurHTTP
from domain.permissions import lecture_personnelle
from projections.flux import LIMITE_MAX, PageFlux, page
from projections.lectures_personnelles import Lecteur, noter

routeur = APIRouter()
XML = "application/xml"
POSITION_MAX = 2**53  # a log position: far beyond any log, within every database's integers
ATTENTE_MAX = 60.0
_PROBLEME = {"content": {TYPE_MEDIA: {"schema": {"$ref": "#/components/schemas/Probleme"}}}}


@routeur.post(
    "/imports/sne",
    summary="Import a national exchange file (SNE interfaceNuu) through the domain",
    description=(
        "The body is the XML file (`Content-Type: application/xml`). It is read as a stream and "
        "checked whole: with any error nothing is appended and the 422 problem lists every error "
        "(line, element, why) in `details.erreurs`, unless `partiel=true`, which imports the valid "
        "demands and reports the others. Re-importing a file appends nothing; a newer file about a "
        "known demand appends what differs. The caller's organisation (a guichet) is recorded on "
        "the events."
    ),
    tags=["echange"],
    response_class=Response,
    responses={
        200: {"description": "Imported: the report", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RapportImport"}}}},
        422: {"description": "The file was refused: every error listed", **_PROBLEME},
    },
    openapi_extra={"requestBody": {"required": True, "content": {XML: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def importer_sne(
    request: Request,
    partiel: bool = Query(False, description="import the valid demands and report the others"),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    fond: BackgroundWork | None = Depends(dep.fond),
) -> Response:
    if request.headers.get("content-length") not in (None, "0"):
        exiger_type(request, (XML, "text/xml", "application/octet-stream"), "an interfaceNuu file")
    # Spooled to disk past 8 MB: a national file of any size is imported in bounded memory.
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as tampon:
        taille = 0
        async for morceau in request.stream():
            taille += len(morceau)
            tampon.write(morceau)
        if not taille:
            raise ErreurHTTP(422, "fichier_requis", "the body must be an interfaceNuu XML file")
        tampon.seek(0)
        rapport: RapportImport = await run_in_threadpool(
            importer, registre, qui.organisation, qui.agent.identifiant, tampon, partiel=partiel  # type: ignore[arg-type]
        )
    if rapport.evenements and fond is not None:
        fond.wake()
    if not rapport.importe:
        raise ErreurHTTP(
            422,
            "fichier_refuse",
            f"the file was refused: {rapport.erreurs_total} error(s); nothing appended",
            erreurs=[msgspec.to_builtins(e) for e in rapport.erreurs],
            erreurs_total=rapport.erreurs_total,
            demandes=rapport.demandes,
        )
    return Response(msgspec.json.encode(rapport), media_type="application/json")


@routeur.get(
    "/demandes/{numero_unique}/sne",
    summary="A demand in the national exchange format (SNE interfaceNuu), as of a date",
    tags=["echange"],
    response_class=Response,
    responses={200: {"description": "An interfaceNuu file with this one demand", "content": {XML: {}}}},
)
def exporter_sne(
    numero_unique: str,
    au: reponses.Jour | None = Query(None, description="the date the file describes (default today)"),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
) -> Response:
    if not lecture_personnelle(qui.organisation):
        raise ErreurHTTP(
            403,
            "lecture_personnelle",
            f"{qui.organisation.code} may not read personal data, which the national format carries",
        )
    try:
        d = exportation.demande(registre, numero_unique, au)
    except NonExportable as e:
        raise ErreurHTTP(410, "donnees_effacees", str(e)) from None
    noter(registre, Lecteur(qui.organisation, qui.agent.identifiant), [numero_unique], "sne")
    return Response(document(exportation.entete(au), [d]), media_type=XML)


@routeur.get(
    "/flux",
    summary="The partner event feed: the log in global order, as the caller may see it",
    description=(
        "Events after position `apres`, at most `limite`, in the log's global order. Keep the "
        "page's `suivant` and ask `apres=suivant` next: every event is seen once, in order, across "
        "restarts. With `attente=N` (seconds, at most 60) and nothing after `apres`, the answer "
        "waits until something is appended (long polling), so a new event is seen within a second. "
        "Personal data only for an organisation that may read them; otherwise "
        "`personnel_masque: true`."
    ),
    tags=["echange"],
    response_class=Response,
    responses={200: {"description": "A page of events", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PageFlux"}}}}},
)
async def flux(
    apres: int = Query(0, ge=0, le=POSITION_MAX, description="the position of the last event already handled"),
    limite: int = Query(100, ge=1, le=LIMITE_MAX),
    attente: float = Query(0, ge=0, le=ATTENTE_MAX, description="seconds to wait for a new event"),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    veilleur: Veilleur = Depends(dep.veilleur),
) -> Response:
    p: PageFlux = await run_in_threadpool(page, registre, qui.organisation, apres, limite, qui.agent.identifiant)
    if not p.evenements and attente > 0 and await veilleur.attendre(apres, attente):
        p = await run_in_threadpool(page, registre, qui.organisation, apres, limite, qui.agent.identifiant)
    return Response(msgspec.json.encode(p), media_type="application/json")
