"""The demandeur's information (DOMAIN.md §7, R.441-2-17) over HTTP: their points and rank, the
waiting time of similar demands last year, their CAL decisions and motifs, the consequences of a
refusal, and their history.

Demandeurs hold no agent token. Product rule: each demand has an access code, an HMAC of its
numéro unique under a server secret, that a guichet or bailleur of the territory obtains with
`GET /demandes/{numero}/code-demandeur` and hands to the applicant; the applicant then reads
`GET /demandeur/{numero}` with `Authorization: Bearer <code>`. The code opens that demand's
page and nothing else; a wrong code is a 401 that never tells whether the demand exists.

The waiting time is read from the live statistics read model (`projections.vue_statistiques`):
the previous calendar year's baux, one index range, aggregated per (typology, commune) once per
year and read-model position, and kept in memory until the log moves. The arithmetic is the
observatory's (`indicateurs.attente`), so the figure is the `attente_moyenne` of dimension
`typologie_commune` of that year, to the last digit.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.database import ConfigurationError, Stockage
from adapters.registre import Registre
from api.auth import Appelant, appelant
from api.lecteurs import lecteur
from api.problemes import TYPE_MEDIA, ErreurHTTP
from domain import calendrier, horloge, permissions
from domain.codes import DecisionRecours, QualificationRefus, TypeDecisionCAL
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from projections.cotation import rang
from projections.explication import expliquer
from projections.historique import EntreeHistorique, historique
from projections.indicateurs import Bail, attente
from projections.suivi import suivi
from projections.vue_statistiques import GENRES, NOM, tables_statistiques

routeur = APIRouter(tags=["demandeur"])

VARIABLE_SECRET = "LEDGER_SECRET_DEMANDEUR"
VARIABLE_DOSSIER = "LEDGER_DATA_DIR"
FICHIER_SECRET = "secret-demandeur"
LONGUEUR_MINIMALE_SECRET = 32  # characters of LEDGER_SECRET_DEMANDEUR
OCTETS_CODE = 15  # 120 bits: 24 base32 characters
CONTEXTE_CODE = b"demand-ledger:code-demandeur:v1:"
JOURS_PAR_MOIS = Decimal("365.25") / 12
PAS_DE_CACHE = {"Cache-Control": "no-store"}

# -- the access code -----------------------------------------------------------------------------


def dossier_donnees(stockage: Stockage) -> Path:
    """Where the ledger keeps its files: LEDGER_DATA_DIR, else the SQLite file's folder (./var
    by default), else ./var."""
    if os.environ.get(VARIABLE_DOSSIER):
        return Path(os.environ[VARIABLE_DOSSIER])
    if stockage.sqlite_path is not None:
        return stockage.sqlite_path.parent
    return Path("var")


def charger_secret(stockage: Stockage) -> bytes:
    """The server secret the codes derive from: LEDGER_SECRET_DEMANDEUR if set, else the file
    `secret-demandeur` of the data directory, generated on first use (mode 0600) and kept.
    Changing it invalidates every code handed out."""
    donne = os.environ.get(VARIABLE_SECRET)
    if donne:
        if len(donne) < LONGUEUR_MINIMALE_SECRET:
            raise ConfigurationError(
                f"{VARIABLE_SECRET} must be at least {LONGUEUR_MINIMALE_SECRET} characters"
            )
        return donne.encode()
    dossier = dossier_donnees(stockage)
    chemin = dossier / FICHIER_SECRET
    if not chemin.exists():
        dossier.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked in place: a concurrent first use reads either nothing
        # (and links its own, which fails) or the whole secret, never half of it.
        fd, provisoire = tempfile.mkstemp(dir=dossier, prefix=f".{FICHIER_SECRET}.")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            os.chmod(provisoire, 0o600)
            with contextlib.suppress(FileExistsError):  # another process got there first:
                os.link(provisoire, chemin)  # its secret is the one
        finally:
            os.unlink(provisoire)
    secret = chemin.read_text().strip()
    if len(secret) < LONGUEUR_MINIMALE_SECRET:
        raise ConfigurationError(f"{chemin}: the demandeur secret is empty or too short")
    return secret.encode()


def code_demandeur(secret: bytes, numero_unique: str) -> str:
    """HMAC-SHA256 of the numéro unique, 120 bits in base32, in groups of four to read aloud:
    e.g. `K7QM-2XZA-…` (24 characters)."""
    mac = hmac.new(secret, CONTEXTE_CODE + numero_unique.encode(), hashlib.sha256).digest()
    brut = base64.b32encode(mac[:OCTETS_CODE]).decode()
    return "-".join(brut[i : i + 4] for i in range(0, len(brut), 4))


def _normaliser(code: str) -> bytes:
    return code.replace("-", "").replace(" ", "").upper().encode()


def code_valable(secret: bytes, numero_unique: str, code: str) -> bool:
    """Constant-time: as long for any numéro, existing or not, and any wrong code."""
    return hmac.compare_digest(_normaliser(code_demandeur(secret, numero_unique)), _normaliser(code))


# -- what the application keeps ------------------------------------------------------------------


@dataclass
class _Etat:
    secret: bytes
    verrou: threading.Lock = field(default_factory=threading.Lock)
    # (year, read-model position) -> {(typology, commune): (baux, mean, median)}
    cle_attentes: tuple[int, int] | None = None
    attentes: dict[tuple[str, str], tuple[int, Decimal | None, Decimal | None]] = field(default_factory=dict)


_verrou_etat = threading.Lock()


def _etat(app: FastAPI) -> _Etat:
    e = getattr(app.state, "demandeur", None)
    if e is None:
        with _verrou_etat:
            e = getattr(app.state, "demandeur", None)
            if e is None:
                e = _Etat(charger_secret(app.state.registre.stockage))
                app.state.demandeur = e
    return e


# -- authentication ------------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CodeDemandeur",
    description="The demandeur's access code for this demand (from GET /demandes/{numero}/code-demandeur)",
)


def demandeur(
    numero_unique: str,
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> str:
    """The numéro unique the code opens; 401 otherwise, the same whether the demand exists."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ErreurHTTP(401, "code_demandeur_requis",
                         "an Authorization: Bearer <code demandeur> header is required")
    if not code_valable(_etat(request.app).secret, numero_unique, credentials.credentials):
        raise ErreurHTTP(401, "code_demandeur_invalide",
                         "this access code does not open this demand")
    return numero_unique


