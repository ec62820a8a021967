"""Concurrent writers on PostgreSQL (DOMAIN.md §3: rules that span several demands must hold
under concurrent writers too).

Eight threads append 2,000 commands in total, some of them designations racing on the same
few dwellings, while a follower reads the log by notification id. Nothing may be lost or
duplicated, every successful command's events must be in the log, and two writers that decided
on the same version of the same demand must never both win.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import RecordConflictError

from adapters.clock import HorlogeReglable
from adapters.database import depuis_url
from adapters.registre import Registre, Resultat
from domain import commandes as c
from domain.codes import ModeleLogement, RessourceRecue, RoleMembre, Typologie
from domain.demande import Demande
from domain.erreurs import RefusCommande, VersionPerimee
from domain.foyer import LogementActuel, Membre, Ressource, Souhaits
from domain.logement import Logement
from domain.territoire import LogementSocial, Organisation, Territoire

ECRIVAINS = 8
COMMANDES_PAR_ECRIVAIN = 250  # 2,000 in all
DEMANDES_PAR_ECRIVAIN = 25
DESIGNATIONS_PAR_ECRIVAIN = 12  # on the SAME few dwellings, from every writer
LOGEMENTS_DISPUTES = 3


@pytest.fixture
def registre_pg(
    schema_postgres: str, territoire: Territoire, horloge_test: HorlogeReglable
) -> Iterator[Registre]:
    r = Registre(depuis_url(schema_postgres), territoire, pool_size=10)
    yield r
    r.close()


def _enregistrer(jour: date, i: int) -> c.Enregistrer:
    return c.Enregistrer(
        occurred_on=jour,
        membres=(
            Membre(
                id="m1",
                role=RoleMembre.demandeur,
                ressources=(Ressource(code=RessourceRecue.SAL, montant_mensuel=Decimal(900 + i)),),
                commune_travail="06029",
            ),
        ),
        logement_actuel=LogementActuel(modele=ModeleLogement.CP, commune="06029"),
        souhaits=Souhaits(communes=("06029",), typologies=(Typologie.T2,)),
    )


def _disputes(territoire: Territoire) -> list[LogementSocial]:
    """A few vacant dwellings of Action Logement's contingent, for every writer to race on."""
    lgts = [lgt for lgt in territoire.logements if lgt.vacant and lgt.reservataire == "ALS"]
    assert len(lgts) >= LOGEMENTS_DISPUTES
    return lgts[:LOGEMENTS_DISPUTES]


def _tout_le_journal(registre: Registre) -> list:
    out, position = [], 0
    while lot := registre.notifications(depuis=position, limite=1000):
        out.extend(lot)
        position = lot[-1].id
    return out


