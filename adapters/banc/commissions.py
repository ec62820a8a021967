"""Figures (j) and (k): the CAL's minutes and the bilan du flux (docs/rules.md and docs/flux.md).

  (j) the minutes of a 40-candidate session (4 dwellings × 10 candidates, every one decided),
      as JSON and as PDF, regenerated from the log, beside the raw read of the session's own
      stored events (one SELECT by originator id, nothing decoded);
  (k) the bilan du flux of a year on the generated history, from the raw log and from the
      statistics read model, beside the raw read of the same events (the rows of the topics the
      bilan reads, nothing decoded).
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from adapters.banc import DEMO
from adapters.banc.mesure import Figure, chrono, dire
from adapters.banc.postgres import schema_neuf

if TYPE_CHECKING:
    from adapters.banc.historique import Historique

CANDIDATS = 40
LOGEMENTS = 4
ESSAIS = 20


def _session_de_40(url: str) -> tuple[object, str]:
    """A registre on the demo territory holding one closed session of 40 candidates."""
    from adapters.database import depuis_url
    from adapters.registre import Lot, Registre
    from adapters.territory_file import load_territory
    from domain import commandes as c
    from domain.cal import MembreCAL
    from domain.codes import (
        FormeSession,
        MotifNonAttribution,
        QualiteMembre,
        RoleMembre,
        StadeReponse,
        TypeDecisionCAL,
        Typologie,
    )
    from domain.foyer import Membre, Souhaits

    t = load_territory(DEMO)
    registre = Registre(depuis_url(url), t)
    oph, jour = t.organisation("OPH-CPL"), date(2026, 11, 5)
    logements = [lg.identifiant for lg in t.logements if lg.bailleur == "OPH-CPL" and lg.vacant][:LOGEMENTS]
    lot = Lot(registre)
    numeros = []
    for i in range(CANDIDATS):
        r = lot.executer(oph, "bench", c.Enregistrer(
            occurred_on=date(2026, 10, 1), membres=(Membre("m1", RoleMembre.demandeur),),
            souhaits=Souhaits(("06029",), (Typologie.T3,)), filed_on=date(2023 + i % 3, 1 + i % 12, 1),  # type: ignore[arg-type]
            anniversaire=date(2027, 6, 1)))
        numeros.append(r.numero_unique)
    lot.sauver()
    for i, n in enumerate(numeros):
        lgt = logements[i % LOGEMENTS]
        lot.executer(oph, "bench", c.Designer(occurred_on=date(2026, 11, 2), logement=lgt), n)
        lot.executer(oph, "bench", c.Accepter(occurred_on=date(2026, 11, 3), logement=lgt, stade=StadeReponse.avant_cal), n)
    lot.sauver()
    s = registre.ouvrir_session(oph, "bench", c.OuvrirSession(
        occurred_on=jour, forme=FormeSession.presentiel,
        membres=(MembreCAL("OPH-CPL", QualiteMembre.bailleur), MembreCAL("CANNES", QualiteMembre.maire),
                 MembreCAL("ETAT-06", QualiteMembre.prefet))))
    for i, n in enumerate(numeros):
        lot.executer(oph, "bench", c.InscrireCAL(occurred_on=jour, logement=logements[i % LOGEMENTS], session=s.identifiant), n)
    lot.sauver()
    for i, n in enumerate(numeros):
        rang = i // LOGEMENTS + 1
        decision = (
            c.DeciderCAL(occurred_on=jour, logement=logements[i % LOGEMENTS], session=s.identifiant,
                         decision=TypeDecisionCAL.attribution_par_classement, rang=rang)
            if rang <= 5 else
            c.DeciderCAL(occurred_on=jour, logement=logements[i % LOGEMENTS], session=s.identifiant,
                         decision=TypeDecisionCAL.non_attribution, motif=MotifNonAttribution.candidat_mieux_classe)
        )
        lot.executer(oph, "bench", decision, n)
    lot.sauver()
    registre.clore_session(oph, "bench", s.identifiant, c.CloreSession(occurred_on=jour))
    return registre, s.identifiant


def figure_j(base: str) -> list[Figure]:
    import sqlalchemy as sa

    from adapters.clock import HorlogeReglable
    from adapters.proces_verbal import pdf_proces_verbal
    from domain.cal import SessionCAL
    from domain.horloge import installer, source
    from projections.commissions import proces_verbal

    precedente = source()
    HorlogeReglable(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)).installer()
    try:
        with schema_neuf(base, "pv") as (_schema, url):
            dire(f"(j) a session of {CANDIDATS} candidates on {LOGEMENTS} dwellings…")
            registre, ident = _session_de_40(url)
            try:
                table = registre.stockage.table_evenements
                sid = SessionCAL.id_pour(ident)

                def brut() -> int:
                    with registre.engine.connect() as conn:  # type: ignore[attr-defined]
                        return len(conn.execute(
                            sa.text(f"SELECT originator_version, topic, state FROM {table} "
                                    "WHERE originator_id = :i ORDER BY originator_version"), {"i": sid}).all())

                lignes = brut()
                t_brut = statistics.median(chrono(brut)[0] for _ in range(ESSAIS))
                t_json = statistics.median(chrono(proces_verbal, registre, ident)[0] for _ in range(ESSAIS))
                pv = proces_verbal(registre, ident)  # type: ignore[arg-type]
                t_pdf = statistics.median(chrono(pdf_proces_verbal, pv)[0] for _ in range(5))
            finally:
                registre.close()  # type: ignore[attr-defined]
    finally:
        installer(precedente)
    return [
        Figure(
            "j", f"minutes of a {CANDIDATS}-candidate session (JSON)", 1000 * t_json, "ms",
            1000 * t_brut, "ms", "raw read of the session's events", sens="moins",
            note=f"projections.commissions.proces_verbal: the session aggregate loaded ({lignes} events, "
            f"{pv.decisions} decisions) and laid out; median of {ESSAIS}",
            details={"secondes": t_json, "brut_secondes": t_brut, "evenements": lignes},
        ),
        Figure(
            "j", "  the same as a PDF", 1000 * (t_json + t_pdf), "ms", 1000 * t_brut, "ms",
            "raw read of the session's events", sens="moins",
            note=f"adapters.proces_verbal.pdf_proces_verbal (reportlab, invariant): {1000 * t_pdf:.1f} ms "
            "of layout on top of the JSON; median of 5",
        ),
    ]


def figure_k(h: Historique) -> list[Figure]:
    from domain import horloge
    from projections.indicateurs import Periode
    from projections.journal import bilan_flux_du_journal, lignes
    from projections.vue_statistiques import bilan_flux_vue, suiveur_statistiques

    registre = h.registre
    t = registre.territoire
    annee = horloge.aujourdhui().year - 1
    if t.flux_depuis is None or t.flux_depuis.year > annee:
        annee = horloge.aujourdhui().year
    periode = Periode.annee(annee)

    def brut() -> int:
        return sum(1 for _ in lignes(registre.engine, registre.stockage))

    brut()
    t_brut, n = min(chrono(brut) for _ in range(3))
    dire(f"(k) the bilan du flux of {annee} from the raw log, then from the read model…")
    t_journal, (b, _) = chrono(bilan_flux_du_journal, registre.engine, registre.stockage, t, periode)
    suiveur_statistiques(registre).suivre()
    t_vue, (b_vue, _) = chrono(bilan_flux_vue, registre.engine, t, periode)
    egal = b == b_vue
    return [
        Figure(
            "k", f"bilan du flux of {annee} from the raw log", t_journal, "s", t_brut, "s",
            "raw read of the same events", sens="moins",
            note=f"{len(b.conventions)} conventions, {sum(b.vacances.values()):,} vacancies of the flux; "
            f"projections.journal.bilan_flux_du_journal decodes the {n:,} rows of the statistics' topics "
            "(the raw read: the same rows, nothing decoded, best of 3)",
            details={"secondes": t_journal, "brut_secondes": t_brut, "lignes": n},
        ),
        Figure(
            "k", "  the same from the statistics read model", t_vue, "s", t_brut, "s",
            "raw read of the same events", sens="moins", atteint=egal, objectif="= the raw log's",
            note="projections.vue_statistiques.bilan_flux_vue: vacancies, orientations, attributions and "
            f"baux of the year by indexed range; equal to the raw log's: {egal}",
        ),
    ]
