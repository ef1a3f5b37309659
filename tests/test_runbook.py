"""The runbook model, checked against the real runbook and against broken edits of it."""

from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import pytest

from opscheck.runbook import Command, Runbook, RunbookError, load, parse

RUNBOOK = Path(__file__).parents[1] / "runbook" / "incident-response.md"
TEXT = RUNBOOK.read_text(encoding="utf-8")


def line_of(text: str, snippet: str) -> int:
    assert text.count(snippet) == 1, f"{snippet!r} is not unique in the runbook"
    return text[: text.index(snippet)].count("\n") + 1


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load(RUNBOOK)


def test_header_and_links(runbook: Runbook) -> None:
    assert runbook.path == str(RUNBOOK)
    assert runbook.title == "Incident Response Runbook"
    assert runbook.version == "1.0.0"
    assert list(runbook.links) == [
        "CloudWatch Dashboard",
        "Sentry",
        "ECS Console",
        "RDS Console",
        "GitHub Actions",
    ]
    assert runbook.links["GitHub Actions"] == "https://github.com/Dnick20/SaasPE/actions"


def test_severities(runbook: Runbook) -> None:
    assert list(runbook.severities) == ["P0", "P1", "P2", "P3"]
    assert [s.name for s in runbook.severities.values()] == ["Critical", "High", "Medium", "Low"]
    assert [s.response_minutes for s in runbook.severities.values()] == [5, 30, 120, 1440]
    assert [s.marker for s in runbook.severities.values()] == ["p0", "p1", "p2", "p3"]
    p0, p1 = runbook.severities["P0"], runbook.severities["P1"]
    assert p0.response_time == "Immediate (< 5 minutes)"
    assert p0.definition == "Complete service outage, data loss, security breach"
    assert p0.examples == ("All tasks down", "database unavailable", "data breach")
    assert p1.response_time == "< 30 minutes"
    assert p1.examples == ("High error rate (>10% requests)", "slow response (>5s)")
    assert runbook.severities["P2"].examples == (
        "Single feature broken",
        "elevated error rate (>5%)",
    )


@pytest.mark.parametrize(
    ("number", "title", "severity", "slug", "anchor"),
    [
        (1, "All ECS Tasks Down", "P0", "all-ecs-tasks-down", "1-all-ecs-tasks-down-p0"),
        (2, "High Error Rate", "P1", "high-error-rate", "2-high-error-rate-p1"),
        (3, "Database Unavailable", "P0", "database-unavailable", "3-database-unavailable-p0"),
        (4, "Slow Performance", "P2", "slow-performance", "4-slow-performance-p2"),
        (5, "Deployment Failed", "P1", "deployment-failed", "5-deployment-failed-p1"),
    ],
)
def test_scenario_headings(
    runbook: Runbook, number: int, title: str, severity: str, slug: str, anchor: str
) -> None:
    scenario = runbook.scenario(slug)
    assert (scenario.number, scenario.title, scenario.severity, scenario.anchor) == (
        number,
        title,
        severity,
        anchor,
    )
    assert scenario.line == line_of(TEXT, f"### {number}. {title} ({severity})")
    assert runbook.scenarios[number - 1] is scenario


def test_symptoms_and_alarms(runbook: Runbook) -> None:
    first, second, third, _, fifth = runbook.scenarios
    assert first.symptoms == (
        "CloudWatch alarm: `saaspe-production-alb-unhealthy-targets`",
        "503 errors from ALB",
        "No running tasks in ECS",
    )
    assert first.alarms == ("saaspe-production-alb-unhealthy-targets",)
    assert second.symptoms[2] == ">100 errors in 5 minutes"
    assert third.alarms == ("saaspe-production-rds-cpu-high",)
    assert fifth.alarms == ()


