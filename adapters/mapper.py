"""Stored events encoded with msgspec, typed: dates, datetimes, decimals, enums and nested
structures come back exactly as written. A field named `personnel` holds personal data and is
encrypted with its demand's own key before it reaches the store (docs/donnees-personnelles.md).

Free text an organisation writes about a demand (a recours decision's motivation, a retraction's
motif, a missing pièce) is personal data too: the fields an event class names in
`champs_personnels` are taken out of the stored state and encrypted together under the demand's
key, in `prives`. They read back as written while the key exists, and as empty (their default,
else "") once it is destroyed. Rows written before (those fields in clear in the state) decode as
they always did, except that once their demand is erased the mapper reads them as empty too: the
bytes of an old row cannot change (the log is immutable), but no read shows them any more."""

from __future__ import annotations

import base64
import dataclasses
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from adapters.cles import Coffre

CHAMP_PERSONNEL = "personnel"
CHAMP_PRIVES = "prives"  # the encrypted free-text fields of an event (`champs_personnels`)
CHIFFRE = b'"chiffre"'  # how an encrypted personal field (or free text) shows in a stored state
_EFFACE = {"type": "efface"}
_EFFACE_JSON = msgspec.json.encode(_EFFACE)
_MARQUE = b'"personnel":{"chiffre":"'  # an encrypted personal field, as `to_stored_event` writes it


