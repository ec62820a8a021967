"""Web sessions of the agents who use the ledger's pages, and the token every form carries
against cross-site request forgery: security plumbing, kept out of the HTTP routers.

An agent signs in with their credential (the access token the territory gives them, as for the
API) and gets a session cookie: the agent's identifier, its expiry and a random nonce, signed with
HMAC-SHA256 under a key kept outside the database (LEDGER_SECRET_SESSION, else the file
`secret-session` of the data directory, like the demandeur's secret). Nothing is stored per
session: the signature and the expiry are checked on every request, and the agent must still
belong to the territory. Signing out forgets the cookie in the browser and revokes its nonce in
this process until it would have expired; a server restarted meanwhile, or another server, still
honours it until its expiry (8 hours by default, LEDGER_SESSION_HEURES): keep it short.

The CSRF token of a session is an HMAC of its nonce (a synchronizer token that needs no storage);
before sign-in, the sign-in and demandeur forms use a random token set both in a cookie and in the
form (double submit)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

from adapters.code_demandeur import charger_cle
from adapters.database import Stockage
from domain import horloge

VARIABLE_SECRET = "LEDGER_SECRET_SESSION"
FICHIER_SECRET = "secret-session"
VARIABLE_DUREE = "LEDGER_SESSION_HEURES"
DUREE_HEURES = 8
CONTEXTE_SESSION = b"demand-ledger:session:v1:"
CONTEXTE_CSRF = b"demand-ledger:csrf:v1:"


def charger_secret(stockage: Stockage) -> bytes:
    return charger_cle(stockage, VARIABLE_SECRET, FICHIER_SECRET)


def duree_secondes() -> int:
    brut = os.environ.get(VARIABLE_DUREE)
    heures = float(brut) if brut else DUREE_HEURES
    return max(int(heures * 3600), 60)


@dataclass(frozen=True)
class Session:
    agent: str  # the agent's identifier in the territory
    expire: int  # Unix seconds
    nonce: str


def _b64(x: bytes) -> str:
    return base64.urlsafe_b64encode(x).decode().rstrip("=")


def _deb64(x: str) -> bytes:
    return base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))


def _maintenant() -> int:
    return int(horloge.maintenant().timestamp())


class Sessions:
    """Signs and checks session cookies with one key; remembers the nonces signed out here."""

    def __init__(self, cle: bytes) -> None:
        self.cle = cle
        self._revoquees: dict[str, int] = {}
        self._verrou = threading.Lock()

    def ouvrir(self, agent: str) -> tuple[str, Session]:
        """A new session for `agent`: the cookie's value and what it holds."""
        s = Session(agent, _maintenant() + duree_secondes(), secrets.token_urlsafe(18))
        corps = _b64(json.dumps({"a": s.agent, "e": s.expire, "n": s.nonce}, separators=(",", ":")).encode())
        return f"{corps}.{self._signer(CONTEXTE_SESSION, corps)}", s

    def lire(self, valeur: str | None) -> Session | None:
        """The session a cookie holds, or None: forged, expired or signed out."""
        if not valeur or valeur.count(".") != 1:
            return None
        corps, signature = valeur.split(".")
        if not hmac.compare_digest(signature, self._signer(CONTEXTE_SESSION, corps)):
            return None
        try:
            brut = json.loads(_deb64(corps))
            s = Session(str(brut["a"]), int(brut["e"]), str(brut["n"]))
        except (ValueError, KeyError, TypeError):
            return None
        if s.expire <= _maintenant():
            return None
        with self._verrou:
            if s.nonce in self._revoquees:
                return None
        return s

    def fermer(self, s: Session) -> None:
        """Sign-out: this nonce is refused from now on (in this process)."""
        now = _maintenant()
        with self._verrou:
            self._revoquees = {n: e for n, e in self._revoquees.items() if e > now}
            self._revoquees[s.nonce] = s.expire

    def jeton_csrf(self, s: Session) -> str:
        return self._signer(CONTEXTE_CSRF, s.nonce)

    def csrf_valable(self, s: Session, jeton: str | None) -> bool:
        return bool(jeton) and hmac.compare_digest(str(jeton), self.jeton_csrf(s))

    def _signer(self, contexte: bytes, texte: str) -> str:
        return _b64(hmac.new(self.cle, contexte + texte.encode(), hashlib.sha256).digest())


def jeton_anonyme() -> str:
    """The double-submit token of a form shown before sign-in."""
    return secrets.token_urlsafe(24)


def expiration(s: Session) -> datetime:
    return datetime.fromtimestamp(s.expire, tz=horloge.FUSEAU)
