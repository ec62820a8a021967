"""The territory file adapter and the demo territory it ships with."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.territory_file import TerritoryFileError, load_territory
from domain.codes import Financement, TypeOrganisation, TypeReservataire

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "territories" / "cannes-pays-de-lerins.toml"
GENERATOR = ROOT / "scripts" / "generate-demo-territory"


# -- the demo territory -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    return load_territory(DEMO)


def test_demo_has_the_five_communes_of_the_epci(demo) -> None:
    assert demo.code == "006"
    assert {c.insee: c.nom for c in demo.communes} == {
        "06029": "Cannes",
        "06030": "Le Cannet",
        "06079": "Mandelieu-la-Napoule",
        "06085": "Mougins",
        "06138": "Théoule-sur-Mer",
    }


def test_demo_has_one_qpv_and_only_cannes_dwellings_in_it(demo) -> None:
    assert demo.qpv == ("La Frayère",)
    in_qpv = [lgt for lgt in demo.logements if lgt.qpv]
    assert in_qpv
    assert {lgt.commune for lgt in in_qpv} == {"06029"}


def test_demo_has_the_three_bailleurs_and_they_own_every_dwelling(demo) -> None:
    bailleurs = {o.code for o in demo.organisations if o.est(TypeOrganisation.bailleur)}
    assert bailleurs == {"OPH-CPL", "ERILIA", "LOGIREM"}
    assert {lgt.bailleur for lgt in demo.logements} == bailleurs
    oph = demo.organisation("OPH-CPL")
    assert oph.est(TypeOrganisation.guichet) and oph.code_guichet is not None


def test_demo_dwelling_shares_follow_the_ppgdid(demo) -> None:
    n = len(demo.logements)
    assert n == 400
    communes = Counter(lgt.commune for lgt in demo.logements)
    assert abs(communes["06029"] / n - 0.63) < 0.01
    financement = Counter(lgt.financement for lgt in demo.logements)
    assert abs(financement[Financement.PLAI] / n - 0.064) < 0.005
    assert abs(financement[Financement.PLUS] / n - 0.80) < 0.005
    assert abs(sum(lgt.vacant for lgt in demo.logements) / n - 0.08) < 0.005


def test_demo_reservataires_hold_their_contingent(demo) -> None:
    holders = {
        TypeReservataire.COLACT: {"ALS"},
        TypeReservataire.PPRIOR: {"ETAT-06"},
        TypeReservataire.PFONCT: {"ETAT-06"},
        TypeReservataire.COLTER: {
            "CACPL",
            "CANNES",
            "LE-CANNET",
            "MANDELIEU",
            "MOUGINS",
            "THEOULE",
        },
    }
    for lgt in demo.logements:
        if lgt.contingent is TypeReservataire.AUCUN:
            assert lgt.reservataire is None, lgt.identifiant
        else:
            assert lgt.reservataire in holders[lgt.contingent], lgt.identifiant
    assert {lgt.contingent for lgt in demo.logements} == set(holders) | {TypeReservataire.AUCUN}


def test_demo_figures(demo) -> None:
    assert demo.seuil_premier_quartile(2024) == Decimal("9120")
    assert set(demo.seuils_premier_quartile) == set(range(2020, 2031))
    assert demo.retention_donnees_mois == 12
    assert demo.delai_anormalement_long_mois > 0
    assert demo.grille == str(DEMO.parent.resolve() / "cannes-pays-de-lerins.grille.toml")


def test_demo_tokens_are_marked_demo_only_and_resolve_to_their_agent(demo) -> None:
    agents = [(o, a) for o in demo.organisations for a in o.agents]
    assert agents
    for org, agent in agents:
        assert agent.jeton.startswith("demo-")
        assert demo.agent_par_jeton(agent.jeton) == (org, agent)
    kinds = {t for o in demo.organisations for t in o.types}
    assert kinds == set(TypeOrganisation)


# -- the generator ------------------------------------------------------------------------------


def _generate(output: Path, *args: str) -> bytes:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--output", str(output), *args],
        check=True,
        capture_output=True,
    )
    return output.read_bytes()


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = _generate(tmp_path / "a.toml", "--seed", "7", "--dwellings", "120")
    second = _generate(tmp_path / "b.toml", "--seed", "7", "--dwellings", "120")
    assert first == second
    other = _generate(tmp_path / "c.toml", "--seed", "8", "--dwellings", "120")
    assert other != first
    assert len(load_territory(tmp_path / "c.toml").logements) == 120


def test_committed_demo_is_the_generators_output(tmp_path: Path) -> None:
    # Guards against hand edits and against a generator change nobody regenerated for.
    assert _generate(tmp_path / "demo.toml") == DEMO.read_bytes()


# -- bad files ----------------------------------------------------------------------------------

VALID = """\
code = "006"
nom = "Test"
epci = "CA Test"
qpv = ["Q1"]
delai_anormalement_long_mois = 60
grille = "grille.toml"

