"""The ledger's API served as `ledger serve` serves it (uvicorn, one worker) in a child process on
127.0.0.1 and a free port, for the figures read or written over HTTP.

With `suivis`, the child also follows those read models in the background, as `ledger serve`
does (`adapters.background.BackgroundWork`, the schedule off: a benchmark's log must not grow
under it), so its reads never catch up inside the request; only the read models the figure has
built are named, since a follower started on an unbuilt one would fold the whole log beside the
timed reads. Without it, every read catches its read model up itself, as an embedded ledger does.

    python -m adapters.banc.serveur URL PORT [READ_MODEL,…]     # what the child runs
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.banc import DEMO, RACINE


def servir(url: str, port: int, suivis: list[str]) -> None:
    """In the child: the API over the ledger at `url`, until terminated; the read models named in
    `suivis` followed in the background."""
    import uvicorn

    from adapters.background import BackgroundWork
    from adapters.database import depuis_url
    from adapters.registre import Registre
    from adapters.territory_file import load_territory
    from api.app import creer_app
    from projections import modeles

    registre = Registre(depuis_url(url), load_territory(DEMO), pool_size=10)
    fond = None
    if suivis:
        fond = BackgroundWork(registre, {nom: modeles.suiveur(registre, nom) for nom in suivis}, schedule=False)
    uvicorn.run(creer_app(registre, fond=fond), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, workers=1)


def port_libre() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serveur(url: str, delai: float = 120.0, suivis: tuple[str, ...] = ()) -> Iterator[str]:
    """The API's address (http://127.0.0.1:port) once it answers (with `suivis`, once those read
    models are followed in the background and caught up); the child is stopped on exit.
    Its output goes to a temporary file, shown if it fails to start."""
    import httpx

    port = port_libre()
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "server.log"
        with journal.open("wb") as sortie:
            proc = subprocess.Popen(
                [sys.executable, "-m", "adapters.banc.serveur", url, str(port), ",".join(suivis)],
                stdout=sortie, stderr=subprocess.STDOUT, cwd=RACINE,
            )
        try:
            adresse = f"http://127.0.0.1:{port}"
            limite = time.monotonic() + delai
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"bench: the server exited ({proc.returncode}):\n{journal.read_text()}")
                try:
                    if suivis:
                        r = httpx.get(f"{adresse}/sante/pret", timeout=5)
                        etat = r.json() if r.status_code == 200 else {}
                        if etat.get("suivi_en_arriere_plan") and all(
                            m["retard"] == 0 for m in etat.get("modeles", []) if m["nom"] in suivis
                        ):
                            break
                    elif httpx.get(f"{adresse}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > limite:
                    raise SystemExit(f"bench: the server did not answer within {delai:.0f} s:\n"
                                     f"{journal.read_text()}")
                time.sleep(0.1)
            yield adresse
        finally:
            arreter(proc)


def arreter(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    servir(sys.argv[1], int(sys.argv[2]), [n for n in (sys.argv[3] if len(sys.argv) > 3 else "").split(",") if n])
