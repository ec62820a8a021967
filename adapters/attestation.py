"""The attestation of registration or renewal of a demand as a PDF, in French (CCH R.441-2-4,
R.441-2-7): the content of `projections.attestation`, laid out with `adapters.pdf`, so that the
same log gives the same bytes whenever it is regenerated."""

from __future__ import annotations

from datetime import date

from adapters.pdf import Bloc, Paragraphe, Tableau, Titre, document
from domain.pieces import TypeAttestation
from projections.attestation import ContenuAttestation


def _d(x: date) -> str:
    return x.strftime("%d/%m/%Y")


def pdf_attestation(a: ContenuAttestation) -> bytes:
    renouvellement = a.type is TypeAttestation.renouvellement
    titre = (
        "Attestation de renouvellement de la demande de logement social" if renouvellement
        else "Attestation d'enregistrement de la demande de logement social"
    )
    lignes: list[tuple[str, str]] = [("Numéro unique", a.numero_unique)]
    if a.demandeur:
        lignes.append(("Demandeur", a.demandeur))
    lignes += [
        ("Service enregistreur", f"{a.nom_guichet} ({a.guichet})"),
        ("Date de dépôt de la demande", _d(a.depose_le)),
        ("Date d'enregistrement", _d(a.enregistree_le)),
    ]
    if a.renouvelee_le is not None:
        lignes.append(("Date de renouvellement", _d(a.renouvelee_le)))
    lignes += [
        ("Demande valable jusqu'au", _d(a.valable_jusqua)),
        ("Délai anormalement long atteint le", _d(a.delai_anormalement_long_le)),
    ]
    blocs: list[Bloc] = [
        Paragraphe(
            ("Votre demande de logement social a été renouvelée. " if renouvellement
             else "Votre demande de logement social a été enregistrée. ")
            + "Son numéro unique l'identifie auprès de tous les bailleurs sociaux et réservataires "
            "du territoire : rappelez-le dans toute correspondance."
        ),
        Tableau(("", ""), tuple(lignes)),
        Titre("Ancienneté et validité de la demande"),
        Paragraphe(
            f"L'ancienneté de votre demande court depuis la date de dépôt, le {_d(a.depose_le)} ; "
            "elle est conservée lors des renouvellements. Votre demande est valable un an : elle doit être "
            f"renouvelée avant le {_d(a.valable_jusqua)} (article R.441-2-7 du code de la construction et "
            "de l'habitation). Sans renouvellement, elle est radiée un mois après cette date, après deux "
            "rappels (article R.441-2-8)."
        ),
        Titre("Délai anormalement long"),
        Paragraphe(
            f"Le préfet a fixé à {a.delai_anormalement_long_mois} mois le délai au-delà duquel l'attente "
            f"d'une proposition adaptée est jugée anormalement longue. Pour votre demande, ce délai est "
            f"atteint le {_d(a.delai_anormalement_long_le)}. Si vous n'avez reçu aucune proposition adaptée "
            "à vos besoins et à vos capacités à cette date, vous pouvez saisir la commission de médiation "
            "de votre département d'un recours amiable (droit au logement opposable, articles L.441-1-4 et "
            "L.441-2-3 du code de la construction et de l'habitation) ; votre demande est alors aussi "
            "examinée en priorité."
        ),
        Titre("Vos droits"),
        Paragraphe(
            "Vous pouvez à tout moment consulter les informations de votre demande, son historique, "
            "vos points de cotation et votre rang, les pièces qui vous sont demandées et les suites "
            "données à votre demande (articles R.441-2-15 à R.441-2-17). Signalez tout changement de "
            "votre situation au service enregistreur ou en ligne : votre demande est mise à jour sans "
            "perdre son ancienneté."
        ),
        Paragraphe(
            "Les informations de votre demande sont partagées entre les organismes habilités du territoire "
            "(bailleurs sociaux, réservataires, services enregistreurs) pour son traitement. Vous disposez "
            "d'un droit d'accès et de rectification de vos données personnelles ; elles sont effacées un an "
            "après la radiation de votre demande."
        ),
        Paragraphe(
            f"Document établi à partir du registre partagé de la demande (événement n° {a.evenement}). "
            "Il peut être édité de nouveau à tout moment à l'identique."
        ),
    ]
    return document(titre, blocs, auteur=a.nom_guichet)