def test_diagnosis_commands(runbook: Runbook) -> None:
    diagnosis = runbook.scenario("all-ecs-tasks-down").diagnosis
    assert [command.purpose for command in diagnosis] == [
        "Check ECS service status",
        "Check recent deployments",
        "Check task logs",
    ]
    assert diagnosis[0] == Command(
        "Check ECS service status",
        "./scripts/mcp aws ecs describe --service saaspe-production-service",
    )


def test_continuation_lines_are_kept(runbook: Runbook) -> None:
    (command,) = [
        c for c in runbook.scenario("high-error-rate").diagnosis if "filter-log-events" in c.text
    ]
    assert command.purpose == "Check specific error pattern"
    assert command.text == (
        "aws logs filter-log-events \\\n"
        "  --log-group-name /ecs/saaspe-production \\\n"
        '  --filter-pattern "ERROR" \\\n'
        "  --start-time $(date -u -d '5 minutes ago' +%s)000 \\\n"
        "  --region us-east-2"
    )


def test_causes(runbook: Runbook) -> None:
    assert {s.number: [c.slug for c in s.causes] for s in runbook.scenarios} == {
        1: ["failed-deployment", "resource-exhaustion", "configuration-error", "aws-service-issue"],
        2: [
            "database-connection-pool-exhausted",
            "external-api-failure",
            "bad-deployment",
            "ddos-or-traffic-spike",
        ],
        3: ["rds-instance-rebooting", "storage-full", "too-many-connections", "aws-outage"],
        4: [
            "unoptimized-database-query",
            "external-api-slow",
            "resource-constraints",
            "cache-miss",
        ],
        5: [
            "docker-build-failure",
            "health-check-failing",
            "configuration-error",
            "resource-limits-exceeded",
        ],
    }
    cause = runbook.scenario("all-ecs-tasks-down").cause("failed-deployment")
    assert (cause.number, cause.text) == (1, "Failed deployment (bad Docker image)")
    with pytest.raises(KeyError, match="storage-full"):
        runbook.scenario("database-unavailable").cause("disk-full")


@pytest.mark.parametrize(
    ("scenario", "cause", "branch"),
    [
        ("all-ecs-tasks-down", "failed-deployment", "If bad deployment"),
        ("all-ecs-tasks-down", "resource-exhaustion", "If resource issue"),
        ("all-ecs-tasks-down", "configuration-error", None),
        ("all-ecs-tasks-down", "aws-service-issue", None),
        ("high-error-rate", "database-connection-pool-exhausted", "If database issue"),
        ("high-error-rate", "external-api-failure", "If external API"),
        ("high-error-rate", "bad-deployment", "If bad deployment"),
        ("high-error-rate", "ddos-or-traffic-spike", None),
        ("database-unavailable", "rds-instance-rebooting", None),
        ("database-unavailable", "storage-full", "If storage full"),
        ("database-unavailable", "too-many-connections", "If connection pool exhausted"),
        ("database-unavailable", "aws-outage", "If AWS outage"),
        ("slow-performance", "unoptimized-database-query", "If database slow"),
        ("slow-performance", "external-api-slow", None),
        ("slow-performance", "resource-constraints", "If resource constraints"),
        ("slow-performance", "cache-miss", None),
        ("deployment-failed", "docker-build-failure", None),
        ("deployment-failed", "health-check-failing", None),
        ("deployment-failed", "configuration-error", None),
        ("deployment-failed", "resource-limits-exceeded", None),
    ],
)
def test_branch_for(runbook: Runbook, scenario: str, cause: str, branch: str | None) -> None:
    found = runbook.scenario(scenario)
    matched = found.branch_for(found.cause(cause))
    assert (matched.title if matched else None) == branch


