"""The bench's clones (`adapters/banc/clonage.py`, docs/scaling.md) are demands of their own that
every reader decodes like the originals: each encrypted field — the personal part and the free
text of motifs and motivations — is encrypted again under the clone's id, so a rebuild or a
statistics pass over a cloned log reads every event (a cloned log once stopped the statistics
read model on a retraction's motif encrypted under the original's id)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec
import psycopg

from adapters.banc.clonage import cloner
from adapters.database import depuis_url
from adapters.generation import Parametres, generer, ouvrir
from adapters.mapper import CHAMP_PERSONNEL, CHAMP_PRIVES
from adapters.registre import Registre
from tests.conftest import url_postgres_de_test

PARAMETRES = Parametres(echelle=0.02, annees=1, graine=7, jusquau=date(2026, 6, 30))


def _sans_identite(e: object) -> dict[str, object]:
    d = msgspec.structs.asdict(e) if isinstance(e, msgspec.Struct) else dict(vars(e))
    d.pop("originator_id", None)
    d.pop("numero_unique", None)
    return d


def test_every_clone_decodes_to_its_original(schema_postgres: str, tmp_path: Path) -> None:
    registre, _ = ouvrir(PARAMETRES, schema_postgres, tmp_path / "territoire.toml")
    try:
        generer(registre, PARAMETRES, barre=False)
        schema = schema_postgres.rsplit("schema=", 1)[1]
        with psycopg.connect(url_postgres_de_test()) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            chiffres = {
                champ: conn.execute(
                    "SELECT count(*) FROM ledger_events WHERE topic LIKE 'domain.demande:%%' "
                    "AND state LIKE %s", (f'%"{champ}":{{"chiffre"%'.encode(),),
                ).fetchone()[0]  # type: ignore[index]
                for champ in (CHAMP_PERSONNEL, CHAMP_PRIVES)
            }
        # Both kinds of encrypted field are in the log, so both are proved below.
        assert chiffres[CHAMP_PERSONNEL] > 0 and chiffres[CHAMP_PRIVES] > 0, chiffres

        ajoutes = cloner(url_postgres_de_test(), schema, 1, 2)
        assert ajoutes > 0
        with psycopg.connect(url_postgres_de_test()) as conn:
            conn.execute(f'SET search_path TO "{schema}"')
            rows = conn.execute(
                "SELECT state FROM ledger_events WHERE topic LIKE 'domain.demande:%%' "
                "AND originator_version = 1"
            ).fetchall()
        numeros = [msgspec.json.decode(r[0])["numero_unique"] for r in rows]
        originaux = [n for n in numeros if "X" not in n]
        assert sorted(f"{n}X1" for n in originaux) == sorted(n for n in numeros if "X" in n)
        # A reader of its own: the generator's Registre holds its aggregates in memory.
        lecteur = Registre(depuis_url(schema_postgres), registre.territoire)
        for n in originaux:
            original, clone = lecteur.demande(n), lecteur.demande(f"{n}X1")
            assert clone.numero_unique == f"{n}X1"
            for a, b in zip(clone.faits, original.faits, strict=True):
                da, db = _sans_identite(a), _sans_identite(b)
                assert da == db, n
        lecteur.close()
    finally:
        registre.close()
