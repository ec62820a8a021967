"""From a national file's demand to the ledger's commands, and from a demand's state back to the
national format (docs/sne.md has the table, element by element).

Importing: a demand the ledger does not know becomes one `Enregistrer` (its numéro unique as
given, `dateCreationDemande` as filed_on, the last renewal as the anniversary's start, dated on
the file's date); a known demand becomes what differs, in order: a `Renouveler` dated on a later
renewal, then one `Modifier` holding only the parts that changed. A file only changes what it
carries: the situations, the QPV wish, a free-text address or comment, absent from the national
format, stay as the ledger has them, and an element the file leaves out changes nothing. So
re-importing a file, or importing the ledger's own export, appends nothing.

Exporting: the demand's state (as of any date) as the national file describes it. Identity
comes from the encrypted personal data: a demand whose personal data are erased cannot be
exported.

Members are named `p1` (the demandeur), `c1…` (co-titulaires) and `a1…` (personnes à charge).
The national file gives the resources of the personnes à charge on the demandeur, all together:
they go on the first personne à charge (each member's resources count the same in the household's
total, docs/cotation.md), and are given back together."""

from __future__ import annotations

from datetime import date

import msgspec

from adapters.sne import modele as m
from domain import calendrier
from domain import commandes as c
from domain.codes import (
    CategorieLogement,
    Civilite,
    CoParentalite,
    LienDemandeur,
    LienParente,
    ModeleLogement,
    Nationalite,
    RessourceRecue,
    RessourceVersee,
    RoleMembre,
    Sexe,
    SituationFamiliale,
    TypeContratTravail,
    Typologie,
)
from domain.etat_demande import EtatDemande
from domain.foyer import (
    AdressePostale,
    ComplementLogement,
    ComplementMembre,
    ComplementRecherche,
    Complements,
    DonneesPersonnelles,
    EnfantEnGarde,
    Identite,
    LogementActuel,
    Membre,
    NaissancesPrevues,
    Ressource,
    RevenusFiscaux,
    Souhaits,
    Versement,
)

DEMANDEUR = "p1"
PIECES = {"C": 1, "T1": 1, "T2": 2, "T3": 3, "T4": 4, "T5": 5, "T6P": 6}


class Intraduisible(ValueError):
    """A demand the national format allows but the ledger cannot record as such."""


# -- the file's demand, as the ledger records it --------------------------------------------------


class Foyer(msgspec.Struct, frozen=True):
    """What a national file's demand says, in the ledger's terms; None: not carried."""

    membres: tuple[Membre, ...]
    personnel: DonneesPersonnelles
    logement_actuel: LogementActuel | None
    communes: tuple[str, ...] | None
    typologies: tuple[Typologie, ...] | None
    motifs: tuple[str, ...] | None
    complements: Complements | None


