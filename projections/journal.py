"""Indicators regenerated from the raw event log (DOMAIN.md §6), not from any read model.

Reads the stored rows in log order straight from the events table, decodes only the fields the
statistics count (never the encrypted personal field, so no key is needed and erasure changes
nothing), and hands them to the arithmetic of `projections.indicateurs`. Knowledge time is the
events' own `timestamp` (recorded_at): `connu_a` keeps what had been recorded by then, a
retraction included.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, datetime

import msgspec
import sqlalchemy as sa
from tqdm import tqdm

from adapters.database import Stockage
from domain.territoire import Territoire
from projections.indicateurs import (
    EVENEMENTS_LOGEMENT_LUS,
    EVENEMENTS_LUS,
    PREFIXE_TOPIC,
    PREFIXE_TOPIC_LOGEMENT,
    Bilan,
    BilanFlux,
    Collecte,
    Periode,
    bilan_flux,
    calculer,
    extraire,
    extraire_logement,
)

LOT = 20_000

# -- the fields statistics read, and nothing else -------------------------------------------------


class _Souhaits(msgspec.Struct):
    communes: tuple[str, ...] = ()
    typologies: tuple[str, ...] = ()


class _LogementActuel(msgspec.Struct):
    modele: str


class _Membre(msgspec.Struct):
    role: str


class _Situation(msgspec.Struct):
    premier_quartile: bool
    prioritaire: bool
    dalo: bool
    contingent: str
    commune: str
    qpv: bool
    typologie: str
    bailleur: str
    filed_on: date
    mutation: bool
    reservataire: str | None = None
    flux: bool = False
    tranche_age: str | None = None
    type_menage: str | None = None


class _Evenement(msgspec.Struct):
    occurred_on: date
    timestamp: datetime
    organisation: str


class _Enregistree(_Evenement):
    filed_on: date
    anniversaire: date
    souhaits: _Souhaits
    membres: tuple[_Membre, ...]
    logement_actuel: _LogementActuel | None = None
    tranche_age: str | None = None
    canal: str = "api"  # an import's dépôt is not a registration delay


class _Modifiee(_Evenement):
    souhaits: _Souhaits | None = None
    logement_actuel: _LogementActuel | None = None
    membres: tuple[_Membre, ...] | None = None


class _Renouvelee(_Evenement):
    tranche_age: str | None = None


class _Radiee(_Evenement):
    motif: str


class _Designee(_Evenement):
    logement: str
    vacance: int
    contingent: str
    reservataire: str | None = None
    flux: bool = False


class _DecisionCAL(_Evenement):
    logement: str
    vacance: int
    decision: str
    moins_de_trois_candidats: str | None = None
    situation: _Situation | None = None
    code_moins_de_trois: str | None = None


class _Refusee(_Evenement):
    logement: str
    stade: str
    qualification: str
    code: str = "autre"  # a free-text motif of a log written before the codes reads `autre`


class _DecoteAppliquee(_Evenement):
    code: str


class _RecoursDepose(_Evenement):
    decote: int


class _RecoursDecide(_Evenement):
    decote: int
    decision: str


class _BailSigne(_Evenement):
    logement: str
    vacance: int
    situation: _Situation


class _Retractee(_Evenement):
    cible: int


_TYPES: dict[str, type[_Evenement]] = {
    "Enregistree": _Enregistree,
    "Modifiee": _Modifiee,
    "Renouvelee": _Renouvelee,
    "Radiee": _Radiee,
    "Reactivee": _Renouvelee,
    "Designee": _Designee,
    "DecisionCAL": _DecisionCAL,
    "Refusee": _Refusee,
    "DecoteAppliquee": _DecoteAppliquee,
    "RecoursDepose": _RecoursDepose,
    "RecoursDecide": _RecoursDecide,
    "BailSigne": _BailSigne,
    "Retractee": _Retractee,
}
assert set(_TYPES) == EVENEMENTS_LUS


class _Ouvert(_Evenement):
    vacant: bool


class _VacanceOrientee(_Evenement):
    vacance: int
    ouverte_le: date
    reservataire: str | None
    contingent: str
    convention: str | None = None
    retrait: str | None = None


_TYPES_LOGEMENT: dict[str, type[_Evenement]] = {
    "Ouvert": _Ouvert,
    "VacanceDeclaree": _Evenement,
    "VacanceOrientee": _VacanceOrientee,
}
assert set(_TYPES_LOGEMENT) == EVENEMENTS_LOGEMENT_LUS
# topic -> (genre, decoder, dwelling event?)
DECODEURS = {
    **{PREFIXE_TOPIC + genre: (genre, msgspec.json.Decoder(t), False) for genre, t in _TYPES.items()},
    **{
        PREFIXE_TOPIC_LOGEMENT + genre: (genre, msgspec.json.Decoder(t), True)
        for genre, t in _TYPES_LOGEMENT.items()
    },
}


# -- reading -----------------------------------------------------------------------------------


def lignes(
    engine: sa.Engine, stockage: Stockage, jusqua: int | None = None
) -> Iterator[tuple[int, str, int, str, bytes]]:
    """(notification_id, originator_id, version, topic, state) of the events statistics read,
    in log order, streamed in pages so memory stays flat whatever the log's size."""
    table, pos = stockage.table_evenements, stockage.colonne_position
    topics = ", ".join(f"'{t}'" for t in DECODEURS)  # constants of ours, not input
    borne = "" if jusqua is None else f" AND {pos} <= {int(jusqua)}"
    depuis = 0
    with engine.connect() as conn:
        while True:
            lot = conn.execute(
                sa.text(
                    f"SELECT {pos}, originator_id, originator_version, topic, state "
                    f"FROM {table} WHERE {pos} > :depuis AND topic IN ({topics}){borne} "
                    f"ORDER BY {pos} LIMIT {LOT}"
                ),
                {"depuis": depuis},
            ).all()
            if not lot:
                return
            yield from lot  # type: ignore[misc]
            depuis = lot[-1][0]