# -- what a demandeur reads ----------------------------------------------------------------------


class Critere(msgspec.Struct, frozen=True):
    code: str
    libelle: str
    points: int
    detail: str


class Cotation(msgspec.Struct, frozen=True):
    au: date
    points: int | None  # None: no grid in force, or not scored
    version_grille: str | None
    criteres: list[Critere]
    typologie: str | None  # first-choice typology, the rank's second ranking
    rang: int | None = None  # None for a radiated demand: out of every ranking
    sur: int | None = None
    rang_typologie: int | None = None
    sur_typologie: int | None = None
    message: str = ""


class Attente(msgspec.Struct, frozen=True):
    """Waiting time (bail − dépôt) of the baux signed in `annee` for the demand's first-choice
    typology in its first-choice commune."""

    annee: int
    typologie: str | None
    commune: str | None
    commune_nom: str | None
    baux: int
    moyenne_jours: Decimal | None
    mediane_jours: Decimal | None
    moyenne_mois: Decimal | None
    mediane_mois: Decimal | None
    message: str


class DecisionCAL(msgspec.Struct, frozen=True):
    evenement: int
    occurred_on: date
    logement: str
    commune: str | None
    typologie: str | None
    bailleur: str
    decision: TypeDecisionCAL
    libelle: str
    rang: int | None
    motif: str | None
    sous_motif_irrecevabilite: str | None
    piece_manquante: str | None
    delai_jours: int | None


class Recours(msgspec.Struct, frozen=True):
    evenement: int
    depose_le: date
    statut: str  # en_attente | annulee | maintenue
    decide_le: date | None = None
    motivation: str | None = None


