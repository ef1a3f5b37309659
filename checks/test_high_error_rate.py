"""Runbook scenario 2, "High Error Rate (P1)": are requests failing, and if so, why.

The symptom checks read the runbook's three signals (the application-errors alarm, a
Sentry error spike, ">100 errors in 5 minutes") and the severity table's error rates
(>10% of requests is P1, >5% is P2). The cause checks look at the external APIs and at
the traffic. Database connection pool exhaustion is checked with the database's evidence;
a bad deployment, by the error rate since the latest deployment against before it.
"""

from datetime import timedelta

import pytest

from opscheck import fail, inconclusive
from opscheck.evidence.metrics import ERROR_RATE_SERIES, series_fact
from opscheck.verdicts import not_firing, read_the_whole_log, window

pytestmark = pytest.mark.runbook("high-error-rate")

ERROR_RATE_MINUTES = 5
SPIKE_MINUTES = 5


@pytest.mark.health
def test_application_errors_alarm_is_not_firing(alarms, target):
    """The runbook's first symptom: CloudWatch alarm `...-application-errors-high`."""
    not_firing(alarms, target.alarms.application_errors_high)


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", severity=("P1", "P2"))
def test_error_rate_is_low(metrics, thresholds, fact):
    """The severity table: 'High error rate (>10% requests)' is P1, 'elevated (>5%)' is P2.

    5xx answers from the targets and from the load balancer itself (a 502/503/504 when no
    target answers) over every answer of the last 5 minutes: RequestCount leaves out the
    503s the load balancer gives when it has no target, so those are added to it.
    """
    for key in ERROR_RATE_SERIES:
        window(metrics, key, ERROR_RATE_MINUTES)  # inconclusive when a series has nothing to read
    counted = metrics.error_rate(since=metrics.end - timedelta(minutes=ERROR_RATE_MINUTES))
    lb = metrics.series["alb_requests"].dimensions.get("LoadBalancer", "the load balancer")
    rate = counted.share
    if rate is None:
        inconclusive(
            f"{lb} counted no requests in the last {ERROR_RATE_MINUTES} min: "
            "no error rate to compute"
        )
    # The hour of target 5xx counts, drawn as a sparkline in the Markdown summary.
    fact("series", series_fact(metrics.series["alb_target_5xx"].values))
    message = (
        f"{lb}: {rate:.1%} of {counted.responses:.0f} requests answered 5xx in the last "
        f"{ERROR_RATE_MINUTES} min ({counted.target_5xx:.0f} from targets, "
        f"{counted.elb_5xx:.0f} from the load balancer); "
        f"P1 above {thresholds.error_rate_p1:.0%}, P2 above {thresholds.error_rate_p2:.0%}"
    )
    if rate > thresholds.error_rate_p1:
        fail(message, "P1")
    if rate > thresholds.error_rate_p2:
        fail(message, "P2")


@pytest.mark.health
def test_few_error_lines_in_logs(log_errors, thresholds):
    """The runbook's '>100 errors in 5 minutes', counted as its own `filter-log-events` does."""
    e = log_errors
    if not e.exists:
        inconclusive(
            f"log group {e.log_group} does not exist: no ERROR lines to count "
            "(is [ecs] log_group right?)"
        )
    where = f"{e.log_group}: {'at least ' if e.capped else ''}{e.count} {e.pattern} lines"
    latest = f"; latest: {e.samples[-1]}" if e.samples else ""
    limit = thresholds.error_lines_5m
    assert e.count <= limit, (
        f"{where} in the last {e.window_minutes:g} min (at most {limit} expected){latest}"
    )
    if e.incomplete:
        inconclusive(
            f"{where} in the first {e.pages} pages of the search, which stopped there: "
            f"the total may exceed {limit}"
        )
    if e.capped:  # read under a lower threshold: the count stopped before reaching this one
        inconclusive(f"{where}: counting stopped there, short of the limit {limit}")


