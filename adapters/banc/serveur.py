"""The ledger's API served as `ledger serve` serves it (uvicorn, one worker) in a child process on
127.0.0.1 and a free port, for the figures read or written over HTTP.

    python -m adapters.banc.serveur URL PORT      # what the child runs
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


def servir(url: str, port: int) -> None:
    """In the child: the API over the ledger at `url`, until terminated."""
    import uvicorn

    from adapters.database import depuis_url
    from adapters.registre import Registre
    from adapters.territory_file import load_territory
    from api.app import creer_app

    registre = Registre(depuis_url(url), load_territory(DEMO), pool_size=10)
    uvicorn.run(creer_app(registre), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, workers=1)


def port_libre() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serveur(url: str, delai: float = 120.0) -> Iterator[str]:
    """The API's address (http://127.0.0.1:port) once it answers; the child is stopped on exit.
    Its output goes to a temporary file, shown if it fails to start."""
    import httpx

    port = port_libre()
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "server.log"
        with journal.open("wb") as sortie:
            proc = subprocess.Popen(
                [sys.executable, "-m", "adapters.banc.serveur", url, str(port)],
                stdout=sortie, stderr=subprocess.STDOUT, cwd=RACINE,
            )
        try:
            adresse = f"http://127.0.0.1:{port}"
            limite = time.monotonic() + delai
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"bench: the server exited ({proc.returncode}):\n{journal.read_text()}")
                try:
                    if httpx.get(f"{adresse}/openapi.json", timeout=1).status_code == 200:
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
    servir(sys.argv[1], int(sys.argv[2]))
