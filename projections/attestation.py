"""The attestation of registration or of renewal of a demand (CCH R.441-2-4 and R.441-2-7), as
content regenerated from the log: the numéro unique, the guichet, the dates (dépôt, registration
or renewal, validity), the délai anormalement long set by the préfet and what passing it opens
(the recours amiable before the commission de médiation, L.441-2-3), and the demandeur's rights.

The content is taken from the facts recorded up to the registration (or the renewal) the
attestation is for, and from nothing recorded after: regenerating it later gives the same
content, hence the same bytes (`adapters/attestation.py`). The demandeur's name appears while it
is readable (DOMAIN-free: after erasure, the attestation no longer names anyone).
"""

from __future__ import annotations

from datetime import date

import msgspec

from adapters.registre import Registre
from domain import calendrier
from domain.demande import Demande
from domain.erreurs import Introuvable, RegleEnfreinte
from domain.foyer import DonneesPersonnelles
from domain.pieces import TypeAttestation


class ContenuAttestation(msgspec.Struct, frozen=True):
    type: TypeAttestation
    numero_unique: str
    evenement: int  # the registration or renewal it attests
    guichet: str  # organisation code
    nom_guichet: str
    depose_le: date  # filed_on: the dépôt, what ancienneté counts from
    enregistree_le: date  # the registration's date
    renouvelee_le: date | None  # for a renewal
    valable_jusqua: date  # the anniversary: renew before it (R.441-2-7)
    delai_anormalement_long_mois: int
    delai_anormalement_long_le: date
    demandeur: str | None  # name and first name, while readable


def contenu_attestation(
    registre: Registre,
    numero: str,
    type_attestation: TypeAttestation,
    evenement: int | None = None,
    nommer: bool = True,
) -> ContenuAttestation:
    """The attestation of the registration, or of renewal `evenement` (default: the latest
    standing renewal). `nommer`: whether the reader may read personal data (the name)."""
    d = registre.demande(numero)
    enr = d.faits[0]
    assert isinstance(enr, Demande.Enregistree)
    if type_attestation is TypeAttestation.enregistrement:
        fait: Demande.Event = enr
        if evenement not in (None, 1):
            raise RegleEnfreinte("evenement_invalide", "the attestation of registration attests event 1")
    else:
        renouvellements = [
            f for f in d.faits if isinstance(f, Demande.Renouvelee) and not d.est_retracte(f.originator_version)
        ]
        choisis = [f for f in renouvellements if evenement is None or f.originator_version == evenement]
        if not choisis:
            raise Introuvable(
                "renouvellement_inconnu",
                f"{numero} has no standing renewal" + (f" at event {evenement}" if evenement else ""),
            )
        fait = choisis[-1]
    # Only what was recorded up to the attested fact: later facts never change the document.
    etat = d.etat_au(fait.occurred_on, connu_a=fait.timestamp)
    t = registre.territoire
    try:
        nom_guichet = t.organisation(fait.organisation).nom
    except KeyError:
        nom_guichet = fait.organisation
    personnel = etat.personnel  # as attested; Efface once erased: the document names nobody
    demandeur = None
    if nommer and isinstance(personnel, DonneesPersonnelles):
        principal = next((m.id for m in etat.membres if m.role.value == "demandeur"), None)
        ident = next((i for i in personnel.identites if i.membre == principal), None)
        if ident is not None:
            demandeur = f"{ident.prenom} {ident.nom}"
    mois = t.delai_anormalement_long_mois
    return ContenuAttestation(
        type=type_attestation,
        numero_unique=etat.numero_unique,
        evenement=fait.originator_version,
        guichet=fait.organisation,
        nom_guichet=nom_guichet,
        depose_le=etat.filed_on,
        enregistree_le=enr.occurred_on,
        renouvelee_le=fait.occurred_on if type_attestation is TypeAttestation.renouvellement else None,
        valable_jusqua=etat.anniversaire,
        delai_anormalement_long_mois=mois,
        delai_anormalement_long_le=calendrier.delai_anormalement_long(etat.filed_on, mois),
        demandeur=demandeur,
    )
