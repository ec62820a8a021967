"""What the territory and grid files share: an error that says which file, where and why, and
reading TOML with every way it can fail turned into such an error."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class FichierInvalide(ValueError):
    """A configuration file that cannot be used as it is; says which file, where, and why."""

    def __init__(self, file: str, location: str, problem: str) -> None:
        self.file = file
        self.location = location
        self.problem = problem
        where = f"{file}: {location}" if location else file
        super().__init__(f"{where}: {problem}")


def lire_toml(path: Path) -> dict[str, Any]:
    """Raises ValueError with a one-line reason; callers wrap it in their own error."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ValueError("no such file") from None
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"not valid TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"not valid UTF-8 ({e.reason} at byte {e.start})") from None