class Decote(msgspec.Struct, frozen=True):
    evenement: int
    code: str
    libelle: str
    points: int | None  # from the grid in force on the décote's date
    appliquee_le: date
    notifiee_le: date
    expire_le: date  # first day it no longer counts
    statut: str  # en_vigueur | expiree | annulee
    organisation: str
    refus: int | None
    recours_possible_jusqua: date
    recours_encore_possible: bool
    recours: Recours | None
    message: str


class Refus(msgspec.Struct, frozen=True):
    evenement: int
    occurred_on: date
    logement: str
    commune: str | None
    stade: str
    motif: str
    qualification: QualificationRefus
    decotes: list[int]  # the décotes applied for this refusal (see `decotes`)
    consequence: str


class ReponseDemandeur(msgspec.Struct, frozen=True):
    numero_unique: str
    au: date
    active: bool
    filed_on: date
    anniversaire: date
    radiation: str | None
    radiee_le: date | None
    cotation: Cotation
    attente: Attente
    decisions_cal: list[DecisionCAL]
    refus: list[Refus]
    decotes: list[Decote]
    historique: list[EntreeHistorique]


class CodeDemandeur(msgspec.Struct, frozen=True):
    numero_unique: str
    code: str
    usage: str


LIBELLES_DECISION = {
    TypeDecisionCAL.attribution: "attribution",
    TypeDecisionCAL.attribution_par_classement: "attribution par classement",
    TypeDecisionCAL.attribution_sous_condition: "attribution sous condition suspensive",
    TypeDecisionCAL.non_attribution: "non-attribution",
    TypeDecisionCAL.irrecevabilite: "irrecevabilité",
}
LIBELLES_DECOTE = {
    "decote_refus": "refus d'une attribution adaptée (motif non recevable)",
    "decote_pieces": "production de pièces incohérentes",
}


