"""Cotation (docs/cotation.md): a demand's points from a territory's grid, with the reasons.

The grid is data (`Grille`): versions, each effective from a date, each a list of criteria with
their points and the name of the RULE that decides whether they apply. Rules are the only code:
adding a criterion whose rule exists, changing points or starting a new version is an edit of the
grid file (docs/cotation.md). A score is always taken "as of" a date, with the version in force
that day; before the first version there is no score, and asking for one is an error.

It runs past 600 lines because the rule of every criterion of the grid lives here, one small
function each, so that a grid file can name any of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from domain import calendrier
from domain.calendrier import age_au
from domain.codes import (
    CodeDecote,
    DecisionRecours,
    Justification,
    ModeleLogement,
    RessourceRecue,
    RoleMembre,
    StatutDalo,
    TypeContratTravail,
)
from domain.demande import Demande
from domain.erreurs import RegleEnfreinte
from domain.etat_demande import EtatDemande
from domain.foyer import DonneesPersonnelles, Membre
from domain.menage import ressources_annuelles, unites_de_consommation
from domain.territoire import Territoire

# ----------------------------------------------------------------------------------------------
# The grid (data).


class Critere(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    libelle: str
    points: int
    regle: str
    parametres: dict[str, Any] = msgspec.field(default_factory=dict)
    # Points only when justified (CCH L.441-2-8; docs/rules.md): the criterion counts from the
    # date of a `justifie` justification of it until a later `rejete`.
    justification_requise: bool = False
    # The pièces that justify it, as the demandeur is told (arrêté of 6 August 2022).
    justificatifs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.justificatifs and not self.justification_requise:
            raise ValueError(
                f"criterion {self.code!r}: justificatifs are listed but justification_requise "
                "is not set"
            )
        if not self.code or not self.code.replace("_", "").isalnum() or not self.code.islower():
            raise ValueError(f"criterion code {self.code!r} must be lower_snake_case")
        regle = REGLES.get(self.regle)
        if regle is None:
            raise ValueError(
                f"criterion {self.code!r}: unknown rule {self.regle!r}; known rules: "
                + ", ".join(sorted(REGLES))
            )
        try:
            regle.lire(self.parametres)
        except msgspec.ValidationError as e:
            m = re.fullmatch(r"(?s)(.*?)(?: - at `\$(.*)`)?", str(e))
            assert m is not None
            raise ValueError(
                f"criterion {self.code!r}: parametres{m[2] or ''} of rule {self.regle!r}: "
                f"{m[1]} (rule {self.regle!r} takes: {regle.signature})"
            ) from None


class VersionGrille(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: str
    effective_du: date
    criteres: tuple[Critere, ...]

    def __post_init__(self) -> None:
        if not self.version.strip():
            raise ValueError("a grid version needs a name")
        vus: set[str] = set()
        for c in self.criteres:
            if c.code in vus:
                raise ValueError(f"version {self.version!r}: criterion {c.code!r} appears twice")
            vus.add(c.code)


class Grille(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    versions: tuple[VersionGrille, ...]
    nom: str = ""

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("a grid needs at least one version")
        noms = [v.version for v in self.versions]
        if len(set(noms)) != len(noms):
            raise ValueError("two grid versions have the same name")
        dates = [v.effective_du for v in self.versions]
        if len(set(dates)) != len(dates):
            raise ValueError("two grid versions take effect on the same day")

    def version_en_vigueur(self, au: date) -> VersionGrille:
        en_vigueur = [v for v in self.versions if v.effective_du <= au]
        if not en_vigueur:
            premiere = min(self.versions, key=lambda v: v.effective_du)
            raise RegleEnfreinte(
                "grille_absente",
                f"no cotation grid is in force on {au.isoformat()}: the first version "
                f"({premiere.version}) takes effect on {premiere.effective_du.isoformat()}",
                au=au.isoformat(),
                premiere_version_le=premiere.effective_du.isoformat(),
            )
        return max(en_vigueur, key=lambda v: v.effective_du)


def grille_en_place(grille: Grille | None) -> Grille:
    """The territory's grid; a territory without one scores nobody, and says so."""
    if grille is None:
        raise RegleEnfreinte("grille_absente", "this territory has no cotation grid")
    return grille


# ----------------------------------------------------------------------------------------------
# The result.


class Explication(msgspec.Struct, frozen=True):
    code: str
    libelle: str
    points: int
    sources: list[int]  # versions of the demand's events that make the criterion apply
    detail: str


