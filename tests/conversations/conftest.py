"""Reports the parsing corpus's accuracy at the end of a run that includes it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

_CORPUS_REPORT = pytest.StashKey[str]()


@pytest.fixture
def report_line(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Keep one line to print under the run's summary."""

    def keep(line: str) -> None:
        request.config.stash[_CORPUS_REPORT] = line

    return keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The corpus accuracy, so a run shows the figure and not only pass or fail."""
    line = terminalreporter.config.stash.get(_CORPUS_REPORT, None)
    if line is not None:
        terminalreporter.write_line(line)
