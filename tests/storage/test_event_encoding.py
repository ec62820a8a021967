"""Every event class of Demande and Logement survives the real LedgerMapper: encoded (personal field
encrypted with its demand's key) and decoded back, it is equal to the original down to field types
— a Decimal stays a Decimal with its exponent, a date a date, an enum an enum, a tuple a tuple.

Instances are random (hypothesis), built from the classes' own field types as msgspec reads them,
so an event class or a field added later is covered without touching this file, and a field type
this file does not know how to generate fails loudly."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
import sqlalchemy as sa
from eventsourcing.utils import get_topic, resolve_topic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cles import Coffre
from adapters.mapper import LedgerMapper
from adapters.tables import metadata
from domain.demande import Demande
from domain.logement import Logement


def _evenements(agregat: type) -> list[type]:
    base = agregat.Event  # type: ignore[attr-defined]
    return [
        v for v in vars(agregat).values() if isinstance(v, type) and issubclass(v, base) and v is not base
    ]


EVENEMENTS = _evenements(Demande) + _evenements(Logement)


def _id(cls: type) -> str:
    return cls.__qualname__


# -- strategies from msgspec's view of the field types ------------------------------------------------

DECIMALES = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**7, max_value=10**7),
    st.builds(
        lambda chiffres, exposant: Decimal(chiffres).scaleb(exposant),
        st.integers(-(10**12), 10**12),
        st.integers(-30, 30),
    ),
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("0.00"), Decimal("1E+3"), Decimal("1000"),
                     Decimal("1450.50"), Decimal("-0E-7")]),
)
TEXTE = st.text(max_size=24)
ENTIERS = st.integers(-(2**63), 2**63 - 1)


def strategie(t: mi.Type) -> st.SearchStrategy[Any]:
    if isinstance(t, mi.UUIDType):
        return st.uuids()
    if isinstance(t, mi.IntType):
        return ENTIERS
    if isinstance(t, mi.StrType):
        return TEXTE
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.DateType):
        return st.dates()
    if isinstance(t, mi.DateTimeType):
        return st.datetimes(timezones=st.just(UTC))
    if isinstance(t, mi.DecimalType):
        return DECIMALES
    if isinstance(t, mi.EnumType):
        return st.sampled_from(list(t.cls))
    if isinstance(t, mi.UnionType):
        return st.one_of(*(strategie(x) for x in t.types))
    if isinstance(t, mi.VarTupleType):
        return st.lists(strategie(t.item_type), max_size=3).map(tuple)
    if isinstance(t, mi.TupleType):
        return st.tuples(*(strategie(x) for x in t.item_types))
    if isinstance(t, mi.ListType):
        return st.lists(strategie(t.item_type), max_size=3)
    if isinstance(t, mi.FrozenSetType):
        return st.frozensets(strategie(t.item_type), max_size=3)
    if isinstance(t, mi.DictType):
        return st.dictionaries(strategie(t.key_type), strategie(t.value_type), max_size=3)
    if isinstance(t, mi.StructType | mi.DataclassType):
        return st.builds(t.cls, **{f.name: strategie(f.type) for f in t.fields})
    raise NotImplementedError(f"no strategy for {t!r}: teach this test the new field type")


def strategie_evenement(cls: type) -> st.SearchStrategy[Any]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.DataclassType), f"{cls.__qualname__} is not a dataclass event"
    champs = {f.name: strategie(f.type) for f in info.fields}
    champs["originator_version"] = st.integers(1, 2**31)
    return st.fixed_dictionaries(champs).map(lambda kw: cls(**kw))


# -- strict comparison -------------------------------------------------------------------------------


def assert_identique(attendu: Any, obtenu: Any, chemin: str = "") -> None:
    assert type(obtenu) is type(attendu), f"{chemin}: {type(obtenu).__name__} instead of {type(attendu).__name__}"
    if isinstance(attendu, Decimal):
        assert obtenu.as_tuple() == attendu.as_tuple(), f"{chemin}: {obtenu!r} instead of {attendu!r}"
    elif isinstance(attendu, datetime):
        assert obtenu == attendu and obtenu.utcoffset() == attendu.utcoffset(), f"{chemin}: {obtenu!r}"
    elif isinstance(attendu, Enum):
        assert obtenu is attendu, f"{chemin}: {obtenu!r}"
    elif isinstance(attendu, tuple | list):
        assert len(obtenu) == len(attendu), chemin
        for i, (a, b) in enumerate(zip(attendu, obtenu, strict=True)):
            assert_identique(a, b, f"{chemin}[{i}]")
    elif isinstance(attendu, msgspec.Struct):
        for nom in attendu.__struct_fields__:
            assert_identique(getattr(attendu, nom), getattr(obtenu, nom), f"{chemin}.{nom}")
    elif dataclasses.is_dataclass(attendu):
        for f in dataclasses.fields(attendu):
            assert_identique(getattr(attendu, f.name), getattr(obtenu, f.name), f"{chemin}.{f.name}")
    else:
        assert obtenu == attendu, f"{chemin}: {obtenu!r} instead of {attendu!r}"


# -- the mapper on a real key store ------------------------------------------------------------------


@pytest.fixture(scope="module")
def mapper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerMapper]:
    chemin: Path = tmp_path_factory.mktemp("encodage") / "cles.sqlite3"
    engine = sa.create_engine(f"sqlite:///{chemin}")
    metadata.create_all(engine)
    yield LedgerMapper(Coffre(engine))
    engine.dispose()


def test_every_event_class_is_enumerated() -> None:
    noms = {_id(cls) for cls in EVENEMENTS}
    assert {
        "Demande.Enregistree", "Demande.Modifiee", "Demande.Renouvelee", "Demande.PreavisEnvoye",
        "Demande.MiseEnDemeure", "Demande.Radiee", "Demande.Reactivee", "Demande.DaloReconnu",
        "Demande.CritereJustifie", "Demande.Designee", "Demande.DecisionCAL", "Demande.ConditionLevee",
        "Demande.Refusee", "Demande.DecoteAppliquee", "Demande.RecoursDepose", "Demande.RecoursDecide",
        "Demande.BailSigne", "Demande.Retractee", "Demande.DonneesEffacees",
        "Logement.Ouvert", "Logement.VacanceDeclaree", "Logement.CandidatDesigne",
        "Logement.DecisionEnregistree", "Logement.ConditionLevee", "Logement.RefusEnregistre",
        "Logement.CandidatureRetractee", "Logement.Loue",
    } <= noms
    for cls in EVENEMENTS:
        assert resolve_topic(get_topic(cls)) is cls


@pytest.mark.parametrize("cls", EVENEMENTS, ids=_id)
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_event_round_trips_through_the_mapper(mapper: LedgerMapper, cls: type, data: st.DataObject) -> None:
    evenement = data.draw(strategie_evenement(cls))
    mapper.coffre.creer(evenement.originator_id)

    stocke = mapper.to_stored_event(evenement)
    assert stocke.originator_id == evenement.originator_id
    assert stocke.originator_version == evenement.originator_version
    assert resolve_topic(stocke.topic) is cls

    # A personal field reaches the store only as ciphertext.
    etat = json.loads(stocke.state)
    if getattr(evenement, "personnel", None) is not None:
        assert set(etat["personnel"]) == {"chiffre"}

    relu = mapper.to_domain_event(stocke)
    assert relu == evenement
    assert_identique(evenement, relu, cls.__qualname__)
    # The rebuild's one-step typed decoding of the same row gives the very same event.
    vite = mapper.depuis_ligne(stocke.originator_id, stocke.originator_version, stocke.topic, stocke.state)
    assert_identique(evenement, vite, cls.__qualname__)
    if getattr(evenement, "personnel", None) is not None:
        # Under a key then erased, the personal field reads as erased both ways.
        autre = dataclasses.replace(evenement, originator_id=uuid.uuid4())
        mapper.coffre.creer(autre.originator_id)
        stocke = mapper.to_stored_event(autre)
        mapper.coffre.effacer(autre.originator_id)
        efface = mapper.to_domain_event(stocke)
        assert type(efface.personnel).__name__ == "Efface"
        assert_identique(efface, mapper.depuis_ligne(
            stocke.originator_id, stocke.originator_version, stocke.topic, stocke.state), cls.__qualname__)


@pytest.mark.parametrize(
    "valeur",
    [Decimal("1450.50"), Decimal("1.5E+3"), Decimal("-0.000"), Decimal("12345678901234567890.123456789")],
    ids=str,
)
def test_decimal_exponent_survives_inside_a_nested_struct(mapper: LedgerMapper, valeur: Decimal) -> None:
    """A deterministic witness of the property above, on the bail's statistics snapshot."""
    from domain.codes import Canal, Financement, TypeReservataire, Typologie
    from domain.demande import SituationAttribution

    evenement = Demande.BailSigne(
        originator_id=Demande.id_pour("X"),
        originator_version=7,
        timestamp=datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC),
        occurred_on=date(2026, 4, 20),
        organisation="OPH-CPL",
        agent="oph-cpl-1",
        canal=Canal.api,
        logement="RPLS-0602900023",
        vacance=1,
        situation=SituationAttribution(
            ressources_par_uc=valeur, premier_quartile=False, prioritaire=True, dalo=False,
            contingent=TypeReservataire.COLACT, commune="06029", qpv=False, typologie=Typologie.T3,
            financement=Financement.PLUS, bailleur="OPH-CPL", filed_on=date(2025, 1, 2), mutation=False,
        ),
    )
    relu = mapper.to_domain_event(mapper.to_stored_event(evenement))
    assert_identique(evenement, relu)
    assert str(relu.situation.ressources_par_uc) == str(valeur)