def test_branches(runbook: Runbook) -> None:
    bad_deployment, resource = runbook.scenario("all-ecs-tasks-down").branches
    assert (bad_deployment.title, bad_deployment.condition) == (
        "If bad deployment",
        "bad deployment",
    )
    assert [c.purpose for c in bad_deployment.commands] == [
        "Rollback to previous task definition",
        "Monitor rollback",
    ]
    assert bad_deployment.line == line_of(TEXT, "**If bad deployment:**\n```bash\n# Rollback to")
    assert resource.commands == ()
    assert resource.notes == (
        "Scale up task resources (temporary fix)",
        "Edit task definition, increase CPU/Memory",
        "Re-deploy with updated definition",
    )
    external = runbook.scenario("high-error-rate").branches[1]
    assert external.commands == (
        Command("Check API status", "curl -I https://external-api.com/health"),
    )
    assert external.notes == (
        "Enable circuit breaker (if configured)",
        "Or temporarily disable feature flag",
    )


def test_branches_without_conditions(runbook: Runbook) -> None:
    immediate, root_cause = runbook.scenario("deployment-failed").branches
    assert (immediate.title, immediate.condition, len(immediate.commands)) == ("Immediate", None, 2)
    assert (root_cause.title, root_cause.condition, root_cause.commands) == ("Root cause", None, ())
    assert root_cause.notes == (
        "Fix issue in code",
        "Test locally",
        "Create PR with fix",
        "Re-deploy",
    )


def test_scenario_post_incident(runbook: Runbook) -> None:
    assert runbook.scenarios[0].post_incident == (
        "Document root cause",
        "Update deployment process",
        "Add pre-deployment checks",
    )
    assert all(scenario.post_incident == () for scenario in runbook.scenarios[1:])


def test_rollback_procedures(runbook: Runbook) -> None:
    backend, database = runbook.rollback
    assert backend.title == "Backend Rollback"
    assert backend.warnings == ()
    assert [option.title for option in backend.options] == [
        "Option 1: Via ECS (fastest)",
        "Option 2: Via GitHub Actions",
        "Option 3: Via git revert",
    ]
    assert all(option.condition is None for option in backend.options)
    assert backend.options[2].commands == (
        Command("Revert problematic commit", "git revert <commit-sha>"),
        Command("", "git push origin main"),
    )
    assert backend.options[2].notes == ("GitHub Actions will auto-deploy",)
    assert database.title == "Database Rollback"
    assert database.warnings == ("⚠️ CAUTION: Database rollbacks are destructive",)
    (migration,) = database.options
    assert (migration.title, migration.condition) == ("If migration failed", "migration failed")
    assert len(migration.commands) == 3


def test_escalation_levels(runbook: Runbook) -> None:
    assert [
        (e.level, e.role, e.start_minute, e.end_minute, e.span) for e in runbook.escalation
    ] == [
        (1, "On-Call Engineer", 0, 15, "0-15 min"),
        (2, "DevOps Lead", 15, 30, "15-30 min"),
        (3, "Engineering Lead", 30, 60, "30-60 min"),
        (4, "CTO/CEO", 60, None, ">60 min"),
    ]
    assert runbook.escalation[0].duties[0] == "Assess severity"


@pytest.mark.parametrize(
    ("minutes", "level"), [(0, 1), (14.9, 1), (15, 2), (45, 3), (60, 4), (70, 4), (10_000, 4)]
)
def test_escalation_at(runbook: Runbook, minutes: float, level: int) -> None:
    assert runbook.escalation_at(minutes).level == level


def test_escalation_at_rejects_negative_minutes(runbook: Runbook) -> None:
    with pytest.raises(ValueError, match="negative"):
        runbook.escalation_at(-1)


def test_templates(runbook: Runbook) -> None:
    assert [(t.audience, t.name) for t in runbook.templates] == [
        ("Internal (Slack)", "Incident Start"),
        ("Internal (Slack)", "Update"),
        ("Internal (Slack)", "Resolution"),
        ("External (Status Page)", "Investigating"),
        ("External (Status Page)", "Identified"),
        ("External (Status Page)", "Resolved"),
    ]
    start = runbook.template("Incident Start")
    assert start.text.startswith("🔴 INCIDENT:")
    assert start.text.endswith("Updates: Every 15 minutes")
    with pytest.raises(KeyError, match="Incident Start"):
        runbook.template("Apology")


