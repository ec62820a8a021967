"""The blind index of names and birth dates (searching a demand without decrypting every one):
a keyed hash of a person's normalised family name and birth date, under a key kept outside the
database (LEDGER_SECRET_RECHERCHE, else the file `secret-recherche` of the data directory, as
the demandeur's secret). Without the key, the index reveals nothing that a dictionary attack on
names and dates could exploit; with it, the ledger hashes what an agent types and looks the hash
up (`projections.repertoire.rechercher`).

Normalisation, so that the agent need not type the name exactly as the guichet did: accents
dropped, case folded, and every character that is not a letter removed (`Le Goff-Hénaff`,
`LE GOFF HENAFF` and `legoffhenaff` are one name). Changing it, or the key, means rebuilding the
read model (`ledger rebuild repertoire`)."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date

from adapters.code_demandeur import charger_cle as _charger_cle
from adapters.database import Stockage

VARIABLE_SECRET = "LEDGER_SECRET_RECHERCHE"
FICHIER_SECRET = "secret-recherche"
CONTEXTE = b"demand-ledger:index-nom-naissance:v1:"


def charger_cle(stockage: Stockage) -> bytes:
    return _charger_cle(stockage, VARIABLE_SECRET, FICHIER_SECRET)


def normaliser(nom: str) -> str:
    decompose = unicodedata.normalize("NFKD", nom)
    sans_accents = "".join(c for c in decompose if not unicodedata.combining(c))
    return "".join(c for c in sans_accents.casefold() if c.isalpha()).upper()


def empreinte(cle: bytes, nom: str, date_naissance: date) -> str:
    texte = f"{normaliser(nom)}|{date_naissance.isoformat()}".encode()
    return hmac.new(cle, CONTEXTE + texte, hashlib.sha256).hexdigest()