class Remarque(msgspec.Struct, frozen=True):
    """A criterion that earns nothing for a reason worth telling: rejected by a justification,
    or not decidable (erased or unknown birth date, no first-quartile threshold for the year)."""

    code: str
    detail: str
    sources: list[int] = msgspec.field(default_factory=list)


class EnAttente(msgspec.Struct, frozen=True):
    """A criterion that applies but needs a justification not (or no longer) given: its points
    are not in the score; `points` is what a `justifie` justification would bring."""

    code: str
    libelle: str
    points: int
    sources: list[int]
    detail: str
    justificatifs: list[str]


class Cotation(msgspec.Struct, frozen=True):
    numero_unique: str
    au: date
    version: str
    points: int
    explications: list[Explication]
    remarques: list[Remarque] = msgspec.field(default_factory=list)
    en_attente: list[EnAttente] = msgspec.field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Rules (code): each reads its parametres into a struct, then says whether a criterion applies.


class _Aucun(msgspec.Struct, forbid_unknown_fields=True):
    pass


class _Situation(msgspec.Struct, forbid_unknown_fields=True):
    situation: str | None = None  # the declared situation; defaults to the criterion's code


class _Modeles(msgspec.Struct, forbid_unknown_fields=True):
    codes: frozenset[ModeleLogement]


class _Contrats(msgspec.Struct, forbid_unknown_fields=True):
    codes: frozenset[TypeContratTravail]


class _Age(msgspec.Struct, forbid_unknown_fields=True):
    age: int


class _Ans(msgspec.Struct, forbid_unknown_fields=True):
    ans: int


class _Decote(msgspec.Struct, forbid_unknown_fields=True):
    code: CodeDecote


class _Aspa(msgspec.Struct, forbid_unknown_fields=True):
    age: int
    ressource: RessourceRecue = RessourceRecue.AMV


@dataclass(frozen=True)
class Constat:
    detail: str
    sources: list[int]


@dataclass
class _Contexte:
    etat: EtatDemande
    au: date
    territoire: Territoire
    critere: Critere
    remarques: list[Remarque] = field(default_factory=list)

    def sources(self, *parts: str) -> list[int]:
        return sorted({self.etat.sources[p] for p in parts if p in self.etat.sources})

    def remarquer(self, detail: str, *parts: str) -> None:
        self.remarques.append(Remarque(self.critere.code, detail, self.sources(*parts)))

    @property
    def personnel(self) -> DonneesPersonnelles | None:
        p = self.etat.personnel
        return p if isinstance(p, DonneesPersonnelles) else None

    def titulaires(self) -> list[Membre]:
        return [
            m for m in self.etat.membres if m.role in (RoleMembre.demandeur, RoleMembre.cotitulaire)
        ]

    def age(self, m: Membre) -> int | None:
        p = self.personnel
        naissance = p.naissance(m.id) if p is not None else None
        return None if naissance is None else age_au(naissance, self.au)

    def pourquoi_age_inconnu(self) -> str:
        if self.etat.effacee:
            return "personal data erased"
        return "birth date not known"


Evaluation = Callable[[_Contexte, Any], Constat | None]


@dataclass(frozen=True)
class Regle:
    nom: str
    parametres: type[msgspec.Struct]
    evaluer: Evaluation
    description: str

    def lire(self, parametres: dict[str, Any]) -> Any:
        return msgspec.convert(parametres, type=self.parametres)

    @property
    def signature(self) -> str:
        champs = msgspec.structs.fields(self.parametres)
        if not champs:
            return "no parametres"
        return ", ".join(f"{f.name}{'' if f.required else ' (optional)'}" for f in champs)


def _statut_dalo_actif(ctx: _Contexte, _: _Aucun) -> Constat | None:
    if ctx.etat.statut_dalo is StatutDalo.ACTIF:
        return Constat("DALO status ACTIF", ctx.sources("statut_dalo"))
    return None


def _declare(ctx: _Contexte, p: _Situation) -> Constat | None:
    situation = p.situation or ctx.critere.code
    if situation in ctx.etat.situations:
        return Constat(f"declared situation {situation}", ctx.sources("situations"))
    return None


def _declare_et_accepte_qpv(ctx: _Contexte, p: _Situation) -> Constat | None:
    situation = p.situation or ctx.critere.code
    if situation in ctx.etat.situations and ctx.etat.souhaits.accepte_qpv:
        return Constat(
            f"declared situation {situation}, and the wishes accept a dwelling in a QPV",
            ctx.sources("situations", "souhaits"),
        )
    return None