def test_post_incident_process(runbook: Runbook) -> None:
    assert dict(runbook.post_incident) == {
        "Immediate (Within 1 hour)": (
            "Verify resolution",
            "Update stakeholders",
            "Create incident log",
        ),
        "Within 24 hours": ("Schedule post-mortem", "Gather data"),
        "Within 1 week": ("Conduct post-mortem", "Document learnings", "Implement preventions"),
    }


def test_maintenance(runbook: Runbook) -> None:
    maintenance = runbook.maintenance
    assert (maintenance.review, maintenance.owner) == ("Monthly", "DevOps Team")
    assert maintenance.last_review == date(2025, 11, 1)
    assert maintenance.next_review == date(2025, 12, 1)


def test_unknown_scenario_names_the_known_ones(runbook: Runbook) -> None:
    with pytest.raises(KeyError, match=r"no scenario 'cache-down'.*all-ecs-tasks-down"):
        runbook.scenario("cache-down")


def test_place_is_the_scenario_else_the_section(runbook: Runbook) -> None:
    scenario = runbook.place("all-ecs-tasks-down")
    assert scenario is runbook.scenario("all-ecs-tasks-down")
    assert scenario.name == "1. All ECS Tasks Down"
    section = runbook.place("rollback-procedures")
    assert section is runbook.section("rollback-procedures")
    assert (section.name, section.anchor) == ("Rollback Procedures", "rollback-procedures")
    with pytest.raises(KeyError, match=r"no scenario or section 'cache-down'.*all-ecs-tasks-down"):
        runbook.place("cache-down")
    # A scenario's heading anchor is for links, not a name a check maps to.
    with pytest.raises(KeyError):
        runbook.place("1-all-ecs-tasks-down-p0")


def test_model_is_immutable(runbook: Runbook) -> None:
    with pytest.raises(FrozenInstanceError):
        runbook.title = "Other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        runbook.links["Other"] = "https://example.com"  # type: ignore[index]
    assert hash(runbook.scenarios[0]) == hash(parse(TEXT).scenarios[0])


def test_unknown_sections_are_ignored() -> None:
    extra = "## Glossary\n\nWords we use.\n\n### ALB\n- Application Load Balancer\n\n"
    edited = TEXT.replace("## Escalation Path\n", extra + "## Escalation Path\n")
    assert parse(edited).scenarios == parse(TEXT).scenarios


