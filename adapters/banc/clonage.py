"""Bench-only data at scale: a ledger's demands cloned into the same log with `COPY`, so that the
figures at a million demands or ten million events (docs/scaling.md) need not wait hours for
the generator (≈ 1,300 events/s through the domain).

Each clone of a demand is a demand of its own: numéro unique suffixed (`…X7`), its id derived
from it as the domain derives ids, its own key row (the original's key bytes, so nothing new is
drawn), its personal field and its encrypted free text decrypted and encrypted again under the
clone's id (each ciphertext is bound to its event by its id and version); a demand whose key was erased stays erased. The
dwellings' events are not cloned: the clones are more demands on the same territory. The clones'
events are appended interleaved in the original log's order (event 1 of every clone, then event
2…), as if the copies had lived side by side. Never for a real ledger: bench schemas only.
"""

from __future__ import annotations

import base64
import os
import sys
from typing import Any
from uuid import UUID

import msgspec

from adapters.banc.postgres import url_libpq

PREFIXE = b"domain.demande:"
_CHIFFRE = b'"chiffre"'


def cloner(base: str, schema: str, debut: int, fin: int, barre: bool = False) -> int:
    """Append clones number `debut` … `fin - 1` of every demand of the schema's log as it stood
    before the first clone; returns the events appended."""
    import psycopg
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from tqdm import tqdm

    from adapters.mapper import CHAMP_PERSONNEL, CHAMP_PRIVES, aad, aad_prives
    from domain.demande import Demande

    decodeur, encodeur = msgspec.json.Decoder(), msgspec.json.Encoder()
    liens = {CHAMP_PERSONNEL: aad, CHAMP_PRIVES: aad_prives}  # each field's associated data
    with psycopg.connect(url_libpq(base)) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        # The originals: the demands whose numéro carries no clone suffix.
        originaux = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events "
            "WHERE topic LIKE 'domain.demande:%' ORDER BY notification_id"
        ).fetchall()
        numeros: dict[UUID, str] = {}
        for oid, v, _, state in originaux:
            if v == 1:
                numeros[oid] = decodeur.decode(state)["numero_unique"]
        originaux = [r for r in originaux if "X" not in numeros[r[0]]]
        cles = dict(conn.execute(
            "SELECT demande_id, cle FROM ledger_cles_demandes"
        ).fetchall())
        (cree_le,) = conn.execute("SELECT max(cree_le) FROM ledger_cles_demandes").fetchone()  # type: ignore[misc]
        copies = range(debut, fin)
        ids = {
            (oid, k): Demande.id_pour(f"{numeros[oid]}X{k}") for oid in numeros if "X" not in numeros[oid]
            for k in copies
        }
        n = 0
        with conn.cursor() as cur:
            with cur.copy("COPY ledger_cles_demandes (demande_id, cle, cree_le) FROM STDIN") as copie:
                for (oid, _), nouveau in ids.items():
                    copie.write_row((str(nouveau), cles.get(str(oid)), cree_le))
            with cur.copy(
                "COPY ledger_events (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
            ) as copie, tqdm(total=len(originaux) * len(copies), disable=not barre, unit="ev",
                             desc="clones", file=sys.stderr) as progres:
                copie.set_types(["uuid", "int8", "text", "bytea"])
                for oid, v, topic, state in originaux:
                    etat: dict[str, Any] | None = None
                    # The encrypted fields in clear: the personal part, the free text.
                    clairs: dict[str, bytes] = {}
                    cle = cles.get(str(oid))
                    if v == 1 or (cle is not None and _CHIFFRE in state):
                        etat = decodeur.decode(state)
                        for champ, lien in liens.items():
                            p = etat.get(champ)
                            if cle is not None and isinstance(p, dict) and "chiffre" in p:
                                brut = base64.b64decode(p["chiffre"])
                                clairs[champ] = AESGCM(cle).decrypt(brut[:12], brut[12:], lien(oid, v))
                    for k in copies:
                        nouveau = ids[(oid, k)]
                        sortie = state
                        if etat is not None:
                            e = dict(etat)
                            if v == 1:
                                e["numero_unique"] = f"{numeros[oid]}X{k}"
                            for champ, clair in clairs.items():
                                nonce = os.urandom(12)
                                e[champ] = {"chiffre": base64.b64encode(
                                    nonce + AESGCM(cle).encrypt(nonce, clair, liens[champ](nouveau, v))  # type: ignore[arg-type]
                                ).decode()}
                            sortie = encodeur.encode(e)
                        copie.write_row((nouveau, v, topic, bytes(sortie)))
                        n += 1
                    progres.update(len(copies))
        conn.commit()
        conn.execute("ANALYZE ledger_events")
    return n