[seuils_premier_quartile]
2024 = "9120"
2025 = 9200
2026 = 9300.5

[[communes]]
insee = "06029"
nom = "Cannes"

[[organisations]]
code = "OPH"
nom = "OPH"
types = ["guichet", "bailleur"]
code_guichet = "OPH01"

[[organisations.agents]]
identifiant = "oph-1"
nom = "Agent 1"
jeton = "tok-oph-1"

[[organisations]]
code = "ALS"
nom = "Action Logement"
types = ["reservataire"]
contingents = ["COLACT"]

[[organisations.agents]]
identifiant = "als-1"
nom = "Agent 2"
jeton = "tok-als-1"

[[organisations]]
code = "ETAT"
nom = "Préfet"
types = ["reservataire", "etat"]

[[logements]]
identifiant = "RPLS-1"
bailleur = "OPH"
commune = "06029"
qpv = true
typologie = "T3"
financement = "PLUS"
contingent = "COLACT"
reservataire = "ALS"
vacant = true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _bad(tmp_path: Path, old: str, new: str) -> TerritoryFileError:
    assert old in VALID  # else the case would test the valid file
    path = _write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(TerritoryFileError) as raised:
        load_territory(path)
    error = raised.value
    assert str(error).startswith(f"{path}: ")
    return error


def test_the_valid_sample_loads(tmp_path: Path) -> None:
    t = load_territory(_write(tmp_path, VALID))
    assert t.seuils_premier_quartile == {
        2024: Decimal("9120"),
        2025: Decimal("9200"),
        2026: Decimal("9300.5"),
    }
    assert t.grille == str((tmp_path / "grille.toml").resolve())
    assert t.retention_donnees_mois == 12
    assert t.logement("RPLS-1").vacant is True


def test_grille_is_optional(tmp_path: Path) -> None:
    t = load_territory(_write(tmp_path, VALID.replace('grille = "grille.toml"\n', "")))
    assert t.grille is None


