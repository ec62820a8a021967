"""What a territory is made of: communes, organisations, dwellings and the figures its
arrêtés set. Loaded from a configuration file by an adapter; the domain only reads it."""

from decimal import Decimal

import msgspec

from domain.codes import Financement, TypeOrganisation, TypeReservataire, Typologie


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

    @property
    def communes_epci(self) -> frozenset[str]:
        return frozenset(c.insee for c in self.communes)

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