def _jours_en_mois(j: Decimal | None) -> Decimal | None:
    return None if j is None else (j / JOURS_PAR_MOIS).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _fr(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _nombre(x: Decimal) -> str:
    return str(x).replace(".", ",")


# -- waiting time from the statistics read model ----------------------------------------------------

_DECODEUR_BAIL = msgspec.json.Decoder(Bail)


@contextmanager
def _instantane(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One snapshot: the baux read and the position they stand for belong together."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn
        else:
            conn.exec_driver_sql("BEGIN")
            yield conn


def _position(conn: sa.Connection) -> int:
    p = conn.execute(sa.select(suivi.c.position).where(suivi.c.projection == NOM)).scalar_one_or_none()
    return int(p or 0)


def attentes_de_l_annee(
    app: FastAPI, annee: int
) -> dict[tuple[str, str], tuple[int, Decimal | None, Decimal | None]]:
    """(count, mean, median) in days per (typology, commune) of the baux signed in `annee`, as
    the read model stands; computed again only when the read model has moved."""
    etat = _etat(app)
    engine: sa.Engine = app.state.registre.lecture
    with engine.connect() as conn:
        cle = (annee, _position(conn))
    with etat.verrou:
        if etat.cle_attentes == cle:
            return etat.attentes
    t = tables_statistiques("")[0]
    with _instantane(engine) as conn:
        position = _position(conn)
        lignes = conn.execute(
            sa.select(t.c.fait)
            .where(
                t.c.genre == GENRES[Bail],
                t.c.retracte.is_(False),
                t.c.jour >= date(annee, 1, 1),
                t.c.jour <= date(annee, 12, 31),
            )
            .order_by(t.c.ordre)
        ).scalars().all()
    groupes: dict[tuple[str, str], list[Bail]] = defaultdict(list)
    for brut in lignes:
        b = _DECODEUR_BAIL.decode(brut)
        groupes[(b.typologie, b.commune)].append(b)
    attentes = {k: attente(baux) for k, baux in groupes.items()}
    with etat.verrou:
        etat.cle_attentes, etat.attentes = (annee, position), attentes
    return attentes


def _attente(app: FastAPI, registre: Registre, typologie: str | None, commune: str | None, aujourdhui: date) -> Attente:
    annee = aujourdhui.year - 1
    nom = None
    if commune is not None:
        nom = next((c.nom for c in registre.territoire.communes if c.insee == commune), None)
    lieu = f"{typologie or '?'} à {nom or commune or '?'}"
    if typologie is None or commune is None:
        return Attente(annee, typologie, commune, nom, 0, None, None, None, None,
                       "votre demande n'indique pas de typologie ou de commune en premier choix : "
                       "pas de délai d'attente comparable à indiquer")
    lecteur(app, NOM)
    n, moyenne, mediane = attentes_de_l_annee(app, annee).get((typologie, commune), (0, None, None))
    if n == 0 or moyenne is None or mediane is None:
        message = (f"aucun bail n'a été signé en {annee} pour un {lieu} : "
                   "pas de délai d'attente moyen à indiquer")
    else:
        message = (
            f"pour un {lieu}, les {n} baux signés en {annee} l'ont été en moyenne "
            f"{_nombre(moyenne)} jours ({_nombre(_jours_en_mois(moyenne) or Decimal(0))} mois) après "
            f"le dépôt de la demande ; délai médian {_nombre(mediane)} jours"
            if n > 1
            else f"pour un {lieu}, le seul bail signé en {annee} l'a été {_nombre(moyenne)} jours "
            f"({_nombre(_jours_en_mois(moyenne) or Decimal(0))} mois) après le dépôt de la demande"
        )
    return Attente(annee, typologie, commune, nom, n, moyenne, mediane,
                   _jours_en_mois(moyenne), _jours_en_mois(mediane), message)


# -- points and rank: the same as GET /demandes/{n}/cotation ----------------------------------------


def _cotation(app: FastAPI, registre: Registre, numero: str, jour: date, typologie: str | None) -> Cotation:
    try:
        r = expliquer(registre, numero, jour, None)
    except RegleEnfreinte as e:
        return Cotation(jour, None, None, [], typologie, message=e.message)
    criteres = [Critere(x.code, x.libelle, x.points, x.detail) for x in r.explications]
    c = Cotation(jour, r.points, r.version_grille, criteres, typologie)
    if not r.active:
        return msgspec.structs.replace(
            c, message="demande radiée : elle garde ses points mais ne figure plus dans aucun classement"
        )
    (t,) = lecteur(app, "cotation", jour).tables
    with registre.lecture.connect() as conn:
        rg = rang(conn, t, numero)
    if rg is None:
        return c
    return msgspec.structs.replace(c, rang=rg[0], sur=rg[1], rang_typologie=rg[2], sur_typologie=rg[3])


# -- decisions, refusals, décotes, from the demand's own events ----------------------------------


def _points_decote(registre: Registre, code: str, jour: date) -> int | None:
    if registre.grille is None:
        return None
    try:
        version = registre.grille.version_en_vigueur(jour)
    except RegleEnfreinte:
        return None
    return next((c.points for c in version.criteres if c.code == code), None)


def _decisions_refus_decotes(
    registre: Registre, d: Demande, aujourdhui: date
) -> tuple[list[DecisionCAL], list[Refus], list[Decote]]:
    retractes = {f.cible for f in d.faits if isinstance(f, Demande.Retractee)}
    territoire = registre.territoire

    def spec(logement: str) -> tuple[str | None, str | None, str]:
        try:
            lgt = territoire.logement(logement)
        except KeyError:
            return None, None, "?"
        return lgt.commune, lgt.typologie.value, lgt.bailleur

    decisions: list[DecisionCAL] = []
    refus: list[Demande.Refusee] = []
    decotes: dict[int, Demande.DecoteAppliquee] = {}
    recours: dict[int, Demande.RecoursDepose] = {}
    decides: dict[int, Demande.RecoursDecide] = {}
    for f in d.faits:
        v = f.originator_version
        if v in retractes:
            continue  # the history shows it, deleted
        if isinstance(f, Demande.DecisionCAL):
            commune, typ, bailleur = spec(f.logement)
            libelle = LIBELLES_DECISION[f.decision]
            if f.decision is TypeDecisionCAL.attribution_par_classement and f.rang is not None:
                libelle += f" (rang {f.rang} : le logement vous revient si les candidats classés avant vous le refusent)"
            decisions.append(DecisionCAL(
                v, f.occurred_on, f.logement, commune, typ, bailleur, f.decision, libelle, f.rang,
                f.motif, str(f.sous_motif_irrecevabilite) if f.sous_motif_irrecevabilite else None,
                f.piece_manquante, f.delai_jours,
            ))
        elif isinstance(f, Demande.Refusee):
            refus.append(f)
        elif isinstance(f, Demande.DecoteAppliquee):
            decotes[v] = f
        elif isinstance(f, Demande.RecoursDepose):
            recours[f.decote] = f
            decides.pop(f.decote, None)  # filed again after a decision: pending again
        elif isinstance(f, Demande.RecoursDecide):
            decides[f.decote] = f

    vues: list[Decote] = []
    for v, f in decotes.items():
        fin = calendrier.fin_decote(f.occurred_on)
        limite = calendrier.recours_possible_jusqua(f.notifiee_le)
        r, dec = recours.get(v), decides.get(v)
        rec = None
        if r is not None:
            rec = Recours(
                r.originator_version, r.occurred_on,
                "en_attente" if dec is None else str(dec.decision),
                dec.occurred_on if dec else None, dec.motivation if dec else None,
            )
        points = _points_decote(registre, str(f.code), f.occurred_on)
        pts = f"{points} points" if points is not None else "des points"
        if dec is not None and dec.decision is DecisionRecours.annulee:
            statut = "annulee"
            message = (f"décote annulée sur recours le {_fr(dec.occurred_on)} : elle n'a jamais compté")
        elif aujourdhui >= fin:
            statut = "expiree"
            message = f"décote de {pts} du {_fr(f.occurred_on)}, expirée le {_fr(fin)}"
        else:
            statut = "en_vigueur"
            message = f"décote de {pts} du {_fr(f.occurred_on)} jusqu'au {_fr(fin)} (exclu)"
        possible = r is None and aujourdhui <= limite and statut != "annulee"
        if statut != "annulee":
            if rec is None:
                message += (f" ; recours possible jusqu'au {_fr(limite)}" if possible
                            else f" ; le délai de recours a pris fin le {_fr(limite)}")
            elif rec.statut == "en_attente":
                message += f" ; recours déposé le {_fr(rec.depose_le)}, en attente de décision"
            else:
                message += f" ; recours rejeté, décote maintenue le {_fr(rec.decide_le or rec.depose_le)}"
        vues.append(Decote(
            v, str(f.code), LIBELLES_DECOTE.get(str(f.code), str(f.code)), points, f.occurred_on,
            f.notifiee_le, fin, statut, f.organisation, f.refus, limite, possible, rec, message,
        ))

    par_refus: dict[int, list[Decote]] = defaultdict(list)
    for x in vues:
        if x.refus is not None:
            par_refus[x.refus].append(x)
    refus_vus: list[Refus] = []
    for f in refus:
        v = f.originator_version
        commune, _, _ = spec(f.logement)
        liees = par_refus.get(v, [])
        if f.qualification is QualificationRefus.recevable:
            consequence = "refus jugé recevable par le bailleur : il n'entraîne aucune décote"
        elif liees:
            consequence = "refus jugé non recevable par le bailleur : " + " ; ".join(x.message for x in liees)
        else:
            jusqua = calendrier.fin_decote(f.occurred_on)
            pts = _points_decote(registre, "decote_refus", f.occurred_on)
            pts_txt = f"de {pts} points " if pts is not None else ""
            consequence = (
                f"refus jugé non recevable par le bailleur : une décote {pts_txt}pendant un an peut "
                f"être appliquée jusqu'au {_fr(jusqua)} (exclu) ; aucune ne l'est à ce jour"
                if aujourdhui < jusqua
                else "refus jugé non recevable par le bailleur : aucune décote n'a été appliquée"
            )
        refus_vus.append(Refus(
            v, f.occurred_on, f.logement, commune, str(f.stade), f.motif, f.qualification,
            [x.evenement for x in liees], consequence,
        ))
    return decisions, refus_vus, vues


# -- OpenAPI: the response schemas inline (the app's components are its own) ------------------------


def _schema(t: type) -> dict[str, Any]:
    brut = msgspec.json.schema(t)
    defs = brut.pop("$defs", {})

    def inline(x: Any) -> Any:
        if isinstance(x, dict):
            ref = x.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in x.items()}
        if isinstance(x, list):
            return [inline(v) for v in x]
        return x

    return inline(brut)


def _reponses(t: type, description: str, erreurs: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {"application/json": {"schema": _schema(t)}}},
        **{s: {"description": d, "content": {TYPE_MEDIA: {}}} for s, d in erreurs.items()},
    }


