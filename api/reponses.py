"""What every router shares to encode an answer and document it: the JSON response from a msgspec
struct, the problem+json errors an endpoint may answer, and OpenAPI references to the components
`api/app.py` generates from the msgspec structs (`TYPES_SCHEMAS`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator

from api.problemes import TYPE_MEDIA, ErreurHTTP
from domain import bornes
from projections.listes import LIMITE_MAX, CurseurInvalide, Page

ERREURS = {
    s: {"description": d, "content": {TYPE_MEDIA: {"schema": {"$ref": "#/components/schemas/Probleme"}}}}
    for s, d in {
        401: "No or unknown bearer token",
        403: "The organisation may not record this (docs/rules.md, Who acts); `regle` names the rule",
        404: "Unknown demand or dwelling",
        409: "Stale If-Match version, or a concurrent write to the same demand",
        422: "Invalid payload, or a broken domain rule; `regle` names it",
    }.items()
}


# The same errors, described by words only (for `reponses_en_ligne`).
ERREURS_MOTS = {
    401: "No or unknown bearer token",
    403: "The organisation may not record this; `regle` names the rule",
    404: "Unknown demand, dwelling or session",
    409: "A concurrent write",
    422: "Invalid payload, or a broken domain rule; `regle` names it",
}


def json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """`obj` (a msgspec struct, or builtins) encoded by msgspec: dates, decimals and enums as
    the structs declare them."""
    return Response(msgspec.json.encode(obj), status_code=status, media_type="application/json", headers=headers)


def ref(t: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{t.__name__}"}


def corps(t: type) -> dict[str, Any]:
    """`openapi_extra` of an endpoint whose body is the msgspec struct `t` (decoded by hand)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref(t)}}}}