def foyer(d: m.DemandeSNE) -> Foyer:
    membres: list[Membre] = []
    identites: list[Identite] = []
    complements: list[ComplementMembre] = []

    def titulaire(ident: str, role: RoleMembre, t: m.Titulaire) -> None:
        sp = t.situation_professionnelle or m.SituationProfessionnelle()
        membres.append(
            Membre(
                ident,
                role,
                TypeContratTravail(sp.contrat) if sp.contrat else None,
                tuple(Ressource(RessourceRecue(r.code), r.montant) for r in t.ressources_recues or ()),
                sp.commune,
            )
        )
        est_demandeur = role is RoleMembre.demandeur
        identites.append(
            Identite(
                membre=ident,
                nom=t.nom,
                prenom=t.prenom,
                date_naissance=t.date_naissance,
                employeur=sp.employeur,
                civilite=Civilite(t.civilite) if t.civilite else None,
                nom_patronymique=t.nom_patronymique,
                nationalite=Nationalite(t.nationalite) if t.nationalite else None,
                situation_familiale=SituationFamiliale(t.situation_familiale) if t.situation_familiale else None,
                lien_demandeur=LienDemandeur(t.lien_demandeur) if t.lien_demandeur else None,
                profession=sp.profession,
                telephone=None if est_demandeur else t.tel_portable,
                email=None if est_demandeur else t.mel,
                adresse_postale=None if est_demandeur else _adresse(t.adresse),
            )
        )
        _complement(complements, ident, t.revenu_fiscal, t.ressources_versees, sp)

    titulaire(DEMANDEUR, RoleMembre.demandeur, d.demandeur)
    for i, t in enumerate(d.cotitulaires or (), start=1):
        titulaire(f"c{i}", RoleMembre.cotitulaire, t)
    pac = d.personnes_a_charge or ()
    if (d.ressources_recues_pac or d.ressources_versees_pac) and not pac:
        raise Intraduisible(
            "resources of personnes à charge are given (listeRessource…PersACharge) but the "
            "household has no personne à charge"
        )
    for i, p in enumerate(pac, start=1):
        ident = f"a{i}"
        premier = i == 1
        membres.append(
            Membre(
                ident,
                RoleMembre.personne_a_charge,
                None,
                tuple(Ressource(RessourceRecue(r.code), r.montant) for r in d.ressources_recues_pac or ())
                if premier
                else (),
            )
        )
        identites.append(
            Identite(
                membre=ident,
                nom=p.nom,
                prenom=p.prenom,
                date_naissance=p.date_naissance,
                sexe=Sexe(p.sexe) if p.sexe else None,
                lien_parente=LienParente(p.lien_parente) if p.lien_parente else None,
            )
        )
        if premier:
            _complement(complements, ident, None, d.ressources_versees_pac, m.SituationProfessionnelle())

    dem = d.demandeur
    personnel = DonneesPersonnelles(
        identites=tuple(identites),
        email=dem.mel,
        telephone=dem.tel_portable,
        adresse_postale=_adresse(dem.adresse),
        naissances_prevues=(
            NaissancesPrevues(d.personne_a_naitre.nombre, d.personne_a_naitre.date_prevue)
            if d.personne_a_naitre
            else None
        ),
        enfants_en_garde=tuple(
            EnfantEnGarde(g.date_naissance, CoParentalite(g.coparentalite), Sexe(g.sexe) if g.sexe else None)
            for g in d.personnes_en_garde or ()
        ),
    )

    logement = complement_logement = None
    if d.logement_actuel is not None:
        la = d.logement_actuel
        adresse = dem.adresse
        logement = LogementActuel(
            modele=ModeleLogement(la.modeles[0]),
            # The national file has no commune of the current housing: it is the postal address's.
            commune=adresse.commune if adresse is not None and not adresse.etranger else None,
            pieces=PIECES.get(la.typologie) if la.typologie else None,
            occupants=la.habitants,
            loyer=la.loyer,
        )
        complement_logement = ComplementLogement(
            autres_modeles=tuple(ModeleLogement(x) for x in la.modeles[1:]),
            categorie=CategorieLogement(la.categorie) if la.categorie else None,
            typologie=Typologie(la.typologie) if la.typologie else None,
            surface=la.surface,
            proprietaire=la.proprietaire,
        )
    r = d.recherche
    complement_recherche = (
        ComplementRecherche(r.elargie, CategorieLogement(r.categorie) if r.categorie else None) if r else None
    )
    complement = Complements(
        numero_guichet=d.numero_guichet,
        membres=tuple(complements),
        logement=complement_logement if complement_logement != ComplementLogement() else None,
        recherche=complement_recherche if complement_recherche != ComplementRecherche() else None,
    )
    return Foyer(
        membres=tuple(membres),
        personnel=personnel,
        logement_actuel=logement,
        communes=r.communes if r is not None else None,
        typologies=tuple(Typologie(t) for t in r.typologies) if r is not None and r.typologies is not None else None,
        motifs=d.motifs,
        complements=complement if complement != Complements() else None,
    )


def _adresse(a: m.Adresse | None) -> AdressePostale | None:
    if a is None:
        return None
    return AdressePostale(a.numero, a.voie, a.code_postal, a.commune, a.etranger)


def _complement(
    out: list[ComplementMembre],
    ident: str,
    revenu: m.RevenuFiscal | None,
    versees: tuple[m.Montant, ...] | None,
    sp: m.SituationProfessionnelle,
) -> None:
    cm = ComplementMembre(
        membre=ident,
        revenus_fiscaux=(
            RevenusFiscaux(revenu.annee_moins1, revenu.montant_moins1, revenu.annee_moins2, revenu.montant_moins2)
            if revenu is not None
            else None
        ),
        versements=tuple(Versement(RessourceVersee(v.code), v.montant) for v in versees or ()),
        travail_code_postal=sp.code_postal,
        travail_etranger=sp.etranger,
    )
    if cm != ComplementMembre(ident):
        out.append(cm)


def dernier_renouvellement(etat: EtatDemande) -> date | None:
    """The last renewal's date, read off the anniversary (None: never renewed)."""
    if etat.anniversaire == calendrier.anniversaire(etat.filed_on):
        return None
    return calendrier.ajouter_ans(etat.anniversaire, -1)


