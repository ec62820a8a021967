"""The partner event feed (`GET /flux`): the log in global order, one page at a time, as the
calling organisation may see it — the model is the eventsourcing library's notification log and
its readers: a reader keeps the position of the last event it handled and asks for what comes
after it; positions only grow, and an event is never shown at a position below one already
shown (the store's table lock, EVENTSOURCING-NOTES.md), so a reader that keeps its position sees
every event once, in order, across restarts.

Each event is given with its position, its demand (numéro unique) or dwelling, its type, its
dates (occurred_on, recorded_at), who recorded it (organisation, agent, channel), its public
fields as stored, and its personal data only for an organisation that may read them
(`domain.permissions.lecture_personnelle`): for any other, the personal data are never even
decrypted, and the entry says only that there were some. The free text an event holds (a
recours decision's motivation, a retraction's motif: `champs_personnels`) is personal data too:
decrypted into `champs` for a reader who may read it, `réservé` for any other, and empty once
the demand is erased, including in rows written before it was encrypted. Every read of personal
data through the feed is recorded (projections/lectures_personnelles.py). Every organisation of
the territory sees every event of its demands (R.441-2-6)."""

from __future__ import annotations

import base64
import threading
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.utils import resolve_topic

from adapters.chaine import empreintes_de
from adapters.lignes_du_log import lignes_de
from adapters.mapper import CHAMP_PERSONNEL, CHAMP_PRIVES, aad, aad_prives, champs_personnels
from adapters.registre import Registre
from domain.territoire import Organisation
from projections.historique import RESERVE
from projections.lectures_personnelles import Lecteur, noter, peut_lire

LIMITE_MAX = 1000
_ENTETE = ("occurred_on", "organisation", "agent", "canal", "timestamp")
_decodeur = msgspec.json.Decoder()


class EvenementFlux(msgspec.Struct, omit_defaults=True):
    position: int
    type: str  # the event's name, e.g. "Modifiee"
    agregat: str  # "demande" or "logement"
    version: int  # the event's number on its demand (or dwelling)
    occurred_on: date
    recorded_at: datetime
    organisation: str
    agent: str
    canal: str
    champs: dict[str, Any]  # the public fields, as stored
    demande: str | None = None  # numéro unique
    logement: str | None = None  # the dwelling's identifier
    personnel: Any = None  # personal data, for an organisation that may read them
    personnel_masque: bool = False  # there are personal data, not shown to this organisation
    personnel_efface: bool = False  # there were personal data, erased for good
    # The event's hash in the log's chain (hex; docs/integrity.md): a partner keeps it and can
    # ask GET /integrite/preuves/inclusion?position=… for the proof it is in a checkpoint.
    chaine: str = ""


class PageFlux(msgspec.Struct):
    evenements: list[EvenementFlux]
    suivant: int  # the position to ask after next time (`apres`)
    fin: int  # the log's last position when this page was read


class _Noms:
    """Each aggregate's identifier (numéro unique, dwelling), read once from its first event,
    where it is in clear."""

    def __init__(self) -> None:
        self._noms: dict[UUID, tuple[str, str]] = {}
        self._verrou = threading.Lock()

    def de(self, registre: Registre, ids: set[UUID]) -> dict[UUID, tuple[str, str]]:
        with self._verrou:
            manquants = [i for i in ids if i not in self._noms]
        if manquants:
            trouves = _premiers_evenements(registre, manquants)
            with self._verrou:
                if len(self._noms) > 200_000:
                    self._noms.clear()
                for i, (_topic, state) in trouves.items():
                    etat = _decodeur.decode(state)
                    if "numero_unique" in etat:
                        self._noms[i] = ("demande", etat["numero_unique"])
                    else:
                        self._noms[i] = ("logement", etat.get("identifiant", str(i)))
        with self._verrou:
            return {i: self._noms[i] for i in ids if i in self._noms}


_NOMS = _Noms()


