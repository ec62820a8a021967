"""The national code lists (SNE interfaceNuu 02.00/02.01) the exchange reads and writes, copied
from the published list into `codes_sne.json` beside this module so that the product carries
them: code -> French label, per list. The domain's own enums (domain/codes.py) use the same codes
where the ledger records the same facts; tests/storage/test_sne_format.py checks that the lists, the
domain's enums and the schema's enumerations agree."""

from __future__ import annotations

import json
from pathlib import Path

FICHIER = Path(__file__).with_name("codes_sne.json")
CODES: dict[str, dict[str, str]] = {
    k: v for k, v in json.loads(FICHIER.read_text(encoding="utf-8")).items() if not k.startswith("_")
}


def libelle(liste: str, code: str) -> str:
    return CODES[liste][code]