def ok(t: type, description: str, code: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses` of an endpoint answering the struct `t`, with the usual errors."""
    return {code: {"description": description, "content": {"application/json": {"schema": ref(t)}}}, **ERREURS}


def liste(description: str) -> dict[int | str, dict[str, Any]]:
    """`responses` of an endpoint answering a list of rows (objects), with the usual errors."""
    return {
        200: {
            "description": description,
            "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
        },
        **ERREURS,
    }


def schema_en_ligne(t: type) -> dict[str, Any]:
    """The JSON schema of `t` with every `$ref` replaced by its definition: for routers whose
    structs are not among the application's components."""
    brut = msgspec.json.schema(t)
    defs = brut.pop("$defs", {})

    def inline(x: Any) -> Any:
        if isinstance(x, dict):
            r = x.get("$ref")
            if isinstance(r, str) and r.startswith("#/$defs/"):
                return inline(defs[r.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in x.items()}
        if isinstance(x, list):
            return [inline(v) for v in x]
        return x

    return inline(brut)


def reponses_en_ligne(t: type, description: str, erreurs: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses` with `t`'s schema inline and problem+json errors described only by words."""
    return {
        200: {"description": description, "content": {"application/json": {"schema": schema_en_ligne(t)}}},
        **{s: {"description": d, "content": {TYPE_MEDIA: {}}} for s, d in erreurs.items()},
    }


# -- lists as pages ---------------------------------------------------------------------------------

LIMITE = Query(None, ge=1, le=LIMITE_MAX, description=f"rows per page (default 100, at most {LIMITE_MAX})")
CURSEUR = Query(None, description="the cursor of the next page, from the previous page's Link or X-Curseur-Suivant")
T = TypeVar("T")


def paginer(lire: Callable[[], T]) -> T:
    """The query's page, a cursor it did not hand out being a 422 naming it."""
    try:
        return lire()
    except CurseurInvalide as e:
        raise ErreurHTTP(422, "curseur_invalide", f"curseur: {e}", parametre="curseur") from None


def page(p: Page, request: Request, headers: dict[str, str] | None = None) -> Response:
    """A page of a list: the rows as a JSON array (as before pagination), the next page's link
    in `Link: <…>; rel="next"` (RFC 8288) and its cursor in `X-Curseur-Suivant`."""
    entetes = dict(headers or {})
    if p.suivant is not None:
        suivante = request.url.include_query_params(curseur=p.suivant)
        entetes["Link"] = f'<{suivante.path}?{suivante.query}>; rel="next"'
        entetes["X-Curseur-Suivant"] = p.suivant
    return json(p.lignes, headers=entetes)


# -- dates in query parameters ------------------------------------------------------------------------


def _dans_les_bornes(d: date) -> None:
    if not bornes.DATE_MIN <= d <= bornes.DATE_MAX:
        raise ValueError(
            f"{d.isoformat()} is outside {bornes.DATE_MIN.isoformat()}..{bornes.DATE_MAX.isoformat()}"
        )


def _jour(d: date) -> date:
    _dans_les_bornes(d)
    return d


def _instant(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t.isoformat()} has no UTC offset: write e.g. {t.isoformat()}+00:00 or {t.isoformat()}Z")
    _dans_les_bornes(t.date())
    return t


# A day and an instant as query parameters: within the ledger's dates (docs/rules.md, "Input
# limits"), an instant with its offset; otherwise 422 `parametre_invalide` naming the parameter.
Jour = Annotated[date, AfterValidator(_jour)]
Instant = Annotated[datetime, AfterValidator(_instant)]


def jour_borne(nom: str, d: date) -> date:
    """`d`, or the 422 naming the parameter `nom` (for a parameter a route parses itself)."""
    try:
        return _jour(d)
    except ValueError as e:
        raise ErreurHTTP(422, "parametre_invalide", f"{nom}: {e}", parametre=nom) from None


# -- the errors every operation may answer, in the OpenAPI document ----------------------------------

_PROBLEME = {TYPE_MEDIA: {"schema": {"$ref": "#/components/schemas/Probleme"}}}
_ERREURS_COMMUNES = {
    "401": "No, unknown or malformed credential",
    "404": "Unknown demand, dwelling, session or path",
    "413": "Request body larger than the limit (LEDGER_TAILLE_MAX_REQUETE)",
    "415": "Request body not of the media type the operation takes",
    "422": "Invalid parameter or payload, or a broken domain rule; `regle` names it",
    "429": "Too many failed authentications from this source or on this demand; see Retry-After",
    "503": "Database unreachable, or a read model stopped on an event it cannot apply (`modele_en_panne`)",
}


def completer_erreurs(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation's document lists the problem+json errors it may answer: FastAPI's own 422
    (which the ledger answers as problem+json), 401 and 429 where a credential is read, 404 where
    the path names something, 413 and 415 where a body is taken, 503 everywhere."""
    for operations in document.get("paths", {}).values():
        for methode, op in operations.items():
            if not isinstance(op, dict) or methode not in ("get", "post", "put", "patch", "delete"):
                continue
            reponses = op.setdefault("responses", {})
            parametres = op.get("parameters", [])
            statuts = ["422", "503"]
            if op.get("security") or any(p.get("in") == "header" and p.get("name", "").lower() == "authorization"
                                         for p in parametres):
                statuts += ["401", "429"]
            if any(p.get("in") == "path" for p in parametres):
                statuts.append("404")
            if "requestBody" in op:
                statuts += ["413", "415"]
            for statut, r in list(reponses.items()):
                if str(statut) in _ERREURS_COMMUNES and str(statut) not in statuts and not r.get("content"):
                    r["content"] = _PROBLEME  # an error an operation declares by words only
            for statut in statuts:
                existante = reponses.get(statut) or reponses.get(int(statut))  # type: ignore[call-overload]
                if existante is None or _schema_fastapi(existante):
                    reponses.pop(int(statut), None)  # type: ignore[call-overload]
                    reponses[statut] = {"description": _ERREURS_COMMUNES[statut], "content": _PROBLEME}
    document.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    document.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    return document


def _schema_fastapi(reponse: dict[str, Any]) -> bool:
    """FastAPI's default 422 (HTTPValidationError as application/json): not what is answered."""
    return "application/json" in reponse.get("content", {}) and "HTTPValidationError" in str(reponse)