def _premier_quartile(ctx: _Contexte, _: _Aucun) -> Constat | None:
    seuil = ctx.territoire.seuil_premier_quartile(ctx.au.year)
    if seuil is None:
        ctx.remarquer(f"no first-quartile threshold set for {ctx.au.year}")
        return None
    membres = ctx.etat.membres
    uc = unites_de_consommation(membres, ctx.personnel, ctx.au)
    annuelles = ressources_annuelles(membres)
    par_uc = annuelles / uc  # compared unrounded: "strictly below" must not depend on rounding
    if par_uc < seuil:
        affiche = par_uc.quantize(Decimal("0.01"), ROUND_HALF_UP)
        return Constat(
            f"annual resources {annuelles} / {uc} UC = {affiche} per UC, below the "
            f"{ctx.au.year} threshold {seuil}",
            ctx.sources("membres", "personnel"),
        )
    return None


def _logement_actuel_parmi(ctx: _Contexte, p: _Modeles) -> Constat | None:
    lgt = ctx.etat.logement_actuel
    if lgt is not None and lgt.modele in p.codes:
        return Constat(f"current housing {lgt.modele}", ctx.sources("logement_actuel"))
    return None


def _travaille_epci(ctx: _Contexte, _: _Aucun) -> Constat | None:
    epci = ctx.territoire.communes_epci
    for m in ctx.titulaires():
        if m.commune_travail in epci:
            return Constat(
                f"titulaire {m.id} works in {m.commune_travail}, in the EPCI",
                ctx.sources("membres"),
            )
    return None


def _travaille_commune_premier_choix(ctx: _Contexte, _: _Aucun) -> Constat | None:
    premier = ctx.etat.souhaits.premier_choix
    for m in ctx.titulaires():
        if premier is not None and m.commune_travail == premier:
            return Constat(
                f"titulaire {m.id} works in {premier}, the first-choice commune",
                ctx.sources("membres", "souhaits"),
            )
    return None


def _habite_commune_premier_choix(ctx: _Contexte, _: _Aucun) -> Constat | None:
    lgt, premier = ctx.etat.logement_actuel, ctx.etat.souhaits.premier_choix
    if lgt is not None and lgt.commune is not None and lgt.commune == premier:
        return Constat(
            f"current housing in {premier}, the first-choice commune",
            ctx.sources("logement_actuel", "souhaits"),
        )
    return None


def _tous_titulaires_moins_de(ctx: _Contexte, p: _Age) -> Constat | None:
    ages: list[str] = []
    for m in ctx.titulaires():
        age = ctx.age(m)
        if age is None:
            ctx.remarquer(
                f"cannot tell whether every titulaire is under {p.age}: titulaire {m.id}'s "
                f"age is unknown ({ctx.pourquoi_age_inconnu()})",
                "membres",
                "personnel",
            )
            return None
        if age >= p.age:
            return None
        ages.append(f"{m.id} {age}")
    if not ages:
        return None
    return Constat(
        f"every titulaire is under {p.age} on {ctx.au.isoformat()} (ages: {', '.join(ages)})",
        ctx.sources("membres", "personnel"),
    )


def _un_titulaire_au_moins(ctx: _Contexte, p: _Age) -> Constat | None:
    inconnus: list[str] = []
    for m in ctx.titulaires():
        age = ctx.age(m)
        if age is None:
            inconnus.append(m.id)
        elif age >= p.age:
            return Constat(
                f"titulaire {m.id} is {age} on {ctx.au.isoformat()} ({p.age} or older)",
                ctx.sources("membres", "personnel"),
            )
    if inconnus:
        ctx.remarquer(
            f"does not apply for want of an age: titulaire(s) {', '.join(inconnus)} "
            f"({ctx.pourquoi_age_inconnu()})",
            "membres",
            "personnel",
        )
    return None


def _parent_isole(ctx: _Contexte, p: _Age) -> Constat | None:
    membres = ctx.etat.membres
    if any(m.role is RoleMembre.cotitulaire for m in membres):
        return None
    a_charge = [m for m in membres if m.role is RoleMembre.personne_a_charge]
    inconnus: list[str] = []
    for m in a_charge:
        age = ctx.age(m)
        if age is None:
            inconnus.append(m.id)
        elif age < p.age:
            return Constat(
                f"no co-titulaire; dependant {m.id} is {age} on {ctx.au.isoformat()} "
                f"(under {p.age})",
                ctx.sources("membres", "personnel"),
            )
    if inconnus:
        ctx.remarquer(
            f"does not apply for want of an age: dependant(s) {', '.join(inconnus)} "
            f"({ctx.pourquoi_age_inconnu()})",
            "membres",
            "personnel",
        )
    return None