# -- the endpoints ---------------------------------------------------------------------------------


@routeur.get(
    "/demandes/{numero_unique}/code-demandeur",
    summary="The demandeur's access code for this demand, for a guichet or bailleur to hand over",
    description=(
        "A guichet or bailleur of the territory obtains the code and hands it to the applicant, "
        "who reads their own information with it at GET /demandeur/{numero_unique} "
        "(Authorization: Bearer <code>). The code is derived from the numéro unique and a server "
        "secret: asking again gives the same code; it opens that demand's page and nothing else."
    ),
    response_class=Response,
    responses=_reponses(CodeDemandeur, "The code", {
        401: "No or unknown bearer token",
        403: "Not a guichet or bailleur",
        404: "Unknown demand",
    }),
)
def lire_code_demandeur(numero_unique: str, request: Request, qui: Appelant = Depends(appelant)) -> Response:
    permissions.guichet(qui.organisation, "handing a demandeur their access code")
    registre: Registre = request.app.state.registre
    registre.demande(numero_unique)  # 404 for an unknown demand
    code = code_demandeur(_etat(request.app).secret, numero_unique)
    corps = CodeDemandeur(numero_unique, code, f"Authorization: Bearer {code} on GET /demandeur/{numero_unique}")
    return Response(msgspec.json.encode(corps), media_type="application/json", headers=PAS_DE_CACHE)


