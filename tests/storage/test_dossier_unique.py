"""The dossier unique on the real store (SQLite and PostgreSQL): pièces déposées, validées or
refusées with a reason's code, demandes de pièces with their due date in the deadlines, visits of
a dwelling, attestations sent, and a pièce's uploaded file unreadable after erasure while its
digest stays; décotes anchored to their fact (a decote_refus counts one year from the refused
proposal); the recours file (who filed it, the demandeur's explanations, encrypted). Each event
with its preconditions (refused with its rule, nothing appended), permissions and history line."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from adapters import pieces as fichiers
from adapters.registre import Registre
from adapters.tables import fichiers_pieces
from domain import commandes as c
from domain.codes import (
    Canal,
    CodeDecote,
    MotifRadiation,
    MotifRefus,
    QualificationRefus,
    StadeRefus,
)
from domain.demande import Demande
from domain.echeances import echeances
from domain.erreurs import Interdit, Introuvable, RegleEnfreinte
from domain.pieces import (
    CanalAttestation,
    DeposantRecours,
    MotifRefusPiece,
    TypeAttestation,
    TypePiece,
)
from projections.historique import historique
from tests.storage.test_personal_data import frais, lignes_brutes, octets
from tests.storage.test_preconditions import LGT, LGT_ALS, enregistrer, executer, refuse

CONTENU = b"%PDF-1.4 avis d'imposition 2024 de Lea Martin"
EMPREINTE = hashlib.sha256(CONTENU).hexdigest()


def deposer(registre: Registre, numero: str, jour: date, type_piece: TypePiece = TypePiece.avis_imposition,
            org: str = "CANNES", **kw: object) -> int:
    (v,) = executer(registre, org, c.DeposerPiece(occurred_on=jour, type_piece=type_piece, empreinte=EMPREINTE,
                                                  taille=len(CONTENU), **kw), numero).evenements  # type: ignore[arg-type]
    return v


def types_historique(registre: Registre, numero: str) -> list[str]:
    return [e.type for e in historique(registre.demande(numero))]


def test_pieces_deposees_validees_refusees_with_their_rules_and_history(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.DeposerPiece(occurred_on=date(2026, 3, 3), type_piece=TypePiece.identite,
                                              empreinte="xyz", taille=10), numero, "empreinte_invalide", "SHA-256")
    refuse(registre, "CANNES", c.DeposerPiece(occurred_on=date(2026, 3, 3), type_piece=TypePiece.identite,
                                              empreinte=EMPREINTE, taille=0), numero, "taille_invalide")
    refuse(registre, "CANNES", c.DeposerPiece(occurred_on=date(2026, 3, 3), type_piece=TypePiece.identite,
                                              empreinte=EMPREINTE, taille=10, membre=2), numero,
           "membre_inconnu", "0 to 1")
    refuse(registre, "ALS", c.DeposerPiece(occurred_on=date(2026, 3, 3), type_piece=TypePiece.identite,
                                           empreinte=EMPREINTE, taille=10), numero, "guichet_requis", "ALS",
           erreur=Interdit)
    p1 = deposer(registre, numero, date(2026, 3, 3), TypePiece.identite, membre=1)
    p2 = deposer(registre, numero, date(2026, 3, 3), org="OPH-CPL")
    refuse(registre, "CANNES", c.ValiderPiece(occurred_on=date(2026, 3, 4), piece=1), numero, "piece_inconnue")
    executer(registre, "CANNES", c.ValiderPiece(occurred_on=date(2026, 3, 4), piece=p1), numero)
    refuse(registre, "CANNES", c.RefuserPiece(occurred_on=date(2026, 3, 4), piece=p1, motif=MotifRefusPiece.perimee),
           numero, "piece_deja_verifiee", "validated")
    (refus,) = executer(registre, "OPH-CPL", c.RefuserPiece(occurred_on=date(2026, 3, 5), piece=p2,
                                                            motif=MotifRefusPiece.incoherente,
                                                            texte="revenus différents du formulaire"),
                        numero).evenements
    etat = registre.demande(numero).etat
    assert etat.dossier.pieces[p1].validee and etat.dossier.pieces[p1].membre == 1
    assert etat.dossier.pieces[p2].refusee is MotifRefusPiece.incoherente
    assert (etat.dossier.pieces[p2].empreinte, etat.dossier.pieces[p2].taille) == (EMPREINTE, len(CONTENU))
    assert types_historique(registre, numero)[-4:] == ["piece_deposee", "piece_deposee", "piece_validee", "piece_refusee"]
    ligne = historique(registre.demande(numero))[p2 - 1]
    assert ligne.details["empreinte"] == EMPREINTE and ligne.details["type_piece"] == "avis_imposition"
    # A refusal retracted by its author: the pièce may be judged again.
    refuse(registre, "CANNES", c.Retracter(occurred_on=date(2026, 3, 6), evenement=refus, motif="erreur"), numero,
           "retractation_par_l_auteur", "OPH-CPL", erreur=Interdit)
    executer(registre, "OPH-CPL", c.Retracter(occurred_on=date(2026, 3, 6), evenement=refus, motif="erreur"), numero)
    assert registre.demande(numero).etat.dossier.pieces[p2].verification is None
    executer(registre, "OPH-CPL", c.ValiderPiece(occurred_on=date(2026, 3, 6), piece=p2), numero)
    assert historique(registre.demande(numero))[refus - 1].supprime is not None


def test_demande_de_pieces_is_a_deadline_until_answered(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.DemanderPieces(occurred_on=date(2026, 4, 1), du_le=date(2026, 4, 1),
                                                pieces=(TypePiece.logement_actuel,)), numero,
           "echeance_invalide", "2026-04-01")
    refuse(registre, "CANNES", c.DemanderPieces(occurred_on=date(2026, 4, 1), du_le=date(2026, 5, 1)), numero,
           "rien_de_demande")
    (demande,) = executer(registre, "CANNES", c.DemanderPieces(
        occurred_on=date(2026, 4, 1), du_le=date(2026, 5, 1), membre=0,
        pieces=(TypePiece.logement_actuel, TypePiece.ressources_mensuelles)), numero).evenements
    t = registre.territoire

    def dues() -> list[tuple[str, date, int | None, str]]:
        etat = registre.demande(numero).etat
        return [(e.type, e.echeance, e.reference, e.detail)
                for e in echeances(etat, t.retention_donnees_mois, t.delai_anormalement_long_mois)
                if e.type == "pieces_demandees"]

    assert dues() == [("pieces_demandees", date(2026, 5, 1), demande, "logement_actuel,ressources_mensuelles")]
    refuse(registre, "CANNES", c.DeposerPiece(occurred_on=date(2026, 4, 20), type_piece=TypePiece.logement_actuel,
                                              empreinte=EMPREINTE, taille=3, en_reponse_a=demande + 5), numero,
           "demande_de_pieces_inconnue")
    deposer(registre, numero, date(2026, 4, 20), TypePiece.logement_actuel, en_reponse_a=demande)
    assert dues() == []
    assert "demande_de_pieces" in types_historique(registre, numero)


def test_uploaded_piece_unreadable_after_erasure_while_its_digest_stays(registre: Registre) -> None:
    numero = enregistrer(registre, date(2025, 6, 2))
    piece = deposer(registre, numero, date(2025, 6, 3))
    cannes = registre.territoire.organisation("CANNES")
    with pytest.raises(RegleEnfreinte) as e:
        fichiers.deposer_fichier(registre, cannes, numero, piece, CONTENU + b"!")
    assert e.value.regle == "fichier_different" and EMPREINTE in e.value.message
    with pytest.raises(Interdit):
        fichiers.deposer_fichier(registre, registre.territoire.organisation("ALS"), numero, piece, CONTENU)
    fichiers.deposer_fichier(registre, cannes, numero, piece, CONTENU)
    fichiers.deposer_fichier(registre, cannes, numero, piece, CONTENU)  # idempotent
    assert fichiers.lire_fichier(registre, cannes, numero, piece) == CONTENU
    with registre.engine.connect() as conn:
        (stocke,) = conn.execute(sa.select(fichiers_pieces.c.chiffre)).scalars().all()
    assert b"Lea Martin" not in bytes(stocke)
    with pytest.raises(Introuvable):
        fichiers.lire_fichier(registre, cannes, numero, piece + 1)

    executer(registre, "CANNES", c.Radier(occurred_on=date(2025, 9, 1), motif=MotifRadiation.RADABA), numero)
    assert registre.rattraper(numero, date(2026, 9, 1)) is not None  # the erasure, a year later
    with frais(registre) as relu:
        with pytest.raises(fichiers.FichierEfface) as e2:
            fichiers.lire_fichier(relu, cannes, numero, piece)
        assert EMPREINTE in str(e2.value)
        ligne = historique(relu.demande(numero))[piece - 1]
        assert (ligne.type, ligne.details["empreinte"], ligne.details["taille"]) == (
            "piece_deposee", EMPREINTE, len(CONTENU))


def test_decote_refus_counts_one_year_from_the_refused_proposal(registre: Registre) -> None:
    numero = enregistrer(registre, date(2025, 3, 2))
    executer(registre, "OPH-CPL", c.Designer(occurred_on=date(2025, 12, 1), logement=LGT), numero)
    (refus,) = executer(registre, "OPH-CPL", c.Refuser(
        occurred_on=date(2025, 12, 10), logement=LGT, stade=StadeRefus.avant_cal, motif=MotifRefus.localisation,
        qualification=QualificationRefus.non_recevable, loyer=Decimal("452.30")), numero).evenements
    executer(registre, "CANNES", c.Renouveler(occurred_on=date(2026, 2, 1)), numero)
    f = registre.demande(numero).fait(refus)
    assert isinstance(f, Demande.Refusee)
    assert (f.typologie, f.loyer, f.adapte_composition, f.adapte_ressources) == (
        registre.territoire.logement(LGT).typologie, Decimal("452.30"), True, True)
    (decote,) = executer(registre, "OPH-CPL", c.AppliquerDecote(
        occurred_on=date(2026, 6, 1), code=CodeDecote.decote_refus, refus=refus), numero).evenements
    d = registre.demande(numero)
    assert d.etat.decotes[decote].fin == date(2026, 12, 10)  # not 2027-06-01
    assert d.etat_au(date(2026, 12, 9)).decotes[decote].compte_le(date(2026, 12, 9))
    assert not d.etat_au(date(2026, 12, 10)).decotes[decote].compte_le(date(2026, 12, 10))
    t = registre.territoire
    fin = [e.echeance for e in echeances(d.etat, t.retention_donnees_mois, t.delai_anormalement_long_mois)
           if e.type == "fin_decote"]
    assert fin == [date(2026, 12, 10)]


def test_recours_file_who_filed_and_explanations_encrypted(registre: Registre) -> None:
    numero = enregistrer(registre)
    piece = deposer(registre, numero, date(2026, 10, 1))
    (refus_piece,) = executer(registre, "CANNES", c.RefuserPiece(occurred_on=date(2026, 10, 1), piece=piece,
                                                                motif=MotifRefusPiece.incoherente), numero).evenements
    (decote,) = executer(registre, "CANNES", c.AppliquerDecote(occurred_on=date(2026, 10, 2),
                                                               code=CodeDecote.decote_pieces, piece=refus_piece),
                         numero).evenements
    secret = "Mon employeur a corrigé mon bulletin de salaire"
    (recours,) = executer(registre, "OPH-CPL", c.DeposerRecours(
        occurred_on=date(2026, 10, 10), decote=decote, depose_par=DeposantRecours.travailleur_social,
        explications=secret), numero).evenements
    f = registre.demande(numero).fait(recours)
    assert isinstance(f, Demande.RecoursDepose)
    assert (f.depose_par, f.explications) == (DeposantRecours.travailleur_social, secret)
    for ligne in lignes_brutes(registre.stockage):
        assert secret.encode() not in octets(ligne)
        assert json.dumps(secret)[1:-1].encode() not in octets(ligne)
    assert registre.demande(numero).etat.decotes[decote].fait_le == date(2026, 10, 1)
    registre.coffre.effacer(Demande.id_pour(numero))
    with frais(registre) as relu:
        g = relu.demande(numero).fait(recours)
        assert isinstance(g, Demande.RecoursDepose)
        assert (g.depose_par, g.explications) == (DeposantRecours.travailleur_social, None)


def test_visits_proposed_and_done_on_a_dwelling(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "OPH-CPL", c.ProposerVisite(occurred_on=date(2026, 4, 2), logement=LGT,
                                                 visite_le=date(2026, 4, 8)), numero, "visite_sans_candidature", LGT)
    executer(registre, "ALS", c.Designer(occurred_on=date(2026, 4, 1), logement=LGT_ALS), numero)
    refuse(registre, "ERILIA", c.ProposerVisite(occurred_on=date(2026, 4, 2), logement=LGT_ALS,
                                                visite_le=date(2026, 4, 8)), numero,
           "visite_bailleur_ou_reservataire", "ERILIA", erreur=Interdit)
    refuse(registre, "ALS", c.ProposerVisite(occurred_on=date(2026, 4, 2), logement=LGT_ALS,
                                             visite_le=date(2026, 4, 1)), numero, "visite_passee")
    (visite,) = executer(registre, "ALS", c.ProposerVisite(occurred_on=date(2026, 4, 2), logement=LGT_ALS,
                                                           visite_le=date(2026, 4, 8)), numero).evenements
    t = registre.territoire
    etat = registre.demande(numero).etat
    assert [(e.echeance, e.reference) for e in echeances(etat, t.retention_donnees_mois, t.delai_anormalement_long_mois)
            if e.type == "visite"] == [(date(2026, 4, 8), visite)]
    refuse(registre, "OPH-CPL", c.ConstaterVisite(occurred_on=date(2026, 4, 7), visite=visite, effectuee=True),
           numero, "visite_a_venir", "2026-04-08")
    executer(registre, "OPH-CPL", c.ConstaterVisite(occurred_on=date(2026, 4, 8), visite=visite, effectuee=True), numero)
    refuse(registre, "OPH-CPL", c.ConstaterVisite(occurred_on=date(2026, 4, 9), visite=visite, effectuee=False),
           numero, "visite_deja_constatee")
    x = registre.demande(numero).etat.dossier.visites[visite]
    assert (x.logement, x.visite_le, x.effectuee) == (LGT_ALS, date(2026, 4, 8), True)
    assert types_historique(registre, numero)[-2:] == ["visite_proposee", "visite_constatee"]


def test_attestations_delivered_with_their_channel(registre: Registre) -> None:
    numero = enregistrer(registre)
    refuse(registre, "CANNES", c.DelivrerAttestation(occurred_on=date(2026, 3, 3), type=TypeAttestation.renouvellement,
                                                     canal=CanalAttestation.email), numero, "jamais_renouvelee")
    refuse(registre, "ETAT-06", c.DelivrerAttestation(occurred_on=date(2026, 3, 3), type=TypeAttestation.enregistrement,
                                                      canal=CanalAttestation.email), numero, "guichet_requis",
           erreur=Interdit)
    executer(registre, "CANNES", c.DelivrerAttestation(occurred_on=date(2026, 3, 3), type=TypeAttestation.enregistrement,
                                                       canal=CanalAttestation.courrier), numero)
    (a,) = registre.demande(numero).etat.dossier.attestations
    assert (a.type, a.canal, a.delivree_le) == (TypeAttestation.enregistrement, CanalAttestation.courrier, date(2026, 3, 3))
    assert types_historique(registre, numero)[-1] == "attestation_delivree"


def test_registration_delay_the_same_from_the_raw_log_and_the_read_model(registre: Registre) -> None:
    from projections.indicateurs import Periode
    from projections.journal import regenerer
    from projections.vue_statistiques import bilan_vue, suiveur_statistiques, verifier

    # Dépôt → registration: 0, 30 (day 30 is in time) and 31 days at CANNES; 45 at OPH-CPL; an
    # import (its dépôt made elsewhere long before) is no registration delay.
    for depot, jour, guichet in ((date(2026, 3, 2), date(2026, 3, 2), "CANNES"),
                                 (date(2026, 3, 2), date(2026, 4, 1), "CANNES"),
                                 (date(2026, 3, 2), date(2026, 4, 2), "CANNES"),
                                 (date(2026, 2, 15), date(2026, 4, 1), "OPH-CPL")):
        enregistrer(registre, jour=jour, guichet=guichet, filed_on=depot)
    modele = registre.demande(enregistrer(registre, jour=date(2026, 4, 1), filed_on=date(2026, 4, 1))).etat
    registre.executer(registre.territoire.organisation("CANNES"), "cannes-1", c.Enregistrer(
        occurred_on=date(2026, 4, 1), filed_on=date(2020, 1, 1), numero_unique="IMPORT-1",
        membres=modele.membres, souhaits=modele.souhaits), canal=Canal.import_)
    suiveur = suiveur_statistiques(registre)
    suiveur.suivre()
    periode = Periode.annee(2026)
    assert verifier(registre, periode, suiveur) == []
    for bilan in (regenerer(registre.engine, registre.stockage, registre.territoire, periode),
                  bilan_vue(registre.engine, registre.territoire, periode)):
        f = bilan.figure("enregistrement_30_jours")
        assert f is not None and (f.numerateur, f.denominateur, f.valeur) == (3, 5, Decimal("60.0"))
        g = bilan.figure("enregistrement_30_jours", "guichet", "CANNES")
        assert g is not None and (g.numerateur, g.denominateur) == (3, 4)
        m = bilan.figure("delai_enregistrement_moyen")
        assert m is not None and m.valeur == Decimal("21.2")  # (0 + 30 + 31 + 45 + 0) / 5


def test_depot_is_a_deadline_until_registered_within_30_days(registre: Registre) -> None:
    from adapters import depots
    from projections.echeances import ProjectionEcheances
    from projections.reconstruction import reconstruire_vite
    from projections.suivi import Suiveur

    t = registre.territoire
    cannes = t.organisation("CANNES")
    depots.deposer(registre, cannes, "cannes-1", c.Deposer(occurred_on=date(2026, 11, 2), reference="R-1"))
    for org, cmd, erreur, regle in (
        (cannes, c.Deposer(occurred_on=date(2026, 11, 2), reference="R-1"), RegleEnfreinte, "depot_existant"),
        (cannes, c.Deposer(occurred_on=date(2026, 11, 24), reference="R-9"), RegleEnfreinte, "date_future"),
        (t.organisation("ALS"), c.Deposer(occurred_on=date(2026, 11, 2), reference="R-1"), Interdit, "guichet_requis"),
    ):
        avant = registre.position()
        with pytest.raises(erreur) as e:
            depots.deposer(registre, org, "x-1", cmd)
        assert e.value.regle == regle and registre.position() == avant
    depots.deposer(registre, cannes, "cannes-1", c.Deposer(occurred_on=date(2026, 11, 3), reference="R-2"))
    depots.deposer(registre, cannes, "cannes-1", c.Deposer(occurred_on=date(2026, 11, 4), reference="R-3"))
    depots.retracter_depot(registre, cannes, "cannes-1", "R-2", c.RetracterDepot(occurred_on=date(2026, 11, 5),
                                                                                motif="saisi deux fois"))
    suiveur = Suiveur(registre, ProjectionEcheances(registre))
    suiveur.suivre()
    table = suiveur.tables[0]

    def dus() -> list[tuple[str, date, str]]:
        with registre.engine.connect() as conn:
            q = sa.select(table.c.demande, table.c.echeance, table.c.detail).where(table.c.type == "enregistrement_du")
            return sorted(tuple(r) for r in conn.execute(q))  # type: ignore[misc]

    assert dus() == [("DEPOT CANNES R-1", date(2026, 12, 2), "CANNES R-1"),
                     ("DEPOT CANNES R-3", date(2026, 12, 4), "CANNES R-3")]
    refuse(registre, "CANNES", c.Enregistrer(occurred_on=date(2026, 11, 20), depot="R-1", filed_on=date(2026, 11, 1),
                                             membres=(), souhaits=registre.demande(enregistrer(registre)).etat.souhaits),
           None, "filed_on_du_depot", "2026-11-02")
    with pytest.raises(Introuvable):
        enregistrer(registre, jour=date(2026, 11, 20), guichet="MOUGINS", depot="R-1")  # another guichet's
    numero = enregistrer(registre, jour=date(2026, 11, 20), depot="R-1")
    assert registre.demande(numero).etat.filed_on == date(2026, 11, 2)
    assert registre.depot("CANNES", "R-1").numero_unique == numero
    with pytest.raises(RegleEnfreinte) as e:
        enregistrer(registre, jour=date(2026, 11, 21), depot="R-1")
    assert e.value.regle == "depot_deja_enregistre" and numero in e.value.message
    with pytest.raises(RegleEnfreinte) as e:
        enregistrer(registre, jour=date(2026, 11, 21), depot="R-2")
    assert e.value.regle == "depot_retracte"
    suiveur.suivre()
    assert dus() == [("DEPOT CANNES R-3", date(2026, 12, 4), "CANNES R-3")]
    # The fast rebuild writes the same rows as the follower.
    with registre.engine.connect() as conn:
        attendu = sorted(tuple(r) for r in conn.execute(sa.select(table)))
    reconstruire_vite([suiveur], processus=1)
    with registre.engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(sa.select(suiveur.tables[0]))) == attendu