BAD_CASES = [
    pytest.param(
        'types = ["reservataire"]',
        'types = ["bailler"]',
        "organisations[1].types[0]",
        "'bailler' is not one of guichet, bailleur, reservataire, etat, systeme, auditeur",
        id="unknown organisation kind",
    ),
    pytest.param(
        'typologie = "T3"',
        'typologie = "T7"',
        "logements[0].typologie",
        "'T7' is not one of C, T1, T2, T3, T4, T5, T6P",
        id="unknown typology",
    ),
    pytest.param(
        'bailleur = "OPH"',
        'bailleur = "ERILA"',
        "logements[0].bailleur",
        "'ERILA' is not the code of an organisation",
        id="unknown bailleur code",
    ),
    pytest.param(
        'bailleur = "OPH"',
        'bailleur = "ALS"',
        "logements[0].bailleur",
        "'ALS' is not a bailleur",
        id="bailleur that is no bailleur",
    ),
    pytest.param(
        'reservataire = "ALS"',
        'reservataire = "ALX"',
        "logements[0].reservataire",
        "'ALX' is not the code of an organisation",
        id="unknown reservataire code",
    ),
    pytest.param(
        'contingent = "COLACT"',
        'contingent = "PPRIOR"',
        "logements[0].contingent",
        "PPRIOR is not a contingent of 'ALS'",
        id="contingent the reservataire does not hold",
    ),
    pytest.param(
        'contingent = "COLACT"',
        'contingent = "AUCUN"',
        "logements[0].reservataire",
        "outside any contingent",
        id="reservataire on a dwelling outside any contingent",
    ),
    pytest.param(
        'contingents = ["COLACT"]',
        'contingents = ["COLAC"]',
        "organisations[1].contingents[0]",
        "'COLAC' is not one of COLTER, COLACT",
        id="unknown contingent on an organisation",
    ),
    pytest.param(
        'commune = "06029"',
        'commune = "06030"',
        "logements[0].commune",
        "'06030' is not one of the communes",
        id="dwelling outside the communes",
    ),
    pytest.param(
        "delai_anormalement_long_mois = 60\n",
        "",
        "delai_anormalement_long_mois",
        "missing key",
        id="missing top-level key",
    ),
    pytest.param(
        'jeton = "tok-als-1"\n',
        "",
        "organisations[1].agents[0]",
        "missing key 'jeton'",
        id="missing nested key",
    ),
    pytest.param(
        "vacant = true",
        "vacnt = true",
        "logements[0].vacnt",
        "unknown key",
        id="misspelt key",
    ),
    pytest.param(
        "qpv = true",
        'qpv = "yes"',
        "logements[0].qpv",
        "expected a boolean, got a string",
        id="wrong type",
    ),
    pytest.param(
        'jeton = "tok-als-1"',
        'jeton = "tok-oph-1"',
        "organisations[1].agents[0].jeton",
        "token already used by organisations[0].agents[0]",
        id="duplicate agent token",
    ),
    pytest.param(
        'code_guichet = "OPH01"',
        'code_guichet = "OPH1"',
        "organisations[0].code_guichet",
        "'OPH1' must be exactly 5 characters",
        id="code_guichet of 4 characters",
    ),
    pytest.param(
        'code = "006"',
        'code = "06"',
        "code",
        "'06' must be exactly 3 characters",
        id="territory code of 2 characters",
    ),
    pytest.param(
        '2024 = "9120"',
        'an-2024 = "9120"',
        "seuils_premier_quartile.an-2024",
        "is not a year",
        id="threshold key that is not a year",
    ),
    pytest.param(
        '2024 = "9120"',
        '2024 = "9 120"',
        "seuils_premier_quartile.2024",
        "'9 120' is not a decimal amount",
        id="threshold that is not a decimal",
    ),
    pytest.param(
        '2024 = "9120"',
        "2024 = true",
        "seuils_premier_quartile.2024",
        "expected an amount, got a boolean",
        id="threshold of the wrong type",
    ),
    pytest.param(
        'code = "ETAT"',
        'code = "ALS"',
        "organisations[2].code",
        "'ALS' already used at organisations[1]",
        id="duplicate organisation code",
    ),
]


@pytest.mark.parametrize(("old", "new", "location", "problem"), BAD_CASES)
def test_bad_input_names_file_field_and_problem(
    tmp_path: Path, old: str, new: str, location: str, problem: str
) -> None:
    error = _bad(tmp_path, old, new)
    assert error.location == location
    assert problem in error.problem
    assert f": {location}: " in str(error)


def test_duplicate_dwelling_identifier(tmp_path: Path) -> None:
    second = VALID[VALID.index("[[logements]]") :]
    path = _write(tmp_path, VALID + "\n" + second)
    with pytest.raises(
        TerritoryFileError, match=r"x\.toml: logements\[1\]\.identifiant: 'RPLS-1' already used"
    ):
        load_territory(path)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, VALID.replace('nom = "Test"', 'nom = "Test'))
    with pytest.raises(TerritoryFileError, match=r"x\.toml: not valid TOML: .*line 2"):
        load_territory(path)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(TerritoryFileError, match=r"nowhere\.toml: no such file"):
        load_territory(tmp_path / "nowhere.toml")


def test_error_is_a_value_error(tmp_path: Path) -> None:
    assert issubclass(TerritoryFileError, ValueError)