def commandes(d: m.DemandeSNE, jour: date, etat: EtatDemande | None) -> list[c.Commande]:
    """What importing `d`, from a file dated `jour`, appends: `Enregistrer` for a demand the ledger
    does not know (`etat` None), else what differs (possibly nothing)."""
    f = foyer(d)
    if etat is None:
        return [
            c.Enregistrer(
                occurred_on=jour,
                numero_unique=d.numero_unique,
                filed_on=d.date_creation,
                anniversaire=calendrier.anniversaire(d.date_renouvellement) if d.date_renouvellement else None,
                membres=f.membres,
                souhaits=Souhaits(f.communes or (), f.typologies or ()),
                logement_actuel=f.logement_actuel,
                motifs=f.motifs or (),
                personnel=f.personnel,
                complements=f.complements,
            )
        ]
    out: list[c.Commande] = []
    renouvele = dernier_renouvellement(etat)
    if d.date_renouvellement is not None and (renouvele is None or d.date_renouvellement > renouvele):
        out.append(c.Renouveler(occurred_on=d.date_renouvellement))
    changes: dict[str, object] = {}
    if f.membres != etat.membres:
        changes["membres"] = f.membres
    actuel = etat.personnel if isinstance(etat.personnel, DonneesPersonnelles) else None
    # What the national format does not carry stays as the ledger has it.
    personnel = msgspec.structs.replace(
        f.personnel, adresse=actuel.adresse if actuel else None, commentaire=actuel.commentaire if actuel else None
    )
    if personnel != actuel:
        changes["personnel"] = personnel
    if f.logement_actuel is not None:
        lgt = f.logement_actuel
        if etat.logement_actuel is not None and _meme_typologie(etat.logement_actuel.pieces, lgt.pieces):
            lgt = msgspec.structs.replace(lgt, pieces=etat.logement_actuel.pieces)
        if lgt != etat.logement_actuel:
            changes["logement_actuel"] = lgt
    if f.communes is not None or f.typologies is not None:
        s = etat.souhaits
        souhaits = Souhaits(
            f.communes if f.communes is not None else s.communes,
            f.typologies if f.typologies is not None else s.typologies,
            s.accepte_qpv,
        )
        if souhaits != s:
            changes["souhaits"] = souhaits
    if f.motifs is not None and f.motifs != etat.motifs:
        changes["motifs"] = f.motifs
    complements = _fusion(f.complements, etat.complements, d)
    if complements != etat.complements:
        changes["complements"] = complements or Complements()
    if changes:
        out.append(c.Modifier(occurred_on=jour, **changes))  # type: ignore[arg-type]
    return out


def _meme_typologie(a: int | None, b: int | None) -> bool:
    return a is not None and b is not None and _typologie(a) == _typologie(b)


def _fusion(nouveaux: Complements | None, actuels: Complements | None, d: m.DemandeSNE) -> Complements | None:
    """The file's complements, keeping the ledger's for the parts the file does not carry."""
    n = nouveaux or Complements()
    a = actuels or Complements()
    fusion = Complements(
        numero_guichet=n.numero_guichet if d.numero_guichet is not None else a.numero_guichet,
        membres=n.membres,
        logement=n.logement if d.logement_actuel is not None else a.logement,
        recherche=n.recherche if d.recherche is not None else a.recherche,
    )
    return None if fusion == Complements() else fusion


# -- the ledger's demand, as a national file describes it -----------------------------------------


class NonExportable(ValueError):
    pass