def test_ecrivains_concurrents_et_suiveur(registre_pg: Registre, territoire: Territoire) -> None:
    registre = registre_pg
    guichet = territoire.organisation("OPH-CPL")
    autres_guichets = [territoire.organisation(code) for code in ("CANNES", "LE-CANNET", "MOUGINS")]
    als = territoire.organisation("ALS")
    disputes = _disputes(territoire)
    jour_enregistrement, jour_suivant = date(2026, 11, 2), date(2026, 11, 9)

    succes: list[tuple[str, Resultat]] = []  # (kind, result)
    refus: Counter[str] = Counter()
    erreurs: list[BaseException] = []
    verrou = threading.Lock()
    depart = threading.Barrier(ECRIVAINS + 1)
    # Designations go in rounds: every writer designates on the same dwelling at the same
    # moment, so that their transactions collide on the dwelling's version.
    manche = threading.Barrier(ECRIVAINS, timeout=60)
    fini = threading.Event()

    # Count the store's conflicts (the Registre retries them when only a dwelling moved).
    conflits = Counter[str]()
    save = registre.save

    def save_compte(*agregats, **kw):  # type: ignore[no-untyped-def]
        try:
            return save(*agregats, **kw)
        except RecordConflictError:
            with verrou:
                conflits["dwelling" if len(agregats) > 1 else "demand"] += 1
            raise

    registre.save = save_compte  # type: ignore[method-assign]

    def noter(kind: str, r: Resultat) -> None:
        with verrou:
            succes.append((kind, r))

    def ecrivain(t: int) -> None:
        try:
            org: Organisation = [guichet, *autres_guichets][t % 4]
            agent = org.agents[0].identifiant
            depart.wait()
            numeros: list[str] = []
            faites = 0
            for i in range(DEMANDES_PAR_ECRIVAIN):
                r = registre.executer(org, agent, _enregistrer(jour_enregistrement, t * 1000 + i))
                noter("enregistrement", r)
                numeros.append(r.numero_unique)
                faites += 1
            versions = {n: 1 for n in numeros}
            designations = 0
            k = 0
            while faites < COMMANDES_PAR_ECRIVAIN:
                n = numeros[k % len(numeros)]
                if designations < DESIGNATIONS_PAR_ECRIVAIN and k % 17 == 3:
                    # Each writer designates its own demands on the same few dwellings.
                    lgt = disputes[designations % len(disputes)]
                    manche.wait()
                    cmd: c.Commande = c.Designer(occurred_on=jour_suivant, logement=lgt.identifiant)
                    kind, qui, qui_agent = "designation", als, als.agents[0].identifiant
                    designations += 1
                elif k % 3 == 2:
                    cmd = c.Renouveler(occurred_on=jour_suivant)
                    kind, qui, qui_agent = "renouvellement", org, agent
                else:
                    cmd = c.Modifier(occurred_on=jour_suivant, situations=(f"m{t}_{k}",))
                    kind, qui, qui_agent = "modification", org, agent
                k += 1
                faites += 1
                try:
                    r = registre.executer(
                        qui, qui_agent, cmd, numero_unique=n, version_attendue=versions[n]
                    )
                except RefusCommande as e:
                    with verrou:
                        refus[f"{kind}: {type(e).__name__} {e.regle}"] += 1
                    continue
                versions[n] = r.version
                noter(kind, r)
        except BaseException as e:
            with verrou:
                erreurs.append(e)

    vus: list[int] = []
    cles_vues: list[tuple[UUID, int]] = []
    tours = [0]

    def suiveur() -> None:
        try:
            position = 0
            depart.wait()
            while True:
                termine = fini.is_set()  # read before the batch: a last round after the end
                lot = registre.notifications(depuis=position, limite=500)
                tours[0] += 1
                for n in lot:
                    vus.append(n.id)
                    cles_vues.append((n.originator_id, n.originator_version))
                if lot:
                    position = lot[-1].id
                elif termine and position >= registre.position():
                    return
                else:
                    time.sleep(0.002)
        except BaseException as e:
            with verrou:
                erreurs.append(e)

    fils = [
        threading.Thread(target=ecrivain, args=(t,), name=f"ecrivain-{t}") for t in range(ECRIVAINS)
    ]
    lecteur = threading.Thread(target=suiveur, name="suiveur")
    debut = time.perf_counter()
    for f in [*fils, lecteur]:
        f.start()
    for f in fils:
        f.join(timeout=120)
    duree_ecriture = time.perf_counter() - debut
    fini.set()
    lecteur.join(timeout=60)
    assert not any(f.is_alive() for f in [*fils, lecteur]), "a thread did not finish"
    assert not erreurs, erreurs

    tentees = sum(refus.values()) + len(succes)
    assert tentees == ECRIVAINS * COMMANDES_PAR_ECRIVAIN == 2000

    journal = _tout_le_journal(registre)
    ids = [n.id for n in journal]
    cles = [(n.originator_id, n.originator_version) for n in journal]

    # Nothing lost, nothing duplicated: the follower saw exactly the final log, once, in order.
    assert len(vus) == len(set(vus)), "the follower saw a notification twice"
    assert vus == sorted(vus), "the follower saw notifications out of order"
    assert vus == ids, (
        f"follower saw {len(vus)} notifications, the log holds {len(ids)}; "
        f"missed {sorted(set(ids) - set(vus))[:20]}"
    )
    assert cles_vues == cles
    assert len(set(cles)) == len(cles), "an (aggregate, version) pair is stored twice"

    # Count per aggregate matches each aggregate's version, with no gap.
    par_agregat: dict[UUID, list[int]] = defaultdict(list)
    for agregat, version in cles:
        par_agregat[agregat].append(version)
    numeros = {r.numero_unique for kind, r in succes if kind == "enregistrement"}
    assert len(numeros) == ECRIVAINS * DEMANDES_PAR_ECRIVAIN
    ids_logements = {Logement.id_pour(lgt.identifiant): lgt for lgt in _disputes(territoire)}
    assert set(par_agregat) == {Demande.id_pour(n) for n in numeros} | set(ids_logements)
    for n in numeros:
        versions = par_agregat[Demande.id_pour(n)]
        assert versions == list(range(1, registre.demande(n).version + 1)), n
    for id_lgt, lgt in ids_logements.items():
        versions = par_agregat[id_lgt]
        lg = registre.logement(lgt.identifiant)
        assert lg is not None and versions == list(range(1, lg.version + 1)), lgt.identifiant

    # Every successful command's events are in the log.
    stockes = set(cles)
    positions = set(ids)
    for kind, r in succes:
        assert r.evenements, (kind, r)
        for v in r.evenements:
            assert (Demande.id_pour(r.numero_unique), v) in stockes, (kind, r)
        assert r.position in positions, (kind, r)

    # The races on the dwellings really happened, and their rules held: each designation that
    # won is on its dwelling exactly once.
    designees = [r for kind, r in succes if kind == "designation"]
    candidats_total = 0
    for lgt in _disputes(territoire):
        lg = registre.logement(lgt.identifiant)
        assert lg is not None
        candidats = lg.vacance_ouverte().candidats
        candidats_total += len(candidats)
    assert candidats_total == len(designees)
    assert conflits["dwelling"] > 0, "the designations never raced: the test proves nothing"
    kinds = Counter(kind for kind, _ in succes)
    print(
        f"\n{tentees} commands by {ECRIVAINS} writers in {duree_ecriture:.2f} s "
        f"({tentees / duree_ecriture:.0f} commands/s); succeeded {dict(kinds)}; "
        f"refused {dict(refus) or 0}; store conflicts retried or refused {dict(conflits)}; "
        f"log {len(ids)} notifications over {len(par_agregat)} "
        f"aggregates; follower {tours[0]} reads, saw {len(vus)}"
    )


