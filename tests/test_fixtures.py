"""The fixtures the checks read: the run's, and one per evidence source, typed with its model."""

from __future__ import annotations

import inspect
import re
from typing import get_type_hints

import pytest

from opscheck import fixtures
from opscheck.evidence import SOURCES

RUN_FIXTURES = {
    "runbook",
    "check_coverage",
    "evidence",
    "target",
    "thresholds",
    "fact",
    "commands",
}


def listed(project: pytest.Pytester) -> set[str]:
    """The fixtures `pytest --fixtures` shows as opscheck's, in a project without a conftest.py."""
    result = project.runpytest("--fixtures")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    section = result.stdout.str().split("fixtures defined from opscheck.fixtures")[1]
    section = re.split(r"^[-=]{3,}", section.partition("\n")[2], flags=re.MULTILINE)[0]
    return set(re.findall(r"^(\w+)(?: \[[^]]*\])? -- ", section, flags=re.MULTILINE))


def test_every_evidence_source_has_its_fixture_and_no_other(project):
    names = listed(project) - RUN_FIXTURES
    missing, stale = set(SOURCES) - names, names - set(SOURCES)
    assert not missing, (
        f"evidence sources without a fixture: {', '.join(sorted(missing))}; add one to "
        "src/opscheck/fixtures.py, returning _read(evidence, name, Model) like the others"
    )
    assert not stale, f"fixtures of no evidence source: {', '.join(sorted(stale))}"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_source_fixture_gives_its_model_and_says_what_it_reads(name):
    fixture = getattr(fixtures, name, None)
    source = SOURCES[name]
    assert fixture is not None, f"add the fixture {name} to src/opscheck/fixtures.py"
    assert get_type_hints(fixture)["return"] is source.model, (
        f"the {name} fixture should be annotated -> {source.model.__name__}"
    )
    assert inspect.getdoc(fixture) == source.doc, (
        f"the {name} fixture's docstring should be its source's: {source.doc!r}"
    )


def test_fixtures_are_opschecks_only_where_opscheck_runs(pytester):
    """Installed, the plugin adds no fixture named `target` or `metrics` to other projects."""
    pytester.makepyfile(test_other="def test_other(metrics):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'metrics' not found*"])
