"""A production at scale: every area holding as much as a busy production's does.

Nothing in it is wrong: more alarms in the account, more tasks running behind more
targets, routine stops of the hour (scale-in, replaced tasks), forty deploys of the
family, a busy log group. It is what the scale benchmark (`bench/scale.py`) runs the
checks against, to show that a run's AWS calls grow with the pages AWS answers in
(`opscheck.simulator.paging`), not with the resources it reads.
"""

from __future__ import annotations

from moto.cloudwatch.models import cloudwatch_backends

from opscheck.simulator.catalog import Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.effects.ecs import stop_tasks_like
from opscheck.simulator.effects.logs import put_lines
from opscheck.simulator.effects.taskdefs import register_revision, service
from opscheck.simulator.world import ACCOUNT, RUNNING_TASKS, World

STOPS_PER_BATCH = 10  # tasks ECS stopped together (one scale-in)
# The log lines span the last two minutes: inside the five the checks read for three more.
LOG_SECONDS = 120.0


class ScaleChange(Change):
    """How much of everything the production holds."""

    alarms: int = 250
    """CloudWatch alarms in the account and region, the environment's own among them."""
    stopped_tasks: int = 150
    """Tasks of the service stopped as routine in the last hour (scaled in), besides two seeded."""
    revisions: int = 40
    """ACTIVE revisions of the task family; the service runs the newest."""
    targets: int = 50
    """Tasks running, each a healthy target of the target group."""
    log_lines: int = 20_000
    """INFO lines in the tasks' log group in the last five minutes, besides the seeded ones."""


@effect("scale", ScaleChange)
def at_scale(world: World, change: ScaleChange, fault: Fault) -> None:
    _alarms(world, change.alarms)
    newest = _revisions(world, change.revisions)
    _targets(world, change.targets)
    for batch, start in enumerate(range(0, change.stopped_tasks, STOPS_PER_BATCH)):
        stop_tasks_like(
            world,
            newest,
            stop_code="ServiceSchedulerInitiated",
            reason=f"Scaling activity initiated by (service {world.target.ecs.service})",
            exit_code=0,
            minutes_ago=2 + batch * 55 / max(change.stopped_tasks // STOPS_PER_BATCH, 1),
            count=min(STOPS_PER_BATCH, change.stopped_tasks - start),
        )
    lines = [f"INFO GET /api/v1/proposals/{n} 200 {20 + n % 80}ms" for n in range(change.log_lines)]
    put_lines(world, lines, LOG_SECONDS)


def _alarms(world: World, total: int) -> None:
    """Other services' alarms beside the environment's own, put on moto's backend (a few
    hundred over HTTP take seconds, and the fork of every run pays them)."""
    backend = cloudwatch_backends[ACCOUNT][world.target.aws.region]
    own = len(world.target.alarms.model_dump())
    for n in range(max(total - own, 0)):
        backend.put_metric_alarm(
            name=f"other-service-{n:03d}-cpu-high",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=3,
            period=300,
            threshold=80.0,
            statistic="Average",
            description="",
            dimensions=[],
            alarm_actions=[],
        )


def _revisions(world: World, total: int) -> str:
    """Register revisions up to `total` and deploy the newest, as forty deploys would have."""
    while len(world.task_definitions) < total:
        register_revision(world, f"{len(world.task_definitions):07x}")
    newest = world.task_definitions[-1]
    running = service(world)
    running.task_definition = newest
    running.deployments[0] = dict(running.deployments[0], taskDefinition=newest)
    return newest


def _targets(world: World, count: int) -> None:
    """`count` tasks running, each registered in the target group (healthy, as moto has it)."""
    running = service(world)
    running.desired_count = running.running_count = count
    running.deployments[0] = dict(
        running.deployments[0], desiredCount=count, runningCount=count, pendingCount=0
    )
    more = [
        {"Id": f"10.0.{1 + n // 200}.{10 + n % 200}", "Port": 3000}
        for n in range(RUNNING_TASKS, count)
    ]
    if more:
        world.client("elbv2").register_targets(TargetGroupArn=world.target_group_arn, Targets=more)
