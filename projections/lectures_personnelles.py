"""Read minimisation and the journal of the reads of personal data (RGPD art. 5.1.c and 5.1.f;
docs/donnees-personnelles.md).

Whether a reader sees a demand's personal data is one rule, asked here (`peut_lire`) of
`domain.permissions.lecture_personnelle` (guichets, bailleurs, réservataires and the Etat; an
auditeur only if the territory file grants it; the demandeur for their own demand). When the
reader sees them, the read — who, when, which demand, through what — is recorded in
`ledger_lectures_personnelles` before the answer leaves (`noter`, `voit`). The JSON API, the
pages, the feed, the minutes, the search and the SNE exports all go through this module, so that
a reader sees the same thing everywhere and no read of personal data goes unrecorded. A demand
whose personal data are erased shows none: its reads are not recorded.

GET /demandes/{n}/lectures lists a demand's journal to the organisations
`permissions.journal_des_lectures` allows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import msgspec
import sqlalchemy as sa

from adapters.registre import Registre
from adapters.tables import lectures_personnelles as table
from domain import horloge, permissions
from domain.demande import Demande
from domain.foyer import DonneesPersonnelles
from domain.territoire import Organisation
from projections.historique import EntreeHistorique, historique, sans_donnees_personnelles
from projections.listes import Page, borner, lire_curseur, page_de
from projections.vue_demande import Reserve, VueDemande, vue_courante

DEMANDEUR = "DEMANDEUR"  # the "organisation" of a read by the applicant, with their access code
EXPLOITATION = "EXPLOITATION"  # of a read through the CLI (an SNE export)


class Lecteur(msgspec.Struct, frozen=True):
    """Who reads: an organisation's agent; or, without an organisation, the demandeur
    (`DEMANDEUR`) or whoever runs the CLI on the ledger's machine (`EXPLOITATION`)."""

    organisation: Organisation | None
    agent: str
    code: str = DEMANDEUR  # recorded when there is no organisation


LECTEUR_DEMANDEUR = Lecteur(None, "code d'accès")


class LecturePersonnelle(msgspec.Struct, frozen=True):
    id: int
    demande: str
    lu_le: datetime
    organisation: str
    agent: str
    quoi: str


def a_des_donnees(d: Demande) -> bool:
    """Whether the demand holds personal data a read could show (none once erased)."""
    return not d.etat.effacee


def peut_lire(lecteur: Lecteur) -> bool:
    return lecteur.organisation is None or permissions.lecture_personnelle(lecteur.organisation)


def voit(registre: Registre, lecteur: Lecteur, demande: Demande, quoi: str) -> bool:
    """Whether `lecteur` sees `demande`'s personal data in this read; the read is recorded when
    they do (and the demand still has any)."""
    if not peut_lire(lecteur):
        return False
    if a_des_donnees(demande):
        noter(registre, lecteur, [demande.numero_unique], quoi)
    return True


def noter(registre: Registre, lecteur: Lecteur, numeros: Iterable[str], quoi: str) -> None:
    """Records reads of these demands' personal data by `lecteur`, at this instant (on the
    primary: a read replica is read only)."""
    maintenant = horloge.maintenant()
    org = lecteur.organisation.code if lecteur.organisation is not None else lecteur.code
    lignes = [
        {"demande": n, "lu_le": maintenant, "organisation": org, "agent": lecteur.agent, "quoi": quoi}
        for n in dict.fromkeys(numeros)
    ]
    if lignes:
        with registre.engine.begin() as conn:
            conn.execute(sa.insert(table), lignes)


# -- what the reads show --------------------------------------------------------------------------


def vue_pour(registre: Registre, lecteur: Lecteur, numero_unique: str, jour: date) -> VueDemande:
    """GET /demandes/{n}: the current state, personal data as `lecteur` may see them."""
    v = vue_courante(registre, numero_unique, jour)
    visible = peut_lire(lecteur)
    if visible and isinstance(v.personnel, DonneesPersonnelles):  # the demand is not erased
        noter(registre, lecteur, [numero_unique], "vue")
    return _vue_vue_par(v, visible)


def _vue_vue_par(v: VueDemande, visible: bool) -> VueDemande:
    if visible or not isinstance(v.personnel, DonneesPersonnelles):
        return v
    return msgspec.structs.replace(v, personnel=Reserve())


def page_pour(
    registre: Registre, lecteur: Lecteur, demande: Demande, v: VueDemande
) -> tuple[VueDemande, list[EntreeHistorique]]:
    """The demand page (its demand loaded once, `v` its state): the state and the history as
    `lecteur` may see them, one read recorded for the page."""
    visible = voit(registre, lecteur, demande, "page")
    entrees = historique(demande)
    return _vue_vue_par(v, visible), entrees if visible else sans_donnees_personnelles(entrees)


def historique_pour(registre: Registre, lecteur: Lecteur, demande: Demande, quoi: str = "historique") -> list[EntreeHistorique]:
    """The partner-traceable history as `lecteur` may see it: personal fields and free text
    read `réservé` for a reader who may not read them."""
    entrees = historique(demande)
    if voit(registre, lecteur, demande, quoi):
        return entrees
    return sans_donnees_personnelles(entrees)


# -- the journal ------------------------------------------------------------------------------------


def lectures(registre: Registre, numero_unique: str, limite: int | None = None, apres: str | None = None) -> Page:
    """The reads of a demand's personal data, oldest first, a page at a time."""
    registre.demande(numero_unique)  # 404 for an unknown demand
    n = borner(limite)
    cle = lire_curseur(apres, 1)
    q = sa.select(table).where(table.c.demande == numero_unique).order_by(table.c.id).limit(n + 1)
    if cle:
        q = q.where(table.c.id > int(cle[0]))
    with registre.engine.connect() as conn:
        lignes = [
            LecturePersonnelle(r.id, r.demande, _utc(r.lu_le), r.organisation, r.agent, r.quoi)
            for r in conn.execute(q)
        ]
    return page_de(lignes, n, lambda x: [x.id])


def _utc(t: datetime) -> datetime:
    # SQLite gives the instant back without its offset; it was written in UTC.
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)