class LedgerMapper(Mapper[UUID]):
    def __init__(self, coffre: Coffre) -> None:
        # No transcoder, compressor or cipher of the library's: msgspec does the encoding and
        # encryption is per demand, not per application.
        self.coffre = coffre
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()
        self._types: dict[str, msgspec.json.Decoder[Any] | None] = {}  # per topic, for depuis_ligne
        self._dernier: tuple[UUID | None, bytes] = (None, b"")  # depuis_ligne's last id, and its text

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        etat = dict(vars(domain_event))
        for champ in getattr(domain_event, "champs_ajoutes", ()):
            # A field added to an event class later is written only when set: an event that
            # does not use it is stored exactly as before the field existed.
            if etat.get(champ) is None:
                etat.pop(champ, None)
        for nom, defaut in champs_recents(type(domain_event)).items():
            # A field added to the class since logs were written: stored only when used, so an
            # event that does not use it is written as before (tests/storage/test_journal_ancien.py).
            if nom in etat and etat[nom] == defaut:
                del etat[nom]
        originator_id = etat.pop("originator_id")
        version = etat.pop("originator_version")
        if etat.get(CHAMP_PERSONNEL) is not None:
            clair = self._encoder.encode(etat[CHAMP_PERSONNEL])
            chiffre = self.coffre.chiffrer(originator_id, aad(originator_id, version), clair)
            etat[CHAMP_PERSONNEL] = {"chiffre": base64.b64encode(chiffre).decode()}
        noms = champs_personnels(type(domain_event))
        if noms:
            # Only what holds text: an empty or absent field stays as it was ("" or null).
            prives = {n: etat.pop(n) for n in noms if etat.get(n)}
            if prives:
                clair = self._encoder.encode(prives)
                chiffre = self.coffre.chiffrer(originator_id, aad_prives(originator_id, version), clair)
                etat[CHAMP_PRIVES] = {"chiffre": base64.b64encode(chiffre).decode()}
        return StoredEvent(
            originator_id=originator_id,
            originator_version=version,
            topic=get_topic(type(domain_event)),
            state=self._encoder.encode(etat),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        originator_id = stored_event.originator_id
        if not isinstance(originator_id, UUID):
            originator_id = UUID(str(originator_id))
        try:
            etat: dict[str, Any] = self._decoder.decode(stored_event.state)
            personnel = etat.get(CHAMP_PERSONNEL)
            if isinstance(personnel, dict) and "chiffre" in personnel:
                clair = self.coffre.dechiffrer(
                    originator_id,
                    aad(originator_id, stored_event.originator_version),
                    base64.b64decode(personnel["chiffre"]),
                )
                etat[CHAMP_PERSONNEL] = _EFFACE if clair is None else self._decoder.decode(clair)
            noms = champs_personnels(cls)
            if noms:
                self._prives(cls, etat, noms, originator_id, stored_event.originator_version)
            etat["originator_id"] = originator_id
            etat["originator_version"] = stored_event.originator_version
            return msgspec.convert(etat, type=cls)
        except Exception as e:
            raise MapperDeserialisationError(
                f"cannot decode event {stored_event.originator_id} v{stored_event.originator_version} "
                f"({stored_event.topic}): {e}"
            ) from e

    def _prives(
        self, cls: type, etat: dict[str, Any], noms: frozenset[str], originator_id: UUID, version: int
    ) -> None:
        prives = etat.pop(CHAMP_PRIVES, None)
        if isinstance(prives, dict) and "chiffre" in prives:
            clair = self.coffre.dechiffrer(
                originator_id, aad_prives(originator_id, version), base64.b64decode(prives["chiffre"])
            )
            if clair is not None:
                etat.update(self._decoder.decode(clair))
            else:
                etat.update(vides(cls))  # erased: the fields read as empty
        elif any(etat.get(n) for n in noms) and self.coffre.cle(originator_id) is None:
            # A row written before these fields were encrypted, of a demand since erased.
            etat.update({n: v for n, v in vides(cls).items() if etat.get(n)})

    def depuis_ligne(self, originator_id: Any, version: int, topic: str, state: bytes) -> Any:
        """The domain event of a stored row, as `to_domain_event` gives it, decoded in one step
        by a decoder typed for its class (no intermediate dict, no `convert`): what a rebuild
        reading millions of rows wants. An encrypted personal field is decrypted and its clear
        JSON put in its place before decoding. A state of another shape, one the typed decoder
        refuses, or an unknown topic goes the ordinary way (same event or same error)."""
        if state[:1] == b"{" and (decodeur := self._decodeur_type(topic)) is not None:
            oid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            corps = state[1:]
            if CHIFFRE in corps:
                corps = self._en_clair(oid, version, corps)
            if corps is not None:
                # The row's id and version go in front of the stored fields, as
                # `to_domain_event` adds them to the decoded dict.
                dernier = self._dernier  # one attribute, read and written whole: threads share it
                if dernier[0] != oid:  # a rebuild reads a demand's rows one after another
                    dernier = self._dernier = (oid, str(oid).encode())
                tete = b'{"originator_id":"%s","originator_version":%d' % (dernier[1], version)
                try:
                    return decodeur.decode(tete + (b"," + corps if corps != b"}" else corps))
                except msgspec.DecodeError:
                    pass
        return self.to_domain_event(
            StoredEvent(originator_id=originator_id, originator_version=version, topic=topic, state=bytes(state))
        )

    def _decodeur_type(self, topic: str) -> msgspec.json.Decoder[Any] | None:
        try:
            return self._types[topic]
        except KeyError:
            pass
        try:
            cls = resolve_topic(topic)
            # A class with free text in the encrypted part (`champs_personnels`) goes the
            # ordinary way: its fields are spliced back from `prives`, or read empty once erased.
            decodeur: msgspec.json.Decoder[Any] | None = (
                None if champs_personnels(cls) else msgspec.json.Decoder(cls)
            )
        except Exception:  # noqa: BLE001 - an unknown topic: the ordinary way says so
            decodeur = None
        self._types[topic] = decodeur
        return decodeur

    def _en_clair(self, oid: UUID, version: int, corps: bytes) -> bytes | None:
        """The stored fields with the encrypted personal field replaced by its clear JSON (or
        the erased marker), None when the field is not where the encoder puts it."""
        debut = corps.find(_MARQUE)
        fin = corps.find(b'"}', debut + len(_MARQUE)) if debut >= 0 else -1
        if fin < 0:
            return None
        chiffre = base64.b64decode(corps[debut + len(_MARQUE) : fin])
        clair = self.coffre.dechiffrer(oid, aad(oid, version), chiffre)
        return corps[:debut] + b'"personnel":' + (_EFFACE_JSON if clair is None else clair) + corps[fin + 2 :]


@cache
def champs_personnels(cls: type) -> frozenset[str]:
    """The free-text fields of an event class stored in its encrypted part."""
    return frozenset(getattr(cls, "champs_personnels", frozenset()))


@cache
def vides(cls: type) -> dict[str, Any]:
    """What each free-text field of `cls` reads as once erased: its default, else ""."""
    noms = champs_personnels(cls)
    return {
        f.name: "" if f.default is dataclasses.MISSING else f.default
        for f in dataclasses.fields(cls)
        if f.name in noms
    }


@cache
def champs_recents(cls: type) -> dict[str, Any]:
    """The fields added to an event class since logs were written with it, with their defaults."""
    noms: frozenset[str] = getattr(cls, "champs_recents", frozenset())
    if not noms:
        return {}
    return {f.name: f.default for f in dataclasses.fields(cls) if f.name in noms}


def aad(originator_id: UUID, version: int) -> bytes:
    # Binds each ciphertext to its event, so a personal field cannot be moved to another row.
    return originator_id.bytes + version.to_bytes(8, "big")


def aad_prives(originator_id: UUID, version: int) -> bytes:
    # Bound to the event and to this part: it cannot be swapped with the event's `personnel`.
    return aad(originator_id, version) + b"prives"
