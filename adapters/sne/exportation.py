"""Exporting the ledger's demands in the national exchange format (SNE interfaceNuu), from the
log, as of any date: each demand's state on that date (its events up to it, with what the
schedule owed it by then counted as fallen due, as any read of a date does), written one demand
at a time. By default the demands active on that date; radiated ones too on request.

The file is dated on the date it describes (the end of that day), so that importing an export of
a past date into a ledger that has moved on is refused by the rule that a demand's dates never go
backwards, instead of undoing what happened since."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import IO

import msgspec

from adapters.registre import Registre
from adapters.sne import modele as m
from adapters.sne.correspondance import NonExportable, demande_sne
from adapters.sne.ecriture import ecrire
from domain import horloge
from domain.erreurs import RegleEnfreinte


class RapportExport(msgspec.Struct, kw_only=True):
    au: date
    demandes: int = 0  # written
    inactives: int = 0  # not active on that date (left out unless asked for)
    effacees: int = 0  # personal data erased: no identity to export
    inconnues: int = 0  # not yet registered on that date
    # The numéros written: whose personal data left the ledger (the journal of reads).
    exportees: list[str] = msgspec.field(default_factory=list)


def entete(au: date | None) -> m.Entete:
    if au is None or au >= horloge.aujourdhui():
        return m.Entete(date_fichier=horloge.maintenant().astimezone(horloge.FUSEAU))
    return m.Entete(date_fichier=datetime.combine(au, time(23, 59, 59), horloge.FUSEAU))


def demande(registre: Registre, numero_unique: str, au: date | None = None) -> m.DemandeSNE:
    """One demand as of `au` (default today); NonExportable when its personal data are erased,
    RegleEnfreinte (inconnue_a_cette_date) before its registration."""
    jour = au or horloge.aujourdhui()
    d = registre.demande(numero_unique)
    return demande_sne(d.etat_courant(jour, registre.territoire.retention_donnees_mois))


def exporter(
    registre: Registre,
    sortie: IO[bytes],
    au: date | None = None,
    numeros: Iterable[str] | None = None,
    radiees: bool = False,
) -> RapportExport:
    jour = au or horloge.aujourdhui()
    rapport = RapportExport(au=jour)

    def demandes() -> Iterator[m.DemandeSNE]:
        for numero in numeros if numeros is not None else registre.numeros():
            d = registre.demande(numero)
            try:
                etat = d.etat_courant(jour, registre.territoire.retention_donnees_mois)
            except RegleEnfreinte:
                rapport.inconnues += 1
                continue
            if not etat.active and not radiees:
                rapport.inactives += 1
                continue
            try:
                yield demande_sne(etat)
            except NonExportable:
                rapport.effacees += 1
                continue
            rapport.demandes += 1
            rapport.exportees.append(numero)

    ecrire(sortie, entete(au), demandes())
    return rapport
