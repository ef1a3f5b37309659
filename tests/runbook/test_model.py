"""The runbook model, as built from the real runbook: its sections and its lookups."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from opscheck.runbook import Command, Runbook, load, parse
from tests.runbook.helpers import RUNBOOK, TEXT, line_of


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