def _contrat_titulaire_parmi(ctx: _Contexte, p: _Contrats) -> Constat | None:
    for m in ctx.titulaires():
        if m.contrat in p.codes:
            return Constat(f"titulaire {m.id} has a {m.contrat} contract", ctx.sources("membres"))
    return None


def _anciennete(ctx: _Contexte, p: _Ans) -> Constat | None:
    depuis = calendrier.ajouter_ans(ctx.etat.filed_on, p.ans)
    if ctx.au >= depuis:
        return Constat(
            f"filed on {ctx.etat.filed_on.isoformat()}: {p.ans} year(s) or more since "
            f"{depuis.isoformat()}",
            _version_enregistrement(ctx.etat),
        )
    return None


def _decote(ctx: _Contexte, p: _Decote) -> Constat | None:
    actives = [
        d
        for d in sorted(ctx.etat.decotes.values(), key=lambda d: d.version)
        if d.code is p.code and d.decision is not DecisionRecours.annulee and d.compte_le(ctx.au)
    ]
    if not actives:
        return None
    sources: set[int] = set()
    for d in actives:
        sources.add(d.version)
        if d.refus is not None:
            sources.add(d.refus)
        if d.piece is not None:
            sources.add(d.piece)
        if d.recours is not None:
            sources.add(d.recours)
        if d.decision_version is not None:
            sources.add(d.decision_version)
    parts = []
    for d in actives:
        etat_recours = (
            "no recours"
            if d.recours is None
            else ("recours pending" if d.decision is None else f"recours {d.decision}")
        )
        fait = f" for the fact of {d.fait_le.isoformat()}" if d.fait_le is not None else ""
        parts.append(
            f"{d.code} of {d.date.isoformat()}{fait} counts until "
            f"{d.fin.isoformat()} (exclusive), {etat_recours}"
        )
    if len(actives) > 1:
        parts.append("counted once")
    return Constat("; ".join(parts), sorted(sources))


def _aspa_epci(ctx: _Contexte, p: _Aspa) -> Constat | None:
    lgt = ctx.etat.logement_actuel
    if lgt is None or lgt.commune not in ctx.territoire.communes_epci:
        return None
    inconnus: list[str] = []
    for m in ctx.titulaires():
        if not any(r.code is p.ressource and r.montant_mensuel > 0 for r in m.ressources):
            continue
        age = ctx.age(m)
        if age is None:
            inconnus.append(m.id)
        elif age >= p.age:
            return Constat(
                f"titulaire {m.id} is {age} and receives {p.ressource}; current housing in "
                f"{lgt.commune}, in the EPCI",
                ctx.sources("membres", "personnel", "logement_actuel"),
            )
    if inconnus:
        ctx.remarquer(
            f"does not apply for want of an age: titulaire(s) {', '.join(inconnus)} "
            f"({ctx.pourquoi_age_inconnu()})",
            "membres",
            "personnel",
        )
    return None


def _version_enregistrement(etat: EtatDemande) -> list[int]:
    return [v for v, f in etat.faits.items() if isinstance(f, Demande.Enregistree)][:1]