def test_the_typed_decoding_goes_the_ordinary_way_where_it_must(mapper: LedgerMapper) -> None:
    """`depuis_ligne` beside `to_domain_event`: a field unknown to the class (a newer writer's),
    a hex id as SQLite stores it, an unknown topic, a state that is no object."""
    from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
    from eventsourcing.utils import TopicError

    from domain.codes import Canal, MotifRadiation

    oid = Demande.id_pour("R-1")
    e = Demande.Radiee(
        originator_id=oid, originator_version=3, timestamp=datetime(2026, 1, 2, tzinfo=UTC),
        occurred_on=date(2026, 1, 2), organisation="OPH", agent="a1", canal=Canal.api,
        motif=MotifRadiation.RADABA,
    )
    plus = mapper.to_stored_event(e).state[:-1] + b',"champ_futur":[1,2]}'
    topic = get_topic(Demande.Radiee)
    assert mapper.to_domain_event(StoredEvent(oid, 3, topic, plus)) == e
    assert_identique(e, mapper.depuis_ligne(oid.hex, 3, topic, plus))

    d = Demande.id_pour("R-2")
    for sujet, state, classe, erreur in (
        ("domain.demande:Demande.Inconnu", b'{"occurred_on":"2026-01-02"}', TopicError, "Inconnu"),
        (topic, b"[1]", MapperDeserialisationError, "Radiee"),
        (topic, b'{"occurred_on":"hier"}', MapperDeserialisationError, "Radiee"),
    ):
        with pytest.raises(classe, match=erreur):
            mapper.to_domain_event(StoredEvent(d, 1, sujet, state))
        with pytest.raises(classe, match=erreur):
            mapper.depuis_ligne(d, 1, sujet, state)