@pytest.mark.health
def test_few_sentry_error_events(sentry_issues, thresholds):
    """The runbook's 'Sentry: Error spike notification': error events of the last 5 minutes."""
    s = sentry_issues
    limit = thresholds.sentry_events_5m
    top = ", ".join(f"{i.short_id} {i.title}" for i in s.unresolved[:3])
    assert s.error_events <= limit, (
        f"Sentry organization {s.org}: {s.error_events} error events in the last "
        f"{s.window_minutes} min (at most {limit} expected)"
        + (f"; unresolved issues: {top}" if top else "")
    )


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", cause="external-api-failure")
def test_external_apis_answer(dependencies):
    """'External API failure (timeout, rate limit)': each dependency answers 2xx in time."""
    if not dependencies.answers:
        inconclusive(
            f"no external APIs to ask: add their health URLs to [app] dependencies in "
            f"{dependencies.configured_in}"
        )
    bad = [d for d in dependencies.answers if not d.ok]
    detail = "; ".join(
        f"{d.name} GET {d.url}: " + (d.error or f"answered {d.status} in {d.elapsed_s:.2f} s")
        for d in bad
    )
    assert not bad, f"{len(bad)} of {len(dependencies.answers)} external APIs failing: {detail}"


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", cause="ddos-or-traffic-spike")
def test_no_traffic_spike(metrics, thresholds):
    """'DDoS or traffic spike': the last 5 minutes' requests against the rest of the hour.

    Compared per minute published: the baseline is the average of the hour's minutes before
    the window (putting the spike in its own baseline would dilute it), and a minute not yet
    published at the end of the window does not count as a quiet one.
    """
    recent = window(metrics, "alb_requests", SPIKE_MINUTES)
    series = metrics.series["alb_requests"]
    earlier = series.last(60, metrics.end)[: -len(recent)]
    if not earlier or sum(earlier) <= 0:
        inconclusive(
            f"no requests counted for {series.name} in the hour before the last "
            f"{SPIKE_MINUTES} min: no baseline to compare the traffic with"
        )
    per_minute = sum(recent) / len(recent)
    baseline = sum(earlier) / len(earlier)
    ratio = per_minute / baseline
    assert ratio <= thresholds.traffic_spike_ratio, (
        f"{series.dimensions.get('LoadBalancer')}: {per_minute * SPIKE_MINUTES:.0f} requests "
        f"per {SPIKE_MINUTES} min in the last {SPIKE_MINUTES} min, {ratio:.1f}x the "
        f"{baseline * SPIKE_MINUTES:.0f} per {SPIKE_MINUTES} min of the rest of the hour "
        f"(at most {thresholds.traffic_spike_ratio:g}x expected)"
    )


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", cause="bad-deployment")
def test_errors_did_not_start_with_the_latest_deploy(ecs_service, metrics, thresholds):
    """'Bad deployment (code bug)': the 5xx rate since the latest deployment against before it.

    When the service was deployed within the hour read, and since then more than the P2
    share of requests answer 5xx where no more did before, the deployment is the likely
    cause, and the runbook's answer is to roll back.
    """
    s = ecs_service
    primary = s.primary
    if primary is None or primary.created_at is None:
        inconclusive(f"{s.name} has no PRIMARY deployment with a start time to compare against")
    if primary.created_at <= metrics.start:
        return  # not deployed within the hour of metrics: no deployment to blame
    since_deploy = metrics.error_rate(primary.created_at, metrics.end)
    after, served = since_deploy.share, since_deploy.requests
    before = metrics.error_rate(metrics.start, primary.created_at).share
    if after is None:
        inconclusive(
            f"no requests counted since {s.name} was deployed at {primary.created_at:%H:%M} UTC: "
            "no error rate to compare"
        )
    limit = thresholds.error_rate_p2
    began = before is None or before <= limit
    minutes = (metrics.end - primary.created_at).total_seconds() / 60
    assert not (after > limit and began), (
        f"{s.name}: {after:.1%} of {served:.0f} requests answered 5xx since deployment "
        f"{primary.id} of {primary.revision} {minutes:.0f} min ago, "
        + (f"{before:.1%} before it" if before is not None else "none counted before it")
        + f" (above {limit:.0%} is an elevated error rate): the errors began with the deploy"
    )


@pytest.mark.health
@pytest.mark.runbook("high-error-rate", severity=("P1", "P2"))
def test_rds_log_has_few_deadlocks(rds_logs, thresholds, commands):
    """`ERROR: deadlock detected` in the last hour's PostgreSQL log.

    No common cause of the runbook names deadlocks; this is their closest scenario: each
    one aborts a transaction, which the application answers with an error (after waiting
    deadlock_timeout). A few are advice (P2: two code paths lock rows in opposite orders);
    thresholds.rds_deadlocks_p1 or more in the hour fail requests often enough to be P1.
    """
    deadlocks = rds_logs.deadlocks
    if deadlocks.count:
        latest = deadlocks.samples[-1]
        frequent = deadlocks.count >= thresholds.rds_deadlocks_p1
        fail(
            f"{deadlocks.count} deadlocks in DB instance {rds_logs.instance}'s log in the last "
            f"{rds_logs.window_minutes} min (P1 from {thresholds.rds_deadlocks_p1}); latest at "
            f"{latest.at:%H:%M} UTC for {latest.who or '?'}: the DETAIL lines after it name "
            f"the processes and statements; {commands.rds_log(rds_logs.instance, latest.file)}",
            "P1" if frequent else "P2",
        )
    read_the_whole_log(rds_logs, "reported a deadlock")
