"""Numéros uniques in the national shape: territory code (3), MMYY of filing (4), a 6-digit
sequence (6), guichet code (5) = 18 characters. The sequence comes from the store, which never
hands the same number out twice; the ledger never parses a numéro it is given."""

from datetime import date

from domain.erreurs import RegleEnfreinte

SEQUENCE_MAX = 999_999


def composer(territoire: str, depot: date, sequence: int, guichet: str) -> str:
    if len(territoire) != 3 or len(guichet) != 5:
        raise RegleEnfreinte(
            "numero_unique_invalide",
            f"territory code must have 3 characters and guichet code 5 (got {territoire!r}, {guichet!r})",
        )
    if not 1 <= sequence <= SEQUENCE_MAX:
        raise RegleEnfreinte(
            "sequence_epuisee", f"the territory's 6-digit sequence is exhausted ({sequence})"
        )
    return f"{territoire}{depot:%m%y}{sequence:06d}{guichet}"