def _en_meme_temps(actions: list) -> list[object]:
    """Run each action in its own thread, all released at once; their results or exceptions."""
    barriere = threading.Barrier(len(actions))
    resultats: list[object] = [None] * len(actions)

    def lancer(i: int) -> None:
        barriere.wait()
        try:
            resultats[i] = actions[i]()
        except BaseException as e:
            resultats[i] = e

    fils = [threading.Thread(target=lancer, args=(i,)) for i in range(len(actions))]
    for f in fils:
        f.start()
    for f in fils:
        f.join(timeout=60)
    assert not any(f.is_alive() for f in fils)
    return resultats


def test_meme_demande_meme_version_un_seul_gagnant(
    registre_pg: Registre, territoire: Territoire
) -> None:
    """Several writers decided on the same version of the same demand (same If-Match): exactly
    one wins, the others get VersionPerimee (HTTP 409); never a silent overwrite."""
    registre = registre_pg
    org = territoire.organisation("CANNES")
    agent = org.agents[0].identifiant
    numero = registre.executer(org, agent, _enregistrer(date(2026, 11, 2), 0)).numero_unique
    rounds, paralleles = 25, ECRIVAINS
    gagnants: list[int] = []
    perdants: Counter[str] = Counter()
    for tour in range(rounds):
        version = registre.demande(numero).version
        resultats = _en_meme_temps(
            [
                lambda i=i, tour=tour, version=version: registre.executer(
                    org,
                    agent,
                    c.Modifier(occurred_on=date(2026, 11, 3), situations=(f"tour{tour}_ecrivain{i}",)),
                    numero_unique=numero,
                    version_attendue=version,
                )
                for i in range(paralleles)
            ]
        )
        ok = [i for i, r in enumerate(resultats) if isinstance(r, Resultat)]
        ko = [r for r in resultats if not isinstance(r, Resultat)]
        assert len(ok) == 1, resultats
        assert all(isinstance(r, VersionPerimee) and r.statut == 409 for r in ko), ko
        perdants.update(r.regle for r in ko)  # type: ignore[union-attr]
        (gagnant,) = ok
        gagnants.append(gagnant)
        d = registre.demande(numero)
        # Exactly one event more, and it is the winner's: nobody's write was silently replaced.
        assert d.version == version + 1
        assert d.etat.situations == frozenset({f"tour{tour}_ecrivain{gagnant}"})
        assert resultats[gagnant].version == version + 1  # type: ignore[union-attr]
    assert registre.demande(numero).version == 1 + rounds
    print(
        f"\n{rounds} rounds of {paralleles} writers on one demand with the same If-Match: "
        f"1 winner each (winners by writer {dict(Counter(gagnants))}), "
        f"{sum(perdants.values())} VersionPerimee {dict(perdants)}"
    )
