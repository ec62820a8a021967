"""SQLAlchemy tables the ledger keeps beside its event log: demand keys and numbering.
Read models declare their own tables in projections/."""

import sqlalchemy as sa

metadata = sa.MetaData()

# One AES-GCM key per demand (crypto-shredding, DOMAIN.md §8). Erasure nulls the key: the row
# stays, so "erased" and "never had personal data" are told apart.
cles_demandes = sa.Table(
    "ledger_cles_demandes",
    metadata,
    sa.Column("demande_id", sa.String(36), primary_key=True),
    sa.Column("cle", sa.LargeBinary, nullable=True),
    sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False),
    sa.Column("efface_le", sa.DateTime(timezone=True), nullable=True),
)

# SQLite has no sequences: AUTOINCREMENT never hands out a rowid twice, even after a rollback
# of the row that took it, which is what "never reused" needs.
numerotation = sa.Table(
    "ledger_numerotation",
    metadata,
    sa.Column("sequence", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("territoire", sa.String(3), nullable=False),
    sqlite_autoincrement=True,
)

# Idempotency-Key (IETF httpapi draft): the first answer to a command, stored in the transaction
# that appended its events, replayed to a retry with the same key and body (adapters/idempotence.py).
idempotence = sa.Table(
    "ledger_idempotence",
    metadata,
    sa.Column("organisation", sa.String(64), primary_key=True),
    sa.Column("cle", sa.String(255), primary_key=True),
    sa.Column("empreinte", sa.String(64), nullable=False),  # SHA-256 of method, path and body
    sa.Column("statut", sa.Integer, nullable=False),
    sa.Column("corps", sa.LargeBinary, nullable=False),
    sa.Column("entetes", sa.Text, nullable=False),  # JSON object
    sa.Column("cree_le", sa.DateTime(timezone=True), nullable=False, index=True),
)

# The journal of the reads of personal data (RGPD art. 5.1.f and 32, traceability of access):
# who (organisation and agent, or the demandeur with their access code) read which demand's
# personal data, when, and through what. A table beside the log, never in it: a read is not a
# fact of the demand. It holds no personal data of the applicant but the numéro unique.
lectures_personnelles = sa.Table(
    "ledger_lectures_personnelles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("demande", sa.String(64), nullable=False),
    sa.Column("lu_le", sa.DateTime(timezone=True), nullable=False),
    sa.Column("organisation", sa.String(64), nullable=False),
    sa.Column("agent", sa.String(100), nullable=False),
    sa.Column("quoi", sa.String(40), nullable=False),  # vue, historique, flux, sne, demandeur…
    sa.Index("ledger_lectures_personnelles_demande", "demande", "id"),
    sqlite_autoincrement=True,
)

# The files of the dossier unique's pièces, when uploaded (CCH R.441-2-4): personal data,
# encrypted under the demand's key (adapters/pieces.py), so that erasing the key makes them
# unreadable while the pièce's event (type, member, SHA-256, size) stays in the log.
fichiers_pieces = sa.Table(
    "ledger_fichiers_pieces",
    metadata,
    sa.Column("demande_id", sa.String(36), primary_key=True),
    sa.Column("piece", sa.Integer, primary_key=True),  # the pièce déposée's event number
    sa.Column("chiffre", sa.LargeBinary, nullable=False),
    sa.Column("recu_le", sa.DateTime(timezone=True), nullable=False),
)

# Signed checkpoints of the hash chain (adapters/integrite.py), as served to partners: the JSON
# document itself, so that it is served again byte for byte.
points_de_controle = sa.Table(
    "ledger_points_de_controle",
    metadata,
    sa.Column("taille", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("document", sa.LargeBinary, nullable=False),
)
