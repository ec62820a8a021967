"""What a territory is made of: communes, organisations, dwellings and the figures its
arrêtés set. Loaded from a configuration file by an adapter; the domain only reads it."""

from datetime import date
from decimal import Decimal

import msgspec

from domain.codes import Financement, QualiteMembre, TypeOrganisation, TypeReservataire, Typologie


class Commune(msgspec.Struct, frozen=True):
    insee: str
    nom: str


class Agent(msgspec.Struct, frozen=True):
    identifiant: str
    nom: str
    jeton: str  # bearer token; fixes the organisation recorded on the agent's events


class Organisation(msgspec.Struct, frozen=True):
    code: str
    nom: str
    types: frozenset[TypeOrganisation]
    # Contingents this organisation reserves on as a réservataire (a designation is allowed on a
    # dwelling whose contingent it holds).
    code_guichet: str | None = None  # 5 characters, closes the numéro unique it mints
    agents: tuple[Agent, ...] = ()
    # An auditeur reads the facts, never the persons, unless the territory grants it this (a CIL
    # handling an applicant's request, an inspection that must name whom it controls).
    lecture_donnees_personnelles: bool = False

    def est(self, type_: TypeOrganisation) -> bool:
        return type_ in self.types


class LogementSocial(msgspec.Struct, frozen=True):
    identifiant: str  # RPLS-like
    bailleur: str  # organisation code
    commune: str  # INSEE
    qpv: bool
    typologie: Typologie
    financement: Financement
    contingent: TypeReservataire
    reservataire: str | None = None  # organisation code holding the contingent, if any
    vacant: bool = False  # initial state; later vacancies are events