def position(engine: sa.Engine, stockage: Stockage) -> int:
    with engine.connect() as conn:
        p = conn.execute(
            sa.text(f"SELECT max({stockage.colonne_position}) FROM {stockage.table_evenements}")
        ).scalar()
    return int(p or 0)


def collecter(
    engine: sa.Engine,
    stockage: Stockage,
    territoire: Territoire,
    connu_a: datetime | None = None,
    jusqua: int | None = None,
    barre: bool = False,
) -> tuple[Collecte, int, int]:
    """Every fact of the log (as recorded by `connu_a`, up to position `jusqua`): the facts,
    the last position read and the number of events read."""
    fin = position(engine, stockage) if jusqua is None else jusqua
    collecte = Collecte()
    n = 0
    with tqdm(total=fin, desc="reading the log", unit="pos", file=sys.stderr, disable=not barre,
              mininterval=0.5) as progres:
        lu = 0
        for nid, originator, version, topic, state in lignes(engine, stockage, fin):
            genre, decodeur, de_logement = DECODEURS[topic]
            try:
                e = decodeur.decode(state)
            except msgspec.DecodeError as err:
                raise ValueError(
                    f"event {originator} v{version} ({topic}) at position {nid} cannot be read: {err}"
                ) from err
            n += 1
            if nid - lu >= 50_000:
                progres.update(nid - lu)
                lu = nid
            if connu_a is not None and e.timestamp > connu_a:
                continue
            lire = extraire_logement if de_logement else extraire
            collecte.ajouter(lire(genre, str(originator), version, e, territoire))
        progres.update(fin - lu)
    return collecte, fin, n


def regenerer(
    engine: sa.Engine,
    stockage: Stockage,
    territoire: Territoire,
    periode: Periode,
    connu_a: datetime | None = None,
    jusqua: int | None = None,
    barre: bool = False,
) -> Bilan:
    """Every indicator of the period, from the raw log alone."""
    collecte, fin, n = collecter(engine, stockage, territoire, connu_a, jusqua, barre)
    return Bilan(
        territoire=territoire.code,
        periode=periode,
        source="journal",
        connu_a=connu_a,
        position=fin,
        evenements=n,
        figures=calculer(collecte.pour(periode), periode, territoire),
    )


def bilan_flux_du_journal(
    engine: sa.Engine,
    stockage: Stockage,
    territoire: Territoire,
    periode: Periode,
    jusqua: int | None = None,
) -> tuple[BilanFlux, int]:
    """The bilan du flux of the period from the raw log alone, and the last position read."""
    collecte, fin, _ = collecter(engine, stockage, territoire, jusqua=jusqua)
    return bilan_flux(collecte.pour(periode), periode, territoire), fin