@routeur.get(
    "/demandeur/{numero_unique}",
    summary="The demandeur's own information (DOMAIN.md §7): points, rank, waiting time, CAL "
    "decisions, refusals and their consequences, history",
    description=(
        "Authenticated with the demand's access code (Authorization: Bearer <code>), not an "
        "agent token. Points and rank are those of GET /demandes/{n}/cotation today. The waiting "
        "time is that of the baux signed in the previous calendar year for the demand's "
        "first-choice typology in its first-choice commune (mean and median of bail − dépôt), "
        "with the number of baux it rests on. Retracted decisions and refusals are left out "
        "here; the history shows them as deleted."
    ),
    response_class=Response,
    responses=_reponses(ReponseDemandeur, "The demandeur's page", {
        401: "No code, or a code that does not open this demand (whether or not it exists)",
    }),
)
def lire_demandeur(request: Request, numero_unique: str = Depends(demandeur)) -> Response:
    app: FastAPI = request.app
    registre: Registre = app.state.registre
    jour = horloge.aujourdhui()
    d = registre.demande(numero_unique)
    # As GET /demandes/{n} shows it: what the schedule owes by today counts as fallen due.
    e = d.etat_courant(jour, registre.territoire.retention_donnees_mois)
    typologie = e.souhaits.typologies[0].value if e.souhaits.typologies else None
    commune = e.souhaits.communes[0] if e.souhaits.communes else None
    decisions, refus, decotes = _decisions_refus_decotes(registre, d, jour)
    corps = ReponseDemandeur(
        numero_unique=numero_unique,
        au=jour,
        active=e.active,
        filed_on=e.filed_on,
        anniversaire=e.anniversaire,
        radiation=str(e.radiation) if e.radiation else None,
        radiee_le=e.radiee_le,
        cotation=_cotation(app, registre, numero_unique, jour, typologie),
        attente=_attente(app, registre, typologie, commune, jour),
        decisions_cal=decisions,
        refus=refus,
        decotes=decotes,
        historique=historique(d),
    )
    return Response(msgspec.json.encode(corps), media_type="application/json", headers=PAS_DE_CACHE)