def demande_sne(etat: EtatDemande) -> m.DemandeSNE:
    p = etat.personnel
    if not isinstance(p, DonneesPersonnelles):
        raise NonExportable(
            f"demand {etat.numero_unique}: its personal data are erased, so it has no identity to export"
        )
    identites = {i.membre: i for i in p.identites}
    comp = etat.complements or Complements()
    par_membre = {cm.membre: cm for cm in comp.membres}

    def titulaire(mb: Membre, demandeur: bool) -> m.Titulaire:
        i = identites.get(mb.id)
        if i is None:
            raise NonExportable(f"demand {etat.numero_unique}: member {mb.id} has no identity")
        cm = par_membre.get(mb.id, ComplementMembre(mb.id))
        sp = m.SituationProfessionnelle(
            profession=i.profession,
            contrat=mb.contrat.value if mb.contrat else None,
            employeur=i.employeur,
            etranger=cm.travail_etranger,
            code_postal=cm.travail_code_postal,
            commune=mb.commune_travail,
        )
        rf = cm.revenus_fiscaux
        adresse = p.adresse_postale if demandeur else i.adresse_postale
        return m.Titulaire(
            civilite=i.civilite.value if i.civilite else None,
            nom=i.nom,
            nom_patronymique=i.nom_patronymique,
            prenom=i.prenom,
            date_naissance=i.date_naissance,
            nationalite=i.nationalite.value if i.nationalite else None,
            situation_familiale=i.situation_familiale.value if i.situation_familiale else None,
            lien_demandeur=i.lien_demandeur.value if i.lien_demandeur else None,
            tel_portable=p.telephone if demandeur else i.telephone,
            mel=p.email if demandeur else i.email,
            adresse=(
                m.Adresse(adresse.etranger, adresse.numero, adresse.voie, adresse.code_postal, adresse.commune)
                if adresse is not None
                else None
            ),
            situation_professionnelle=sp if sp != m.SituationProfessionnelle() else None,
            revenu_fiscal=(
                m.RevenuFiscal(rf.annee_moins1, rf.montant_moins1, rf.annee_moins2, rf.montant_moins2)
                if rf is not None
                else None
            ),
            ressources_recues=tuple(m.Montant(r.code.value, r.montant_mensuel) for r in mb.ressources),
            ressources_versees=tuple(m.Montant(v.code.value, v.montant_mensuel) for v in cm.versements),
        )

    demandeur = next(mb for mb in etat.membres if mb.role is RoleMembre.demandeur)
    cotitulaires = [mb for mb in etat.membres if mb.role is RoleMembre.cotitulaire]
    pac = [mb for mb in etat.membres if mb.role is RoleMembre.personne_a_charge]
    personnes = []
    for mb in pac:
        i = identites.get(mb.id)
        if i is None:
            raise NonExportable(f"demand {etat.numero_unique}: member {mb.id} has no identity")
        personnes.append(
            m.PersonneACharge(
                nom=i.nom,
                prenom=i.prenom,
                date_naissance=i.date_naissance,
                sexe=i.sexe.value if i.sexe else None,
                lien_parente=i.lien_parente.value if i.lien_parente else None,
            )
        )
    la = etat.logement_actuel
    cl = comp.logement or ComplementLogement()
    logement = None
    if la is not None:
        typologie = cl.typologie.value if cl.typologie else (_typologie(la.pieces) if la.pieces else None)
        logement = m.LogementActuel(
            modeles=(la.modele.value, *(x.value for x in cl.autres_modeles)),
            loyer=la.loyer,
            habitants=la.occupants,
            categorie=cl.categorie.value if cl.categorie else None,
            typologie=typologie,
            surface=cl.surface,
            proprietaire=cl.proprietaire,
        )
    s = etat.souhaits
    cr = comp.recherche
    recherche = None
    if s.communes or s.typologies or cr is not None:
        recherche = m.LogementRecherche(
            elargie=cr.elargie if cr else None,
            typologies=tuple(t.value for t in s.typologies) if s.typologies else None,
            categorie=cr.categorie.value if cr and cr.categorie else None,
            communes=s.communes or None,
        )
    np_ = p.naissances_prevues
    return m.DemandeSNE(
        numero_unique=etat.numero_unique,
        numero_guichet=comp.numero_guichet,
        date_creation=etat.filed_on,
        date_renouvellement=dernier_renouvellement(etat),
        demandeur=titulaire(demandeur, True),
        ressources_recues_pac=tuple(
            m.Montant(r.code.value, r.montant_mensuel) for mb in pac for r in mb.ressources
        ),
        ressources_versees_pac=tuple(
            m.Montant(v.code.value, v.montant_mensuel)
            for mb in pac
            for v in par_membre.get(mb.id, ComplementMembre(mb.id)).versements
        ),
        personnes_a_charge=tuple(personnes) or None,
        personne_a_naitre=m.PersonneANaitre(np_.nombre, np_.date_prevue) if np_ else None,
        personnes_en_garde=tuple(
            m.PersonneEnGarde(g.date_naissance, g.sexe.value if g.sexe else None, g.coparentalite.value)
            for g in p.enfants_en_garde
        )
        or None,
        cotitulaires=tuple(titulaire(mb, False) for mb in cotitulaires) or None,
        logement_actuel=logement,
        recherche=recherche,
        motifs=etat.motifs or None,
    )


def _typologie(pieces: int) -> str:
    return "T6P" if pieces >= 6 else f"T{max(pieces, 1)}"
