"""The read models' owner on PostgreSQL (adapters/schema.py, docs/operations.md "Roles"): `ledger
init` gives it the live read models of a store created before that role existed."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from projections.suivi import Suiveur, suivi, versions


def adopter(suiveurs: Iterable[Suiveur]) -> list[str]:
    """Give the read models' live tables to the role that owns read models (`ledger init`, run
    by their current owner, on a store whose read models were created before that role): any
    member process may then rebuild and swap them. Returns the tables given."""
    liste = list(suiveurs)
    if not liste or liste[0].registre.role_modeles is None:
        return []
    registre = liste[0].registre
    role = registre.role_modeles
    noms = [suivi.name, versions.name] + [
        t.name for s in liste for t in s.tables + s.projection.annexes("")
    ]
    donnees: list[str] = []
    with registre.engine.begin() as conn:
        for nom in noms:
            proprietaire = conn.execute(
                sa.text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = :t"),
                {"t": nom},
            ).scalar()
            if proprietaire is not None and proprietaire != role:
                conn.exec_driver_sql(f"ALTER TABLE {nom} OWNER TO {role}")
                donnees.append(nom)
    return donnees
