"""Finding demands by name and birth date over HTTP, through the blind index
(`projections.repertoire.rechercher`: a keyed hash looked up, never a scan that decrypts), for
the organisations that may read personal data (`domain.permissions.donnees_personnelles`). The
name and birth date travel in the body, never in a URL."""

from __future__ import annotations

from datetime import date

import msgspec
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.garde import exiger_json
from api.problemes import ErreurHTTP
from domain import bornes, permissions
from projections.lecteurs import Lecteurs
from projections.lectures_personnelles import Lecteur, noter
from projections.repertoire import rechercher

routeur = APIRouter(tags=["demandes"])


class Recherche(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    nom: str  # family name, compared without accents, case or punctuation
    date_naissance: date


async def _recherche(request: Request) -> Recherche:
    brut = await request.body()
    if brut:
        exiger_json(request, "Recherche")
    try:
        r = msgspec.json.decode(brut, type=Recherche)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise ErreurHTTP(422, "payload_invalide", f"Recherche: {e}") from None
    if not r.nom.strip():
        raise ErreurHTTP(422, "payload_invalide", "Recherche: nom is empty")
    bornes.verifier(r)  # a name and a birth date within the ledger's limits (422 otherwise)
    return r


@routeur.post(
    "/recherche",
    summary="The demands a person belongs to, by family name and birth date (blind index)",
    description="For a guichet, bailleur, réservataire or the Etat (403 `donnees_personnelles_reservees` "
    "otherwise). Answers the numéros uniques, in order, a page at a time (`limite`, `curseur`).",
    response_class=Response,
    responses=reponses.liste("Numéros uniques"),
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": reponses.schema_en_ligne(Recherche)}}}},
)
def chercher(
    request: Request,
    limite: int | None = reponses.LIMITE,
    curseur: str | None = reponses.CURSEUR,
    qui: Appelant = Depends(appelant),
    r: Recherche = Depends(_recherche),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
    registre: Registre = Depends(dep.registre),
) -> Response:
    permissions.donnees_personnelles(qui.organisation)
    page = reponses.paginer(lambda: rechercher(lecteurs, r.nom, r.date_naissance, limite, curseur))
    # A match tells who the demand's applicant is: a read of its personal data.
    noter(registre, Lecteur(qui.organisation, qui.agent.identifiant), page.lignes, "recherche")
    return reponses.page(page, request)
