"""Figure (p) of `scripts/bench`: the pages' render time on `--actives` active demands, each beside
the JSON endpoint that answers the same query, in the same run and against the same server:

  - a demand's page (`/espace/demandes/{n}`: the demand, its score explained with its rank, its
    history, the forms its viewer may post) beside GET /demandes/{n}/cotation (the score
    explained with its rank, the page's heaviest query) and GET /demandes/{n};
  - the CAL workspace of a dwelling (`/espace/logements/{id}`: the vacancy, its candidates, the
    first 20 compatible demands in rank order) beside GET
    /logements/{id}/candidats-compatibles?limite=20.

The directory read model (`projections.repertoire`: the wishes the CAL's list joins) is built
in-process first and timed as an informative line; the pages are read by a signed-in agent of a
bailleur (a session cookie, as a browser would)."""

from __future__ import annotations

import random
import re
import time
from typing import Any

from adapters.banc.mesure import Figure, chrono, dire, ms

AGENT = ("oph-cpl-1", "demo-oph-cpl-1")  # a guichet and bailleur: the page offers it forms
ECHAUFFEMENT = 20


def _connecter(client: Any) -> None:
    page = client.get("/connexion")
    jeton = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert jeton is not None, "the sign-in page carries a CSRF token"
    r = client.post("/connexion", data={"_csrf": jeton.group(1), "identifiant": AGENT[0], "jeton": AGENT[1],
                                        "suite": "/espace"})
    if r.status_code != 200 or f'data-agent="{AGENT[0]}"' not in r.text:
        raise SystemExit(f"bench (p): could not sign in ({r.status_code})")


def _mesurer(client: Any, chemins: list[str]) -> tuple[list[float], int]:
    for x in chemins[:ECHAUFFEMENT]:
        client.get(x)
    lat, erreurs = [], 0
    for x in chemins:
        s, r = chrono(client.get, x)
        lat.append(s)
        erreurs += r.status_code != 200
    return lat, erreurs


def figure_p(m: Any, requetes: int, rng: random.Random) -> list[Figure]:
    import httpx

    from adapters.banc import AUDIT
    from projections.repertoire import ProjectionRepertoire
    from projections.suivi import Suiveur

    dire("(p) building the directory read model (wishes, blind index, dwellings)…")
    repertoire = Suiveur(m.registre, ProjectionRepertoire(m.registre))
    s_rep, appliques = chrono(repertoire.suivre)
    numeros = m.numeros_actifs()
    n_actives = len(numeros)
    echantillon = rng.sample(numeros, min(requetes, n_actives))
    # The dwellings of the CAL figure: those whose list of compatible demands is the longest kind
    # (the typologies and communes most wished), the first of each (typology, commune).
    logements = {}
    for lgt in m.registre.territoire.logements:
        logements.setdefault((lgt.typologie, lgt.commune), lgt.identifiant)
    ids = list(logements.values())
    cal = [rng.choice(ids) for _ in range(min(requetes, 200))]
    dire(f"(p) {len(echantillon):,} demand pages and {len(cal):,} CAL workspaces, each beside its JSON endpoint…")
    # The pages read the directory and, for some, other read models not built here: a server
    # whose reads catch up themselves, as (p) was first measured.
    adresse = m.adresse(suivis=())
    with httpx.Client(base_url=adresse, timeout=120, follow_redirects=True) as navigateur, \
            httpx.Client(base_url=adresse, headers={"Authorization": f"Bearer {AUDIT}"}, timeout=120) as api:
        _connecter(navigateur)
        debut = time.perf_counter()
        lat_page, err_page = _mesurer(navigateur, [f"/espace/demandes/{x}" for x in echantillon])
        lat_cot, err_cot = _mesurer(api, [f"/demandes/{x}/cotation" for x in echantillon])
        lat_vue, err_vue = _mesurer(api, [f"/demandes/{x}" for x in echantillon])
        lat_cal, err_cal = _mesurer(navigateur, [f"/espace/logements/{x}" for x in cal])
        lat_liste, err_liste = _mesurer(api, [f"/logements/{x}/candidats-compatibles?limite=20" for x in cal])
        duree = time.perf_counter() - debut
    commun = f"{n_actives:,} active demands; uvicorn 1 worker, httpx keep-alive, {ECHAUFFEMENT} untimed reads first"
    return [
        Figure("", "directory read model built (projections.repertoire)", appliques / max(s_rep, 1e-9), "events/s",
               note=f"{appliques:,} events in {s_rep:.1f} s, in-process, before the pages are read"),
        Figure(
            "p", f"demand page, p95 ({n_actives:,} active)", ms(lat_page, 0.95), "ms",
            ms(lat_cot, 0.95), "ms", "GET /demandes/{n}/cotation (the page's heaviest query), p95", sens="moins",
            erreurs=err_page + err_cot,
            note=f"{len(echantillon):,} random demands; {commun}; page p50 {ms(lat_page, 0.5):.1f} ms, "
            f"JSON p50 {ms(lat_cot, 0.5):.1f} ms",
            details={"page_p50": ms(lat_page, 0.5), "page_p95": ms(lat_page, 0.95),
                     "cotation_p95": ms(lat_cot, 0.95), "demande_p95": ms(lat_vue, 0.95)},
        ),
        Figure("p", "  the same page beside GET /demandes/{n}, p95", ms(lat_page, 0.95), "ms",
               ms(lat_vue, 0.95), "ms", "GET /demandes/{n} (the demand's state), p95", sens="moins",
               erreurs=err_vue),
        Figure(
            "p", f"CAL workspace (ranked list, 20 rows), p95 ({n_actives:,} active)", ms(lat_cal, 0.95), "ms",
            ms(lat_liste, 0.95), "ms", "GET /logements/{id}/candidats-compatibles?limite=20, p95", sens="moins",
            erreurs=err_cal + err_liste,
            note=f"{len(cal):,} reads over {len(ids)} dwellings (one per typology and commune); {commun}; "
            f"page p50 {ms(lat_cal, 0.5):.1f} ms, JSON p50 {ms(lat_liste, 0.5):.1f} ms; {duree:.0f} s in all",
            details={"page_p50": ms(lat_cal, 0.5), "page_p95": ms(lat_cal, 0.95),
                     "liste_p50": ms(lat_liste, 0.5), "liste_p95": ms(lat_liste, 0.95)},
        ),
    ]
