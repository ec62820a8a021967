"""The observatory's page: the indicators of a period beside their targets (met or not), the
bilan's charts inline, and the downloads as CSV and XLSX — the same `lire_bilan` as GET
/statistiques, the same charts as `ledger bilan` (adapters/graphiques.py) and the same files
(adapters/exports.py). By default the live read model (fast); `source=journal` regenerates from
the raw log."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from adapters.exports import CSV, XLSX, en_csv, en_xlsx, noms_du_territoire
from adapters.graphiques import dessiner
from adapters.registre import Registre
from api import dependances as dep
from api.pages.commun import ENTETES, Connecte, connecte, rendre
from api.problemes import ErreurHTTP
from api.statistiques import nom_fichier, periode_de
from domain import horloge
from projections.indicateurs import INDICATEURS, Bilan
from projections.lecteurs import Lecteurs
from projections.vue_statistiques import lire_bilan

routeur = APIRouter(include_in_schema=False)
DIMENSIONS_CIBLES = ("bailleur", "reservataire")


def _bilan(registre: Registre, lecteurs: Lecteurs, annee: str | None, du: str | None, au: str | None,
           source: str | None) -> Bilan:
    if not (annee or du or au):
        annee = str(horloge.aujourdhui().year - 1)
    periode = periode_de(annee or None, du or None, au or None)
    src = source or "vue"
    if src not in ("vue", "journal"):
        raise ErreurHTTP(422, "parametre_invalide", f"source: {src!r}, expected vue or journal", parametre="source")
    return lire_bilan(registre, lecteurs, periode, src)


@routeur.get("/espace/observatoire")
def page_observatoire(
    request: Request,
    annee: str | None = None,
    du: str | None = None,
    au: str | None = None,
    source: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    b = _bilan(registre, lecteurs, annee, du, au, source)
    noms = noms_du_territoire(registre.territoire)
    territoire = [f for f in b.figures if f.dimension == "territoire"]
    ordre = {nom: i for i, (nom, _, _) in enumerate(INDICATEURS)}
    territoire.sort(key=lambda f: (ordre.get(f.indicateur, 99), f.cle))
    cibles = [f for f in b.figures if f.dimension in DIMENSIONS_CIBLES and f.cible is not None]
    graphiques = [
        (nom, titre, "data:image/svg+xml;base64," + base64.b64encode(svg).decode())
        for nom, titre, svg in dessiner(b, registre.territoire, "svg")
    ]
    requete = request.url.query
    return rendre(request, "observatoire.html", {
        "bilan": b, "territoire": territoire, "cibles": cibles, "graphiques": graphiques, "noms": noms,
        "libelles": {nom: libelle for nom, _, libelle in INDICATEURS},
        "requete": f"?{requete}" if requete else "",
        "filtres": {"annee": annee or ("" if du or au else str(b.periode.du.year)), "du": du or "", "au": au or "",
                    "source": source or "vue"},
    }, qui)


@routeur.get("/espace/observatoire/indicateurs.{extension}")
def telecharger(
    extension: str,
    annee: str | None = None,
    du: str | None = None,
    au: str | None = None,
    source: str | None = None,
    qui: Connecte = Depends(connecte),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    if extension not in ("csv", "xlsx"):
        raise ErreurHTTP(404, "chemin_inconnu", f"no download as {extension!r}: csv or xlsx")
    b = _bilan(registre, lecteurs, annee, du, au, source)
    noms = noms_du_territoire(registre.territoire)
    corps, media = (en_csv(b, noms), CSV) if extension == "csv" else (en_xlsx(b, noms), XLSX)
    return Response(corps, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{nom_fichier(b, extension)}"',
        "Cache-Control": ENTETES["Cache-Control"],
    })
