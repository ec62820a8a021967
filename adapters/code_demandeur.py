"""The demandeur's access code: security plumbing, kept out of the HTTP routers so that the JSON
endpoint and a future page check a code the same way.

Demandeurs hold no agent token. Product rule (docs/demandeur.md): each demand has an access code,
an HMAC of its numéro unique under a server secret, that a guichet or bailleur obtains and hands
to the applicant. Nothing is stored per demand: the code is computed again to check it, in
constant time. The secret is LEDGER_SECRET_DEMANDEUR, else a file of the data directory generated
on first use; changing it withdraws every code handed out."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

from adapters.database import ConfigurationError, Stockage

VARIABLE_SECRET = "LEDGER_SECRET_DEMANDEUR"
VARIABLE_DOSSIER = "LEDGER_DATA_DIR"
FICHIER_SECRET = "secret-demandeur"
LONGUEUR_MINIMALE_SECRET = 32  # characters of LEDGER_SECRET_DEMANDEUR
OCTETS_CODE = 15  # 120 bits: 24 base32 characters
CONTEXTE_CODE = b"demand-ledger:code-demandeur:v1:"


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
    return charger_cle(stockage, VARIABLE_SECRET, FICHIER_SECRET)


def charger_cle(stockage: Stockage, variable: str, fichier: str) -> bytes:
    """A server key kept outside the database: the environment variable `variable` if set, else
    the file `fichier` of the data directory, generated on first use (mode 0600) and kept. The
    demandeur's codes, the web sessions and the search index each have their own."""
    donne = os.environ.get(variable)
    if donne:
        if len(donne) < LONGUEUR_MINIMALE_SECRET:
            raise ConfigurationError(
                f"{variable} must be at least {LONGUEUR_MINIMALE_SECRET} characters"
            )
        return donne.encode()
    dossier = dossier_donnees(stockage)
    chemin = dossier / fichier
    if not chemin.exists():
        dossier.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked in place: a concurrent first use reads either nothing
        # (and links its own, which fails) or the whole secret, never half of it.
        fd, provisoire = tempfile.mkstemp(dir=dossier, prefix=f".{fichier}.")
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
        raise ConfigurationError(f"{chemin}: the key is empty or too short")
    return secret.encode()


def code_demandeur(secret: bytes, numero_unique: str) -> str:
    """HMAC-SHA256 of the numéro unique, 120 bits in base32, in groups of four to read aloud:
    e.g. `K7QM-2XZA-…` (24 characters)."""
    mac = hmac.new(secret, CONTEXTE_CODE + numero_unique.encode(), hashlib.sha256).digest()
    brut = base64.b32encode(mac[:OCTETS_CODE]).decode()
    return "-".join(brut[i : i + 4] for i in range(0, len(brut), 4))


def _normaliser(code: str) -> bytes:
    # Typed with or without its dashes or spaces, in any case.
    return code.replace("-", "").replace(" ", "").upper().encode()


def code_valable(secret: bytes, numero_unique: str, code: str) -> bool:
    """Constant-time: as long for any numéro, existing or not, and any wrong code."""
    return hmac.compare_digest(_normaliser(code_demandeur(secret, numero_unique)), _normaliser(code))
