"""Build versioned, printable evidence briefings from YAML sources.

    import kratom_report as kr

    report = kr.open("path/to/briefing")      # the folder holding report/report.yaml
    result = report.check()                    # .ok, .problems (path, line, column, ...)
    outputs = report.build(formats=("pdf", "web"))
    report.release("public/")
    kr.verify("public/1.0.0/briefing-clinician-v1.0.0.pdf")

Names are loaded on first use, so ``import kratom_report`` (and the command line's ``--help``)
stays fast; everything public is listed in ``__all__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.5.0"

__all__ = [
    "CheckResult",
    "EditionInfo",
    "OutputError",
    "Output",
    "Problem",
    "ProblemsError",
    "ReleaseError",
    "ReleaseResult",
    "Report",
    "ReportError",
    "SourceNotFound",
    "UnknownEdition",
    "Verification",
    "VerifyError",
    "__version__",
    "open",
    "verify",
]

# Public name -> module that defines it (relative to this package).
_WHERE = {
    "CheckResult": "_api", "EditionInfo": "_api", "Output": "_api", "Report": "_api",
    "open": "_api", "verify": "_api",
    "OutputError": "errors", "Problem": "errors", "ProblemsError": "errors",
    "ReportError": "errors", "SourceNotFound": "errors", "UnknownEdition": "errors",
    "ReleaseError": "release", "ReleaseResult": "release",
    "Verification": "verification", "VerifyError": "verification",
}

if TYPE_CHECKING:
    from ._api import CheckResult, EditionInfo, Output, Report, open, verify
    from .errors import (
        OutputError,
        Problem,
        ProblemsError,
        ReportError,
        SourceNotFound,
        UnknownEdition,
    )
    from .release import ReleaseError, ReleaseResult
    from .verification import Verification, VerifyError


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'kratom_report' has no attribute '{name}'")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
