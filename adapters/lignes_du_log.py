"""The log's stored rows of many demands at once: one query on PostgreSQL (`= ANY`), a query per
500 on SQLite (its limit on bound parameters), whoever asks — an import reading back the demands
of its batch, the partner feed the first events of a page's demands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg.rows import tuple_row

if TYPE_CHECKING:
    from adapters.registre import Registre

PAR_REQUETE_SQLITE = 500


def lignes_de(
    registre: Registre, ids: Sequence[UUID], colonnes: Sequence[str], *, premieres: bool = False
) -> list[tuple[Any, ...]]:
    """These demands' rows, `colonnes` of each, in (originator_id, originator_version) order;
    `premieres`: their first event only. The first column, when it is originator_id, comes as a
    UUID on either store, and a bytes column as bytes."""
    if not ids:
        return []
    rec: Any = registre.recorder
    table = rec.events_table_name
    choix = ", ".join(colonnes)
    version = "originator_version = 1 AND " if premieres else ""
    ordre = " ORDER BY originator_id, originator_version"
    if registre.stockage.postgres:
        with rec.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
            cur.execute(
                f'SELECT {choix} FROM "{rec.datastore.schema}"."{table}" WHERE {version}originator_id = ANY(%s){ordre}',
                (list(ids),),
            )
            lignes = cur.fetchall()
    else:
        lignes = []
        with rec.datastore.transaction(commit=False) as c:
            for k in range(0, len(ids), PAR_REQUETE_SQLITE):
                part = [i.hex for i in ids[k : k + PAR_REQUETE_SQLITE]]
                marques = ",".join("?" * len(part))
                c.execute(f"SELECT {choix} FROM {table} WHERE {version}originator_id IN ({marques}){ordre}", part)
                lignes += c.fetchall()
    premier_id = colonnes[0] == "originator_id"
    return [tuple(_valeur(v, premier_id and n == 0) for n, v in enumerate(ligne)) for ligne in lignes]


def _valeur(v: Any, ident: bool) -> Any:
    if ident:
        return v if isinstance(v, UUID) else UUID(str(v))
    return bytes(v) if isinstance(v, memoryview) else v
