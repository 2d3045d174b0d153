"""Problems found in a site file, each tied to a line so an administrator can fix it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One error or warning: where (file, line, field path) and what, in plain words.

    `field` is a path such as `cameras[3].retention` (indexes from 0); `subject` is the
    id of the camera or commune concerned, shown in parentheses.
    """

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = "error"
    subject: str | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        label = "warning: " if self.severity == "warning" else ""
        what = self.field
        if self.subject:
            what = f"{what} ({self.subject})" if what else f"({self.subject})"
        return (
            f"{where}: {label}{what}: {self.message}" if what else f"{where}: {label}{self.message}"
        )


class SiteError(Exception):
    """The site file cannot be used; `problems` lists every error found, in file order."""

    def __init__(self, problems: Sequence[Problem], warnings: Sequence[Problem] = ()) -> None:
        self.problems = list(problems)
        self.warnings = list(warnings)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def sort_problems(problems: Sequence[Problem]) -> list[Problem]:
    """File order: by line, problems without a line first."""
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
