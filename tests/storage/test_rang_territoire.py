"""The rank the cotation read model gives (`projections.cotation.rang`: the counts per points, the
counts per points and filing month, the ties of one month) equals the rank rule itself
(`domain.rang.classer` over every demand folded and scored as of the day) for every demand of a
generated territory: as the follower leaves it, after registrations, modifications, radiations
and retractions, and after days pass (the day's recompute); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import msgspec
import pytest
import sqlalchemy as sa

from adapters.clock import HorlogeReglable
from adapters.registre import Registre
from domain import commandes as c
from domain.codes import MotifRadiation
from domain.cotation import coter
from domain.rang import candidat, classer
from projections.cotation import compter_effectifs, lire_effectifs, rang
from projections.modeles import suiveurs
from tests.storage.test_jour_incremental import FIN, registre_genere  # noqa: F401 (a fixture)

Rangs = dict[str, tuple[int, int, int, int] | None]


def selon_la_regle(registre: Registre, jour: date) -> Rangs:
    """Every demand's rank by the rule: each folded as of `jour` (what fell due counted), scored,
    ranked among the active ones by `classer`; None for a demand out of the ranking."""
    candidats = []
    numeros = registre.numeros()
    for n in numeros:
        d = registre.demande(n)
        etat = d.etat_courant(jour, registre.territoire.retention_donnees_mois)
        if not etat.active:
            continue
        assert registre.grille is not None
        x = candidat(etat, coter(etat, jour, registre.territoire, registre.grille))
        if x is not None:
            candidats.append(x)
    classes = classer(candidats)
    par_typologie: dict[object, int] = {}
    for r in classes:
        par_typologie[r.typologie] = par_typologie.get(r.typologie, 0) + 1
    attendus: Rangs = dict.fromkeys(numeros)
    for r in classes:
        attendus[r.numero_unique] = (r.rang, len(classes), r.rang_typologie, par_typologie[r.typologie])
    return attendus


def verifier(registre: Registre, t: sa.Table, jour: date) -> Rangs:
    attendus = selon_la_regle(registre, jour)
    with registre.engine.connect() as conn:
        assert lire_effectifs(conn, t) == compter_effectifs(conn, t)
        lus = {n: rang(conn, t, n) for n in attendus}
    assert lus == attendus
    return lus


def mois_distincts(registre: Registre, t: sa.Table) -> int:
    with registre.engine.connect() as conn:
        return len({(f.year, f.month) for f in conn.execute(sa.select(t.c.filed_on).where(t.c.active)).scalars()})


@pytest.mark.parametrize("registre_genere", ["sqlite", "postgresql"], indirect=True)
def test_the_rank_read_equals_the_rank_rule(registre_genere: tuple[Registre, HorlogeReglable]) -> None:  # noqa: F811
    registre, h = registre_genere
    s = suiveurs(registre)["cotation"]
    s.suivre()
    (t,) = s.tables
    jour = FIN + timedelta(days=1)
    rangs = verifier(registre, t, jour)
    classees = sorted(n for n, r in rangs.items() if r is not None)
    assert len(classees) > 50, "too small a territory to prove anything"
    # Ties on points across many filing months: the finer counts are what the rank reads.
    assert mois_distincts(registre, t) > 12

    # Registrations (copies of ranked demands' households, filed today: the last of their
    # ties), modifications (wishes reversed: another first-choice typology), a radiation, and a
    # retraction of one of those modifications.
    def auteur(n: str) -> tuple[object, str]:
        premier = registre.demande(n).faits[0]
        return registre.territoire.organisation(premier.organisation), premier.agent

    modeles = classees[:: max(1, len(classees) // 6)][:6]
    for n in modeles[:3]:
        e = registre.demande(n).etat
        org, agent = auteur(n)
        registre.executer(org, agent, c.Enregistrer(  # type: ignore[arg-type]
            occurred_on=jour, membres=e.membres, logement_actuel=e.logement_actuel, souhaits=e.souhaits))
    modifiees = []
    for n in modeles[3:]:
        e = registre.demande(n).etat
        if len(e.souhaits.typologies) < 2:
            continue
        org, agent = auteur(n)
        souhaits = msgspec.structs.replace(e.souhaits, typologies=tuple(reversed(e.souhaits.typologies)))
        r = registre.executer(org, agent, c.Modifier(occurred_on=jour, souhaits=souhaits), n)  # type: ignore[arg-type]
        modifiees.append((n, r.version, org, agent))
    assert modifiees, "no demand wishes two typologies"
    n, version, org, agent = modifiees[0]
    registre.executer(org, agent, c.Retracter(occurred_on=jour, evenement=version, motif="erreur"), n)  # type: ignore[arg-type]
    radiee = classees[1]
    org, agent = auteur(radiee)
    registre.executer(org, agent, c.Radier(occurred_on=jour, motif=MotifRadiation.RADABA), radiee)  # type: ignore[arg-type]
    s.suivre()
    verifier(registre, t, jour)
    with registre.engine.connect() as conn:
        assert rang(conn, t, radiee) is None  # ranked before its radiation, out of it after

    # Days pass: ancienneté, ages, a new month; the day's recompute rescores those due.
    for ecart in (1, 40):
        jour += timedelta(days=ecart)
        h.regler(jour)
        s.changer_de_jour(jour)
        verifier(registre, t, jour)
