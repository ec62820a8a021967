"""The minutes (procès-verbal) of a CAL session as a PDF (CCH R.441-9; docs/rules.md and docs/flux.md): the same
content as `projections.commissions.proces_verbal`, laid out with `adapters.pdf`, so that the
same session gives the same bytes at any later date."""

from __future__ import annotations

from adapters.pdf import Bloc, Paragraphe, Tableau, Titre, document
from projections.commissions import ProcesVerbal


def _oui(x: bool) -> str:
    return "oui" if x else "non"


def pdf_proces_verbal(pv: ProcesVerbal) -> bytes:
    titre = f"Procès-verbal de la commission d'attribution — {pv.nom_bailleur} — {pv.date.strftime('%d/%m/%Y')}"
    blocs: list[Bloc] = [
        Paragraphe(
            f"Séance {pv.session}, tenue le {pv.date.strftime('%d/%m/%Y')} "
            f"({'en présentiel' if pv.forme == 'presentiel' else 'de forme dématérialisée'}). "
            + ("" if pv.close else "Séance non close : document provisoire. ")
            + f"{len(pv.logements)} logement(s) examiné(s), {pv.candidats} candidature(s), "
            f"{pv.decisions} décision(s)."
        ),
        Titre("Membres présents"),
        Tableau(
            ("Organisation", "Qualité", "Voix", "Nom"),
            tuple(
                (
                    f"{m.nom_organisation} ({m.organisation})", m.qualite.replace("_", " "), m.voix,
                    (m.nom or "") + (" — voix prépondérante" if m.organisation == pv.voix_preponderante else ""),
                )
                for m in pv.membres
            ),
        ),
    ]
    for lg in pv.logements:
        blocs.append(Titre(f"Logement {lg.logement} (vacance {lg.vacance})"))
        orientation = (
            f"flux, orienté vers {lg.reservataire}" if lg.flux and lg.reservataire
            else "flux, gardé par le bailleur" if lg.flux
            else f"contingent {lg.contingent}" + (f" ({lg.reservataire})" if lg.reservataire else "")
        )
        blocs.append(
            Paragraphe(
                f"{lg.typologie} {lg.financement} à {lg.nom_commune} ({lg.commune}), "
                f"{'en' if lg.qpv else 'hors'} QPV ; {orientation}. "
                f"Candidats ayant répondu favorablement : {lg.favorables}."
                + (f" Moins de trois candidats : {lg.libelle_moins_de_trois} ({lg.moins_de_trois_candidats})."
                   if lg.moins_de_trois_candidats else "")
            )
        )
        blocs.append(
            Tableau(
                ("Ordre", "Numéro unique", "Points", "Rang", "Réponse", "Décision", "Motif"),
                tuple(
                    (
                        str(c.ordre), c.numero_unique, "" if c.points is None else str(c.points),
                        "" if c.rang is None else str(c.rang),
                        "favorable" if c.favorable else "en complément",
                        (c.libelle_decision or "—")
                        + (f" (rang {c.rang_classement})" if c.rang_classement else "")
                        + (f" — pièce : {c.piece_manquante}, {c.delai_jours} jours" if c.piece_manquante else ""),
                        (f"{c.libelle_motif} ({c.motif})" if c.motif else "")
                        + (c.sous_motif_irrecevabilite or ""),
                    )
                    for c in lg.candidats
                ),
            )
        )
    return document(titre, blocs)
