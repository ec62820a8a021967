"""The observatory over HTTP (docs/statistics.md; CCH L.441-1): every indicator of a period, regenerated from the raw
log (as known at an instant if asked) or read from the live read model, and the check between the
two. Any authenticated organisation may read them, auditeurs included: they hold no personal data.

Query parameters are parsed here rather than by FastAPI, so a bad date or period is a
problem+json naming the parameter, like every other error of the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from adapters.exports import CSV, XLSX, en_csv, en_json, en_xlsx, noms_du_territoire
from adapters.registre import Registre
from api import dependances as dep
from api import reponses
from api.auth import Appelant, appelant
from api.problemes import TYPE_MEDIA, ErreurHTTP
from domain import bornes
from projections.indicateurs import Bilan, Periode
from projections.lecteurs import Lecteurs
from projections.modeles import STATISTIQUES
from projections.suivi import Suiveur
from projections.vue_statistiques import confronter, lire_bilan

routeur = APIRouter(tags=["statistiques"])

SOURCES = ("journal", "vue")
FORMATS = ("json", "csv", "xlsx")

_PROBLEMES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No or unknown bearer token", "content": {TYPE_MEDIA: {}}},
    422: {
        "description": "Missing or invalid period, date, instant, source or format; "
        "`details.parametre` names the parameter",
        "content": {TYPE_MEDIA: {}},
    },
}


def _invalide(parametre: str, message: str, regle: str = "parametre_invalide") -> ErreurHTTP:
    return ErreurHTTP(422, regle, f"{parametre}: {message}", parametre=parametre)


def _date(parametre: str, texte: str) -> date:
    try:
        jour = date.fromisoformat(texte)
    except ValueError:
        raise _invalide(parametre, f"{texte!r} is not a date, expected YYYY-MM-DD") from None
    return reponses.jour_borne(parametre, jour)


def periode_de(annee: str | None, du: str | None, au: str | None) -> Periode:
    """`annee`, or `du` and `au` (both included)."""
    if annee is not None:
        if du is not None or au is not None:
            raise _invalide("annee", "give either annee, or du and au, not both", "periode_invalide")
        if not (annee.isdigit() and bornes.DATE_MIN.year <= int(annee) <= bornes.DATE_MAX.year):
            raise _invalide(
                "annee", f"{annee!r} is not a year of {bornes.DATE_MIN.year}..{bornes.DATE_MAX.year}, expected e.g. 2026"
            )
        return Periode.annee(int(annee))
    if du is None and au is None:
        raise _invalide("annee", "a period is required: annee=YYYY, or du=YYYY-MM-DD&au=YYYY-MM-DD",
                        "periode_requise")
    if du is None:
        raise _invalide("du", "required with au (the period's first day)", "periode_requise")
    if au is None:
        raise _invalide("au", "required with du (the period's last day, included)", "periode_requise")
    debut, fin = _date("du", du), _date("au", au)
    if fin < debut:
        raise _invalide("au", f"the period ends on {fin} before it starts on {debut} (du)", "periode_invalide")
    return Periode(debut, fin)


def _instant(texte: str | None) -> datetime | None:
    if texte is None:
        return None
    try:
        t = datetime.fromisoformat(texte)
    except ValueError:
        raise _invalide(
            "connu_a", f"{texte!r} is not an instant, expected ISO 8601 such as 2026-11-23T12:00:00+00:00"
        ) from None
    t = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
    reponses.jour_borne("connu_a", t.date())
    return t


def nom_fichier(b: Bilan, extension: str = "csv") -> str:
    p = b.periode
    if p == Periode.annee(p.du.year):
        return f"indicateurs-{b.territoire}-{p.du.year}.{extension}"
    return f"indicateurs-{b.territoire}-{p.du}-{p.au}.{extension}"


_ANNEE = Query(None, description="a calendar year, e.g. 2026 (or du and au)")
_DU = Query(None, description="first day of the period, YYYY-MM-DD")
_AU = Query(None, description="last day of the period, included; stocks are taken on it")


@routeur.get(
    "/statistiques",
    summary="Every indicator of the observatory (docs/statistics.md) for a period, from the raw log or the live read model",
    description=(
        "Flows count events dated du..au; stocks (tension, pressure, délai anormalement long, "
        "recours pending) are taken on au, tension and pressure against the baux of the 12 months "
        "before au. `source=journal` (default) regenerates from the raw event log, as known at "
        "`connu_a` if given; `source=vue` reads the live read model, brought up to date first "
        "(as known now only). JSON is the Bilan (decimals as strings); CSV opens in a French "
        "spreadsheet (UTF-8 with BOM, `;`, decimal comma); XLSX keeps codes as text. Both have "
        "the header on the first row and each key's name beside it."
    ),
    response_class=Response,
    responses={
        200: {
            "description": "The Bilan: period, source, position, every figure with its target",
            "content": {"application/json": {"schema": {"type": "object"}}, CSV: {"schema": {"type": "string"}}},
        },
        **_PROBLEMES,
    },
)
def lire_statistiques(
    annee: str | None = _ANNEE,
    du: str | None = _DU,
    au: str | None = _AU,
    connu_a: str | None = Query(
        None, description="knowledge time: only what had been recorded by this instant (ISO 8601, "
        "UTC if no offset); source=journal only"
    ),
    source: str = Query("journal", description="journal (the raw log) or vue (the live read model)"),
    format_: str = Query("json", alias="format", description="json, csv or xlsx"),
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    lecteurs: Lecteurs = Depends(dep.lecteurs),
) -> Response:
    periode = periode_de(annee, du, au)
    if source not in SOURCES:
        raise _invalide("source", f"{source!r}: expected journal or vue")
    if format_ not in FORMATS:
        raise _invalide("format", f"{format_!r}: expected json, csv or xlsx")
    instant = _instant(connu_a)
    if instant is not None and source == "vue":
        raise _invalide(
            "connu_a", "the live read model answers as known now only: use source=journal", "connu_a_journal"
        )
    b = lire_bilan(registre, lecteurs, periode, source, instant)
    entetes = {"X-Ledger-Position": str(b.position)}
    if format_ == "csv":
        entetes["Content-Disposition"] = f'attachment; filename="{nom_fichier(b)}"'
        return Response(en_csv(b, noms_du_territoire(registre.territoire)), media_type=CSV, headers=entetes)
    if format_ == "xlsx":
        entetes["Content-Disposition"] = f'attachment; filename="{nom_fichier(b, "xlsx")}"'
        return Response(en_xlsx(b, noms_du_territoire(registre.territoire)), media_type=XLSX, headers=entetes)
    return Response(en_json(b), media_type="application/json", headers=entetes)


@routeur.get(
    "/statistiques/verification",
    summary="The check: every figure on which the live read model and the raw log disagree",
    description=(
        "Brings the read model up to date, regenerates the period from the raw log up to the very "
        "position the read model stands at, and lists every figure that differs or exists on one "
        "side only (`journal` and `vue` hold each side's figure, null when absent). An empty list: "
        "they agree to the last digit. X-Ledger-Position gives the position compared."
    ),
    response_class=Response,
    responses={
        200: {
            "description": "The differences, empty when none",
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
        },
        **_PROBLEMES,
    },
)
def verifier_statistiques(
    annee: str | None = _ANNEE,
    du: str | None = _DU,
    au: str | None = _AU,
    qui: Appelant = Depends(appelant),
    registre: Registre = Depends(dep.registre),
    suiveur: Suiveur = Depends(dep.lecteur_de(STATISTIQUES)),
) -> Response:
    periode = periode_de(annee, du, au)
    _, vue, ecarts = confronter(registre, periode, suiveur)
    return Response(
        msgspec.json.encode(ecarts), media_type="application/json",
        headers={"X-Ledger-Position": str(vue.position)},
    )