def test_error_format() -> None:
    error = RunbookError("runbook.md", 12, "expected a list")
    assert (error.path, error.line, error.message) == ("runbook.md", 12, "expected a list")
    assert str(error) == "runbook.md:12: expected a list"
    assert isinstance(error, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    with pytest.raises(RunbookError, match="file not found") as raised:
        load(missing)
    assert (raised.value.path, raised.value.line) == (str(missing), 0)


def test_load_reports_the_path(tmp_path: Path) -> None:
    broken = tmp_path / "runbook.md"
    broken.write_text(TEXT.replace("### 2. High Error Rate (P1)", "### 2. High Error Rate"))
    with pytest.raises(RunbookError) as raised:
        load(broken)
    assert str(raised.value).startswith(f"{broken}:{line_of(TEXT, '### 2. High Error Rate')}: ")


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_text(text: str) -> None:
    with pytest.raises(RunbookError, match="empty") as raised:
        parse(text, "empty.md")
    assert raised.value.line == 1


BROKEN = [
    pytest.param(
        "## Incident Severity Levels",
        "## Severity Levels",
        1,
        "expected a '## Incident Severity Levels' section",
        id="no-severity-section",
    ),
    pytest.param(
        "### P0 - Critical (Immediate Response)",
        "### P5 - Weird",
        "### P5 - Weird",
        "unknown severity level 'P5'",
        id="unknown-severity-level",
    ),
    pytest.param(
        "### P2 - Medium (2 hours)",
        "### Medium",
        "### Medium",
        "expected a severity heading such as 'P0 - Critical (Immediate Response)', got 'Medium'",
        id="severity-heading-without-level",
    ),
    pytest.param(
        "### P3 - Low (24 hours)",
        "### P2 - Low (24 hours)",
        "### P2 - Low (24 hours)",
        "duplicate severity level 'P2'",
        id="duplicate-severity-level",
    ),
    pytest.param(
        "- **Response Time:** < 30 minutes\n",
        "",
        "### P1 - High",
        "expected a '**Response Time:**' line in '### P1 - High (30 minutes)'",
        id="missing-response-time",
    ),
    pytest.param(
        "- **Response Time:** < 2 hours",
        "- **Response Time:** whenever",
        "- **Response Time:** whenever",
        "expected a response time such as '< 30 minutes' or 'Immediate (< 5 minutes)', "
        "got 'whenever'",
        id="unreadable-response-time",
    ),
    pytest.param(
        "### 2. High Error Rate (P1)",
        "### 2. High Error Rate",
        "### 2. High Error Rate",
        "expected a severity such as '(P1)' at the end of scenario heading '2. High Error Rate'",
        id="scenario-without-severity",
    ),
    pytest.param(
        "### 4. Slow Performance (P2)",
        "### 4. Slow Performance (P7)",
        "### 4. Slow Performance (P7)",
        "severity 'P7' is not a defined level (P0, P1, P2, P3)",
        id="scenario-with-undefined-severity",
    ),
    pytest.param(
        "### 5. Deployment Failed (P1)",
        "### Deployment Failed (P1)",
        "### Deployment Failed (P1)",
        "expected a numbered scenario heading",
        id="scenario-without-number",
    ),
    pytest.param(
        "**Common Causes:**\n1. RDS instance rebooting (maintenance window)\n2. Storage full\n"
        "3. Too many connections\n4. AWS outage\n\n",
        "",
        "### 3. Database Unavailable",
        "expected a '**Common Causes:**' numbered list in '### 3. Database Unavailable (P0)'",
        id="no-common-causes",
    ),
    pytest.param(
        "1. Unoptimized database query\n2. External API slow\n",
        "- Unoptimized database query\n- External API slow\n",
        "**Common Causes:**\n- Unoptimized",
        "expected a numbered list after '**Common Causes:**'",
        id="common-causes-not-numbered",
    ),
    pytest.param(
        "**Diagnosis:**\n```bash\n# Check failed workflow",
        "```bash\n# Check failed workflow",
        "### 5. Deployment Failed",
        "expected a '**Diagnosis:**' code block in '### 5. Deployment Failed (P1)'",
        id="no-diagnosis",
    ),
    pytest.param(
        "**Diagnosis:**\n```bash\n# Check failed workflow",
        "**Diagnosis:**\n\nAsk around.\n\n```bash\n# Check failed workflow",
        "**Diagnosis:**\n\nAsk around.",
        "expected a code block after '**Diagnosis:**'",
        id="diagnosis-without-code-block",
    ),
    pytest.param(
        "### 3. Database Unavailable (P0)",
        "### 2. Database Unavailable (P0)",
        "### 2. Database Unavailable (P0)",
        "duplicate scenario number '2'",
        id="duplicate-scenario-number",
    ),
    pytest.param(
        "### 4. Slow Performance (P2)",
        "### 4. High Error Rate (P2)",
        "### 4. High Error Rate (P2)",
        "duplicate scenario slug 'high-error-rate'",
        id="duplicate-scenario-slug",
    ),
    pytest.param(
        "### 1. All ECS Tasks Down (P0)\n\n**Symptoms:**",
        "### 1. All ECS Tasks Down (P0)\n\nIt happens.\n\n**Symptoms:**",
        "It happens.",
        "expected a bold line such as '**Symptoms:**' before this paragraph",
        id="prose-before-first-label",
    ),
    pytest.param(
        "**If resource constraints:**\n",
        "**If resource constraints:**\n\n**If something else:**\n",
        "**If resource constraints:**",
        "expected a code block or list after '**If resource constraints:**'",
        id="branch-without-content",
    ),
    pytest.param(
        "### Level 2: DevOps Lead (15-30 min)",
        "### Level 2: DevOps Lead (soon)",
        "### Level 2: DevOps Lead (soon)",
        "cannot read the minute range '(soon)'",
        id="unreadable-escalation-range",
    ),
    pytest.param(
        "### Level 3: Engineering Lead (30-60 min)",
        "### Level 3: Engineering Lead (35-60 min)",
        "### Level 3: Engineering Lead (35-60 min)",
        "expected level 3's range to start at minute 30",
        id="escalation-gap",
    ),
    pytest.param(
        "### Level 1: On-Call Engineer (0-15 min)",
        "### On-Call Engineer",
        "### On-Call Engineer",
        "expected an escalation heading such as",
        id="escalation-heading-without-level",
    ),
    pytest.param(
        "**Next Review:** 2025-12-01",
        "**Next Review:** December",
        "**Next Review:** December",
        "expected an ISO date (YYYY-MM-DD) after '**Next Review:**', got 'December'",
        id="next-review-not-a-date",
    ),
    pytest.param(
        "## Runbook Maintenance",
        "## Maintenance",
        1,
        "expected a '## Runbook Maintenance' section",
        id="no-maintenance-section",
    ),
    pytest.param(
        "**Version:** 1.0.0\n**On-Call:**",
        "**On-Call:**",
        1,
        "expected a '**Version:**' line in '# Incident Response Runbook'",
        id="no-version",
    ),
    pytest.param(
        "# Incident Response Runbook\n",
        "",
        1,
        "expected a '# ' title heading",
        id="no-title",
    ),
    pytest.param(
        "### Critical Links",
        "### Links",
        "## Quick Reference",
        "expected a '### Critical Links' section under '## Quick Reference'",
        id="no-critical-links",
    ),
    pytest.param(
        "**Update:**\n",
        "**Update:**\n\n**Other:**\n",
        "**Update:**",
        "expected a code block after '**Update:**'",
        id="template-without-code-block",
    ),
    pytest.param(
        "**Identified:**",
        "**Investigating:**",
        "**Investigating:**\n```\nWe have identified",
        "duplicate template name 'Investigating'",
        id="duplicate-template-name",
    ),
    pytest.param(
        "1. **Schedule post-mortem**",
        "1. Schedule post-mortem",
        "1. Schedule post-mortem",
        "expected a bold step title such as '**Gather data**', got 'Schedule post-mortem'",
        id="post-incident-step-without-title",
    ),
]


@pytest.mark.parametrize(("old", "new", "line", "phrase"), BROKEN)
def test_broken_runbook(old: str, new: str, line: int | str, phrase: str) -> None:
    assert TEXT.count(old) == 1, f"{old!r} is not unique in the runbook"
    broken = TEXT.replace(old, new)
    with pytest.raises(RunbookError) as raised:
        parse(broken, "broken.md")
    error = raised.value
    assert phrase in error.message
    assert error.line == (line if isinstance(line, int) else line_of(broken, line))
    assert str(error) == f"broken.md:{error.line}: {error.message}"


def test_deleting_a_heading_or_bold_line_never_crashes_the_parser() -> None:
    lines = TEXT.split("\n")
    for i, line in enumerate(lines):
        if not line.startswith(("#", "**")):
            continue
        try:
            parse("\n".join(lines[:i] + lines[i + 1 :]))
        except RunbookError:
            pass
        except Exception as error:
            pytest.fail(f"deleting line {i + 1} ({line!r}) raised {error!r}")