class Convention(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A convention de réservation in flux (L.441-1, R.441-5): the share of a bailleur's yearly
    flux of vacancies promised to a réservataire, in % of the flux or as a number of vacancies,
    optionally for one typology or one commune. `contingent` is the SNE typeReservataire its
    designations carry (PFONCT for the Etat's share for public servants)."""

    reservataire: str
    bailleur: str
    annee: int
    contingent: TypeReservataire
    part: Decimal | None = None  # % of the flux
    nombre: int | None = None  # or a number of vacancies
    typologie: Typologie | None = None
    commune: str | None = None  # INSEE

    @property
    def identifiant(self) -> str:
        """What the bilan du flux names a convention by."""
        parts = [self.reservataire, self.bailleur, str(self.annee), self.contingent.value]
        if self.typologie is not None:
            parts.append(self.typologie.value)
        if self.commune is not None:
            parts.append(self.commune)
        return "/".join(parts)

    def couvre(self, typologie: Typologie, commune: str) -> bool:
        return (self.typologie is None or self.typologie is typologie) and (
            self.commune is None or self.commune == commune
        )


class Cible(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A target of the observatory for a year (docs/statistics.md): the law's default for the
    territory, or a commitment of the convention intercommunale d'attribution (CCH L.441-1-6)
    for one bailleur or one réservataire organisation ("pourcentages adaptables")."""

    indicateur: str  # premier_quartile_hors_qpv, hors_premier_quartile_qpv, prioritaires_dalo…
    annee: int
    valeur: Decimal  # %
    bailleur: str | None = None
    reservataire: str | None = None  # organisation code
    source: str = "cia"  # cia | loi


class Territoire(msgspec.Struct, frozen=True, dict=True):
    code: str  # 3 characters, opens every numéro unique minted here
    nom: str
    epci: str
    communes: tuple[Commune, ...]
    qpv: tuple[str, ...]  # names of the quartiers prioritaires
    organisations: tuple[Organisation, ...]
    logements: tuple[LogementSocial, ...]
    seuils_premier_quartile: dict[int, Decimal]  # €/UC/year, by year of the as-of date
    delai_anormalement_long_mois: int
    retention_donnees_mois: int = 12  # product rule: erasure one year after any radiation
    grille: str | None = None  # path of the cotation grid file, relative to the territory file
    # Gestion en flux (docs/rules.md and docs/flux.md): vacancies opened on or after this date are oriented by
    # their bailleur under the conventions; before it, the per-dwelling contingent (stock).
    flux_depuis: date | None = None
    conventions: tuple[Convention, ...] = ()
    # Who holds the casting vote at a CAL on a tie (territory rules): the mayor by default.
    voix_preponderante: QualiteMembre = QualiteMembre.maire
    # Targets per year (docs/statistics.md); where none is given, the law's defaults apply.
    cibles: tuple[Cible, ...] = ()
    # Whether a demand may wish communes outside the EPCI (a territory that shares its demands
    # with its neighbours); by default its wishes name the territory's communes only.
    souhaits_hors_epci: bool = False

    def __post_init__(self) -> None:
        codes = [o.code for o in self.organisations]
        if len(codes) != len(set(codes)):
            raise ValueError("territory: duplicate organisation code")
        ids = [lgt.identifiant for lgt in self.logements]
        if len(ids) != len(set(ids)):
            raise ValueError("territory: duplicate dwelling identifier")
        known = set(codes)
        insee = {c.insee for c in self.communes}
        for lgt in self.logements:
            if lgt.bailleur not in known:
                raise ValueError(f"dwelling {lgt.identifiant}: unknown bailleur {lgt.bailleur!r}")
            if lgt.reservataire is not None and lgt.reservataire not in known:
                raise ValueError(
                    f"dwelling {lgt.identifiant}: unknown réservataire {lgt.reservataire!r}"
                )
            if lgt.commune not in insee:
                raise ValueError(
                    f"dwelling {lgt.identifiant}: commune {lgt.commune!r} is not in the EPCI"
                )
        for i, c in enumerate(self.cibles):
            for qui in (c.bailleur, c.reservataire):
                if qui is not None and qui not in known:
                    raise ValueError(f"cibles[{i}]: unknown organisation {qui!r}")
            if c.bailleur is not None and c.reservataire is not None:
                raise ValueError(f"cibles[{i}]: a target is for a bailleur or a réservataire, not both")

    def en_flux(self, jour: date | None) -> bool:
        """Whether a vacancy opened on `jour` is managed in flux (None: opened before the ledger
        followed the dwelling, so in stock)."""
        return self.flux_depuis is not None and jour is not None and jour >= self.flux_depuis

    def conventions_de(self, bailleur: str, annee: int) -> list[Convention]:
        return [c for c in self.conventions if c.bailleur == bailleur and c.annee == annee]

    def convention_pour(
        self, reservataire: str, bailleur: str, annee: int, typologie: Typologie, commune: str,
        contingent: TypeReservataire | None = None,
    ) -> Convention | None:
        """The réservataire's convention with the bailleur that covers a vacancy of that year,
        typology and commune (the most specific one first); None if it has none."""
        candidates = [
            c for c in self.conventions_de(bailleur, annee)
            if c.reservataire == reservataire and c.couvre(typologie, commune)
            and (contingent is None or c.contingent is contingent)
        ]
        candidates.sort(key=lambda c: (c.typologie is None, c.commune is None, c.contingent.value))
        return candidates[0] if candidates else None

    @property
    def communes_epci(self) -> frozenset[str]:
        # Asked at every registration (its wished communes) and every cotation: made once.
        communes = self.__dict__.get("_communes_epci")
        if communes is None:
            communes = frozenset(c.insee for c in self.communes)
            self.__dict__["_communes_epci"] = communes
        return communes

    def organisation(self, code: str) -> Organisation:
        """Raises KeyError for an unknown code."""
        return self._index("_organisations", self.organisations, "code")[code]

    def logement(self, identifiant: str) -> LogementSocial:
        """Raises KeyError for an unknown dwelling."""
        return self._index("_logements", self.logements, "identifiant")[identifiant]

    def agent_par_jeton(self, jeton: str) -> tuple[Organisation, Agent] | None:
        for o in self.organisations:
            for a in o.agents:
                if a.jeton == jeton:
                    return o, a
        return None

    def seuil_premier_quartile(self, annee: int) -> Decimal | None:
        return self.seuils_premier_quartile.get(annee)

    def _index(self, cache: str, items: tuple, key: str) -> dict:
        # Territories hold thousands of dwellings: index them once, lazily.
        index = self.__dict__.get(cache)
        if index is None:
            index = {getattr(i, key): i for i in items}
            self.__dict__[cache] = index
        return index