def page(registre: Registre, organisation: Organisation, apres: int, limite: int = 100, agent: str = "") -> PageFlux:
    limite = max(1, min(limite, LIMITE_MAX))
    fin = registre.position()
    notifications = registre.notifications(apres, limite)
    noms = _NOMS.de(registre, {_uuid(n.originator_id) for n in notifications})
    lecteur = Lecteur(organisation, agent)
    personnel_lisible = peut_lire(lecteur)
    lus: list[str] = []  # the demands whose personal data this page shows
    hashes = empreintes_de(registre.stockage, registre.engine, notifications[0].id, notifications[-1].id) if notifications else {}
    out = []
    for n in notifications:
        oid = _uuid(n.originator_id)
        etat: dict[str, Any] = _decodeur.decode(n.state)
        agregat, nom = noms.get(oid, ("demande", str(oid)))
        entree: dict[str, Any] = {}
        chiffre = etat.pop(CHAMP_PERSONNEL, None)
        if isinstance(chiffre, dict) and "chiffre" in chiffre:
            if personnel_lisible:
                clair = registre.coffre.dechiffrer(
                    oid, aad(oid, n.originator_version), base64.b64decode(chiffre["chiffre"])
                )
                if clair is None:
                    entree["personnel_efface"] = True
                else:
                    entree["personnel"] = _decodeur.decode(clair)
                    if agregat == "demande":
                        lus.append(nom)
            else:
                entree["personnel_masque"] = True
        textes = _textes_libres(registre, n, oid, etat, personnel_lisible)
        if textes == "lu":
            if agregat == "demande":
                lus.append(nom)
        elif textes == "masque":
            entree["personnel_masque"] = True
        elif textes == "efface":
            entree["personnel_efface"] = True
        out.append(
            EvenementFlux(
                position=n.id,
                type=n.topic.rsplit(".", 1)[-1],
                agregat=agregat,
                version=n.originator_version,
                occurred_on=date.fromisoformat(etat.pop("occurred_on")),
                recorded_at=datetime.fromisoformat(etat.pop("timestamp")),
                organisation=etat.pop("organisation"),
                agent=etat.pop("agent"),
                canal=etat.pop("canal"),
                champs=etat,
                demande=nom if agregat == "demande" else None,
                logement=nom if agregat == "logement" else None,
                chaine=hashes[n.id].hex() if n.id in hashes else "",
                **entree,
            )
        )
    noter(registre, lecteur, lus, "flux")
    return PageFlux(evenements=out, suivant=out[-1].position if out else apres, fin=max(fin, out[-1].position if out else 0))


def _textes_libres(registre: Registre, n: Any, oid: UUID, etat: dict[str, Any], lisible: bool) -> str | None:
    """The event's free text in `etat` as the reader may see it: "lu" (shown), "masque" (there
    is some, not shown to this reader), "efface" (erased with the demand's key), None (none)."""
    try:
        noms = champs_personnels(resolve_topic(n.topic))
    except Exception:  # a topic this version does not know: shown as stored
        return None
    if not noms:
        return None
    prives = etat.pop(CHAMP_PRIVES, None)
    if isinstance(prives, dict) and "chiffre" in prives:
        if not lisible:
            return "masque"
        clair = registre.coffre.dechiffrer(
            oid, aad_prives(oid, n.originator_version), base64.b64decode(prives["chiffre"])
        )
        if clair is None:
            return "efface"
        etat.update(_decodeur.decode(clair))
        return "lu"
    ecrits = [k for k in noms if etat.get(k)]  # a row written before the text was encrypted
    if not ecrits:
        return None
    if registre.coffre.cle(oid) is None:
        etat.update(dict.fromkeys(ecrits, ""))
        return "efface"
    if not lisible:
        etat.update(dict.fromkeys(ecrits, RESERVE))
        return "masque"
    return "lu"


def _uuid(x: Any) -> UUID:
    return x if isinstance(x, UUID) else UUID(str(x))


def _premiers_evenements(registre: Registre, ids: list[UUID]) -> dict[UUID, tuple[str, bytes]]:
    lignes = lignes_de(registre, ids, ("originator_id", "topic", "state"), premieres=True)
    return {i: (topic, state) for i, topic, state in lignes}