"""The Sophia Antipolis scenario: the Communauté d'agglomération Sophia Antipolis (CASA) in 2016
and 2017, steered so that the log gives back the figures of its 2019 document cadre
(the document cadre of the CASA on attributions, 2019; docs/statistics.md):

- 2017, outside the QPV: 344 baux, of which exactly 48 to first-quartile households (13.95 %);
- 2017, in the QPV: 81 CAL attributions (any attribution kind, some later refused), of which
  exactly 71 to households above the first quartile (87.7 %);
- 5,236 demands active on 9 January 2017 for 564 baux in 2016 (tension 9.3).

First quartile: 12 × monthly resources / UC below 9,120 €/UC/year, as the Registre computes it
on the day of the decision or the bail. Households are drawn clearly on one side of the
threshold, candidates of a vacancy are chosen from the side the remaining counts need, and the
last attributions and baux of a side are held back once its count is reached; the counts are
computed on the household exactly as the Registre will."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from adapters.generation.attributions import Candidat, MiseEnLocation
from adapters.generation.dossiers import Dossier
from adapters.generation.parametres import LOGEMENTS_SOPHIA
from adapters.generation.parc import ProfilParc, generer_parc
from adapters.generation.politique import Politique
from domain.codes import ATTRIBUTIONS, MotifRadiation
from domain.territoire import LogementSocial

if TYPE_CHECKING:
    # The simulation runs this policy and hands itself to each hook: named for the types only.
    from adapters.generation.simulation import Simulation
SEUIL = "9120"  # €/UC/year, the CASA's first-quartile threshold (document cadre, 2018)
QPV = "Cœur de Ville et Hauts de Vallauris"
VALLAURIS = "06155"

BAUX_2016 = 564
ACTIVES_LE = date(2017, 1, 9)
ACTIVES = 5_236
HORS_QPV_2017 = 344
HORS_QPV_Q1_2017 = 48
QPV_ATTRIBUTIONS_2017 = 81
QPV_AU_DESSUS_2017 = 71
QPV_Q1_2017 = QPV_ATTRIBUTIONS_2017 - QPV_AU_DESSUS_2017
BASCULE = date(2016, 11, 15)  # vacancies declared from here on are let in 2017
RELANCE_2016 = date(2016, 10, 1)
RELANCE_2017 = date(2017, 9, 1)
FIN_DE_PARTIE = date(2017, 12, 1)
APRES = timedelta(days=45)  # a candidate's side of the threshold is judged at the likely bail

# (INSEE, name, weight): Antibes holds 60 % of the parc (document cadre); the others are
# synthetic, Vallauris large enough for its 457 QPV dwellings.
COMMUNES = (
    ("06004", "Antibes", 60), (VALLAURIS, "Vallauris", 13), ("06152", "Valbonne", 8),
    ("06161", "Villeneuve-Loubet", 7), ("06018", "Biot", 5), ("06044", "La Colle-sur-Loup", 4),
    ("06105", "Roquefort-les-Pins", 3),
)
# (code, name, kinds, code_guichet, contingents, commune, agents)
ORGANISATIONS: tuple[tuple[Any, ...], ...] = (
    ("ERILIA", "Erilia", ("guichet", "bailleur"), "ERI01", (), None, 2),
    ("CAH", "Côte d'Azur Habitat (OPH)", ("guichet", "bailleur"), "CAH01", (), None, 2),
    ("SAH", "Sophia Antipolis Habitat", ("guichet", "bailleur"), "SAH01", (), None, 2),
    ("AUTRES-BAILLEURS", "Autres bailleurs sociaux (14, regroupés)", ("bailleur",), "ABS01", (), None, 1),
    ("ALS", "Action Logement Services", ("reservataire",), None, ("COLACT",), None, 1),
    ("ETAT-06", "Préfet des Alpes-Maritimes (DDETS 06)", ("reservataire", "etat"), None, ("PPRIOR", "PFONCT"), None, 2),
    ("CASA", "Communauté d'agglomération Sophia Antipolis", ("reservataire",), None, ("COLTER",), None, 1),
    ("ANTIBES", "Ville d'Antibes Juan-les-Pins, service Logement", ("guichet", "reservataire"), "ANT01", ("COLTER",), "06004", 2),
    ("VALLAURIS", "Ville de Vallauris Golfe-Juan, service Logement", ("guichet", "reservataire"), "VAL01", ("COLTER",), VALLAURIS, 1),
    ("VALBONNE", "CCAS de Valbonne Sophia Antipolis", ("guichet", "reservataire"), "VBN01", ("COLTER",), "06152", 1),
    ("VILLENEUVE-LOUBET", "CCAS de Villeneuve-Loubet", ("guichet", "reservataire"), "VLL01", ("COLTER",), "06161", 1),
    ("BIOT", "CCAS de Biot", ("guichet", "reservataire"), "BIO01", ("COLTER",), "06018", 1),
    ("LA-COLLE", "CCAS de La Colle-sur-Loup", ("guichet", "reservataire"), "LCL01", ("COLTER",), "06044", 1),
    ("ROQUEFORT", "CCAS de Roquefort-les-Pins", ("guichet", "reservataire"), "RQF01", ("COLTER",), "06105", 1),
    ("SYSTEME", "Demand Ledger (gestionnaire du système)", ("systeme",), None, (), None, 1),
    ("OBSERVATOIRE", "Observatoire de l'habitat, CIL de la CASA", ("auditeur",), None, (), None, 1),
)


def profil() -> ProfilParc:
    return ProfilParc(
        communes=tuple((insee, w) for insee, _, w in COMMUNES),
        commune_qpv=VALLAURIS,
        qpv=457,
        bailleurs=(("ERILIA", 30), ("CAH", 18), ("SAH", 19), ("AUTRES-BAILLEURS", 33)),
        bailleurs_qpv=(("ERILIA", 341), ("SAH", 78), ("CAH", 38)),
        financement=(("PLAI", 9), ("PLUS", 77), ("PLS", 14)),
        typologie=(("C", 1), ("T1", 8), ("T2", 30), ("T3", 35), ("T4", 19), ("T5", 6), ("T6P", 1)),
        contingent=(("COLACT", 29), ("PPRIOR", 20), ("PFONCT", 5), ("COLTER", 25), ("AUCUN", 21)),
        titulaires={"COLACT": "ALS", "PPRIOR": "ETAT-06", "PFONCT": "ETAT-06"},
        colter_commune={o[5]: o[0] for o in ORGANISATIONS if o[5]},
        colter_epci="CASA",
        part_colter_epci=0.4,
        vacants=70,
    )


def territoire_sophia(rng: random.Random) -> dict[str, Any]:
    """The tables of the Sophia Antipolis territory file (docs/generate.md)."""
    organisations = []
    for code, nom, types, guichet, contingents, _commune, agents in ORGANISATIONS:
        org: dict[str, Any] = {"code": code, "nom": nom, "types": list(types)}
        if guichet:
            org["code_guichet"] = guichet
        if contingents:
            org["contingents"] = list(contingents)
        slug = code.lower()
        org["agents"] = [
            {"identifiant": f"{slug}-{n}", "nom": f"Agent {n} ({code})", "jeton": f"demo-{slug}-{n}"}
            for n in range(1, agents + 1)
        ]
        organisations.append(org)
    from dataclasses import asdict

    return {
        "code": "006",
        "nom": "Sophia Antipolis",
        "epci": "Communauté d'agglomération Sophia Antipolis",
        "qpv": [QPV],
        "delai_anormalement_long_mois": 60,  # placeholder, not the arrêté's figure
        "retention_donnees_mois": 12,
        "seuils_premier_quartile": {2016: SEUIL, 2017: SEUIL, 2018: SEUIL},
        "communes": [{"insee": insee, "nom": nom} for insee, nom, _ in COMMUNES],
        "organisations": organisations,
        "logements": [
            {k: v for k, v in asdict(lgt).items() if v is not None}
            for lgt in generer_parc(rng, LOGEMENTS_SOPHIA, profil())
        ],
    }


class PolitiqueSophia(Politique):
    part_mutation = 0.17  # "dont 17 % de demandes de mutation"
    modifie_ressources = False  # a household stays on its side of the threshold
    ailleurs = ("06029", "06088", "06069", "06030")  # Cannes, Nice, Grasse, Le Cannet

    def __init__(self) -> None:
        super().__init__()
        self.baux_2016 = 0
        self.hors_qpv = 0  # baux outside the QPV in 2017
        self.hors_qpv_q1 = 0
        self.qpv = 0  # CAL attributions in the QPV in 2017
        self.qpv_q1 = 0
        self.actives_le = 0
        self.forcees: dict[str, str] = {}  # dwelling -> side, for vacancies declared to catch up
        self._reste: dict[bool, float] = {True: 0.0, False: 0.0}

    # -- stock ----------------------------------------------------------------------------------

    def cible_stock(self, sim: Simulation, jour: date) -> float:
        return float(ACTIVES)

    def stock_initial(self, sim: Simulation) -> int:
        return 5_100

    def classe_menage(self, sim: Simulation, jour: date) -> str | None:
        return "q1" if sim.rng.random() < 0.3 else "autre"

    def fin_de_journee(self, sim: Simulation, jour: date) -> None:
        if jour != ACTIVES_LE:
            return
        # The last registrations or renunciations of the day make the stock exact.
        while sim.nb_actifs < ACTIVES:
            if sim._inscrire(jour) is None:
                break
        if sim.nb_actifs > ACTIVES:
            libres = [d for d in sim.dossiers.values() if d.active and d.candidature is None]
            for d in sim.rng.sample(libres, sim.nb_actifs - ACTIVES):
                sim.radier(d, MotifRadiation.RADABA, d.guichet)
        self.actives_le = sim.nb_actifs

    def plancher(self, sim: Simulation, jour: date) -> date:
        # Nothing typed in late may change the stock of 9 January 2017 once it is counted.
        return ACTIVES_LE + timedelta(days=1) if jour > ACTIVES_LE else sim.debut

    # -- vacancies --------------------------------------------------------------------------------

    def _en_cours(self, sim: Simulation, qpv: bool) -> list[MiseEnLocation]:
        return [ml for ml in sim.en_cours.values() if ml.spec.qpv == qpv and not ml.termine]

    def _tirer(self, sim: Simulation, qpv: bool) -> LogementSocial | None:
        for _ in range(200):
            spec = sim.territoire.logement(sim.loues.tirer(sim.rng))
            if spec.qpv == qpv:
                return spec
        return None

    def vacances(self, sim: Simulation, jour: date) -> list[LogementSocial]:
        if jour < BASCULE:
            rythme = {False: BAUX_2016 * 1.1 * 0.93 / 365, True: BAUX_2016 * 1.1 * 0.07 / 365}
        else:
            rythme = {False: HORS_QPV_2017 * 1.05 / 365, True: 36 / 365}
        if jour.year == 2017 and self.qpv_q1 >= QPV_Q1_2017 and self.qpv - self.qpv_q1 >= QPV_AU_DESSUS_2017:
            rythme[True] = 0.0
        out: list[LogementSocial] = []
        for qpv in (False, True):
            self._reste[qpv] += rythme[qpv] * 7 / 5
            n = int(self._reste[qpv])
            self._reste[qpv] -= n
            for _ in range(n):
                spec = self._tirer(sim, qpv)
                if spec is not None:
                    out.append(spec)
        out += self._relance(sim, jour)
        return out

    def _relance(self, sim: Simulation, jour: date) -> list[LogementSocial]:
        """A vacancy more when the counts would not be reached by the end of the year."""
        out: list[LogementSocial] = []

        def ajouter(qpv: bool, cote: str | None) -> None:
            spec = self._tirer(sim, qpv)
            if spec is not None:
                out.append(spec)
                if cote:
                    self.forcees[spec.identifiant] = cote

        if RELANCE_2016 <= jour < BASCULE + timedelta(days=30):
            en_cours = len(self._en_cours(sim, False)) + len(self._en_cours(sim, True))
            if self.baux_2016 + 0.8 * en_cours < BAUX_2016 + 5:
                ajouter(False, None)
        if RELANCE_2017 <= jour <= date(2017, 12, 20):
            hors = [ml for ml in self._en_cours(sim, False) if ml.classe]
            for cote, fait, cible in (
                ("q1", self.hors_qpv_q1, HORS_QPV_Q1_2017),
                ("autre", self.hors_qpv - self.hors_qpv_q1, HORS_QPV_2017 - HORS_QPV_Q1_2017),
            ):
                if fait + 0.8 * sum(1 for ml in hors if ml.classe == cote) < cible + 2:
                    ajouter(False, cote)
            avant_cal = [ml for ml in self._en_cours(sim, True) if not ml.classement]
            for cote, fait, cible in (
                ("q1", self.qpv_q1, QPV_Q1_2017),
                ("autre", self.qpv - self.qpv_q1, QPV_AU_DESSUS_2017),
            ):
                if fait < cible and fait + 2 * sum(1 for ml in avant_cal if ml.classe == cote) < cible + 1:
                    ajouter(True, cote)
        return out

    # -- designations: the side of the threshold the counts need ---------------------------------

    def avant_designation(self, sim: Simulation, ml: MiseEnLocation) -> None:
        jour = sim.jour
        force = self.forcees.get(ml.spec.identifiant)
        if force is not None:
            ml.classe = force
            return
        if ml.spec.qpv:
            if jour < date(2016, 12, 1):
                return
            manque_q1 = QPV_Q1_2017 - self.qpv_q1
            manque = QPV_ATTRIBUTIONS_2017 - self.qpv
        else:
            if jour < date(2016, 11, 1):
                return
            hors = [x for x in self._en_cours(sim, False) if x.classe and x is not ml]
            manque_q1 = HORS_QPV_Q1_2017 - self.hors_qpv_q1 - 0.8 * sum(1 for x in hors if x.classe == "q1")
            manque = HORS_QPV_2017 - self.hors_qpv - 0.8 * len(hors)
        p = min(1.0, max(0.0, manque_q1 / manque)) if manque > 0 else 0.0
        ml.classe = "q1" if sim.rng.random() < p else "autre"

    def eligible(self, sim: Simulation, ml: MiseEnLocation, d: Dossier) -> bool:
        if ml.classe is None:
            return True
        jour = sim.jour + APRES
        return d.premier_quartile(jour, sim.seuil(jour.year)) == (ml.classe == "q1")

    # -- CAL: attributions in the QPV ---------------------------------------------------------

    def _q1(self, sim: Simulation, d: Dossier) -> bool:
        """As the Registre computes it today, for the decision or the bail of today."""
        return d.premier_quartile(sim.jour, sim.territoire.seuil_premier_quartile(sim.jour.year))

    def reporter_cal(self, sim: Simulation, ml: MiseEnLocation) -> bool:
        return (
            ml.spec.qpv
            and sim.jour.year == 2017
            and self.qpv_q1 >= QPV_Q1_2017
            and self.qpv - self.qpv_q1 >= QPV_AU_DESSUS_2017
        )

    def issue_cal(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> str:
        if not (ml.spec.qpv and sim.jour.year == 2017):
            return super().issue_cal(sim, ml, k)
        if self._q1(sim, k.d):
            place = self.qpv_q1 < QPV_Q1_2017
        else:
            place = self.qpv - self.qpv_q1 < QPV_AU_DESSUS_2017
        if not place:
            return "equilibre"
        if sim.jour < FIN_DE_PARTIE:
            return super().issue_cal(sim, ml, k)
        return "attribution"

    def apres_decision(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> None:
        if ml.spec.qpv and sim.jour.year == 2017 and k.decision in ATTRIBUTIONS:
            self.qpv += 1
            self.qpv_q1 += self._q1(sim, k.d)

    # -- answers and baux ---------------------------------------------------------------------------

    def _presse(self, sim: Simulation, ml: MiseEnLocation) -> bool:
        """December and the count is not reached: the candidate accepts and signs quickly."""
        jour = sim.jour
        if jour.year == 2016:
            return jour.month == 12 and self.baux_2016 < BAUX_2016
        return jour >= FIN_DE_PARTIE and not ml.spec.qpv

    def reponse(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> str:
        if self._presse(sim, ml):
            return "accepte"
        return super().reponse(sim, ml, k)

    def delai_bail(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> int:
        if self._presse(sim, ml):
            return sim.rng.randint(1, 4)
        return super().delai_bail(sim, ml, k)

    def peut_signer(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> bool:
        jour = sim.jour
        if jour.year == 2016:
            return self.baux_2016 < BAUX_2016
        if jour.year == 2017 and not ml.spec.qpv:
            if self._q1(sim, k.d):
                return self.hors_qpv_q1 < HORS_QPV_Q1_2017
            return self.hors_qpv - self.hors_qpv_q1 < HORS_QPV_2017 - HORS_QPV_Q1_2017
        return True

    def apres_bail(self, sim: Simulation, ml: MiseEnLocation, k: Candidat) -> None:
        jour = sim.jour
        self.forcees.pop(ml.spec.identifiant, None)
        if jour.year == 2016:
            self.baux_2016 += 1
        elif jour.year == 2017 and not ml.spec.qpv:
            self.hors_qpv += 1
            self.hors_qpv_q1 += self._q1(sim, k.d)

    def chiffres(self, sim: Simulation) -> dict[str, int]:
        return {
            "baux 2016": self.baux_2016,
            f"active on {ACTIVES_LE}": self.actives_le,
            "2017 baux outside the QPV": self.hors_qpv,
            "  of which first quartile": self.hors_qpv_q1,
            "2017 CAL attributions in the QPV": self.qpv,
            "  of which above the first quartile": self.qpv - self.qpv_q1,
        }