REGLES: dict[str, Regle] = {
    r.nom: r
    for r in (
        Regle("statut_dalo_actif", _Aucun, _statut_dalo_actif, "the DALO status is ACTIF"),
        Regle(
            "declare",
            _Situation,
            _declare,
            "the situation (default: the criterion's code) is among the demand's declared situations",
        ),
        Regle(
            "declare_et_accepte_qpv",
            _Situation,
            _declare_et_accepte_qpv,
            "declared, as `declare`, and the wishes accept a dwelling in a QPV",
        ),
        Regle(
            "premier_quartile",
            _Aucun,
            _premier_quartile,
            "annual resources per UC strictly below the territory's threshold for the as-of year",
        ),
        Regle(
            "logement_actuel_parmi",
            _Modeles,
            _logement_actuel_parmi,
            "the current housing's modeleLogement is one of `codes`",
        ),
        Regle(
            "travaille_epci", _Aucun, _travaille_epci, "a titulaire's work commune is in the EPCI"
        ),
        Regle(
            "travaille_commune_premier_choix",
            _Aucun,
            _travaille_commune_premier_choix,
            "a titulaire's work commune is the first-choice commune",
        ),
        Regle(
            "habite_commune_premier_choix",
            _Aucun,
            _habite_commune_premier_choix,
            "the current housing's commune is the first-choice commune",
        ),
        Regle(
            "tous_titulaires_moins_de",
            _Age,
            _tous_titulaires_moins_de,
            "every titulaire is younger than `age` at the as-of date",
        ),
        Regle(
            "un_titulaire_au_moins",
            _Age,
            _un_titulaire_au_moins,
            "a titulaire is `age` or older at the as-of date",
        ),
        Regle(
            "parent_isole",
            _Age,
            _parent_isole,
            "no co-titulaire and at least one dependant younger than `age`",
        ),
        Regle(
            "contrat_titulaire_parmi",
            _Contrats,
            _contrat_titulaire_parmi,
            "a titulaire's typeContratTravail is one of `codes`",
        ),
        Regle(
            "anciennete",
            _Ans,
            _anciennete,
            "the as-of date is on or after filed_on + `ans` years",
        ),
        Regle(
            "decote",
            _Decote,
            _decote,
            "a décote of `code` counts at the as-of date (one year from its date, end exclusive)",
        ),
        Regle(
            "aspa_epci",
            _Aspa,
            _aspa_epci,
            "a titulaire aged `age` or more receives `ressource` (default AMV), and the current "
            "housing is in the EPCI",
        ),
    )
}


# ----------------------------------------------------------------------------------------------
# Scoring.


# Each criterion's parametres read once per grid loaded rather than once per demand scored (a
# day's recompute scores every active demand against the same few dozen criteria): keyed by the
# criterion's id, the criterion kept with its reading so that the id cannot be reused meanwhile.
_LUS: dict[int, tuple[Critere, Any]] = {}
_LUS_MAX = 10_000


def _parametres_lus(regle: Regle, critere: Critere) -> Any:
    lu = _LUS.get(id(critere))
    if lu is None or lu[0] is not critere:
        if len(_LUS) >= _LUS_MAX:
            _LUS.clear()
        lu = _LUS[id(critere)] = (critere, regle.lire(critere.parametres))
    return lu[1]


def coter(etat: EtatDemande, au: date, territoire: Territoire, grille: Grille) -> Cotation:
    """The demand's cotation as of `au`. `etat` should be the demand folded as of `au`
    (`Demande.etat_au(au, connu_a)`): the rules read its facts as they stand."""
    version = grille.version_en_vigueur(au)
    explications: list[Explication] = []
    remarques: list[Remarque] = []
    en_attente: list[EnAttente] = []
    for critere in version.criteres:
        regle = REGLES[critere.regle]
        ctx = _Contexte(etat, au, territoire, critere)
        constat = regle.evaluer(ctx, _parametres_lus(regle, critere))
        remarques.extend(ctx.remarques)
        if constat is None:
            continue
        cle = "justification:" + critere.code
        justification = etat.justifications.get(critere.code)
        if justification is Justification.rejete:
            remarques.append(
                Remarque(
                    critere.code,
                    f"would apply ({constat.detail}) but was justified rejete: earns nothing",
                    sorted({*constat.sources, etat.sources[cle]}),
                )
            )
            continue
        sources = list(constat.sources)
        detail = constat.detail
        if critere.justification_requise and justification is not Justification.justifie:
            # The fold is as of `au`: the latest justification by then decides (a `justifie`
            # dated after `au` is not in `etat`, so the criterion is still awaiting it).
            en_attente.append(
                EnAttente(
                    critere.code,
                    critere.libelle,
                    critere.points,
                    sources,
                    f"{detail}: en attente de justification",
                    list(critere.justificatifs),
                )
            )
            continue
        if justification is Justification.justifie:
            sources = sorted({*sources, etat.sources[cle]})
            detail += " (justifie)"
        explications.append(
            Explication(critere.code, critere.libelle, critere.points, sources, detail)
        )
    return Cotation(
        numero_unique=etat.numero_unique,
        au=au,
        version=version.version,
        points=sum(e.points for e in explications),  # no floor
        explications=explications,
        remarques=remarques,
        en_attente=en_attente,
    )


def coter_demande(
    demande: Demande,
    au: date,
    territoire: Territoire,
    grille: Grille,
    connu_a: Any = None,
) -> Cotation:
    """Folds the demand as of `au` (and as known at `connu_a`, a datetime) and scores it."""
    return coter(demande.etat_au(au, connu_a), au, territoire, grille)
