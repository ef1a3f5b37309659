"""Who the checks run as in the simulated production: a user holding only opscheck's policy.

Once the world is seeded and its faults staged, `lock` creates an IAM user whose one
policy is `python -m opscheck.iam policy` (less what a `permissions` fault denies) and
switches moto's IAM enforcement on. From then on every AWS request must be signed by that
user and allowed by its policy, so a simulated run proves the policy is enough, and that
AWS itself, not only opscheck's guard, refuses anything else.
"""

from __future__ import annotations

import json

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin

from opscheck.evidence import read_actions
from opscheck.iam import policy
from opscheck.simulator.catalog import CatalogError, Fault
from opscheck.simulator.effects import Change, effect
from opscheck.simulator.world import World

USER = "opscheck-readonly"
# moto checks an action under the name its requests are signed with, which for CloudWatch
# is "monitoring", not the IAM prefix "cloudwatch".
SIGNING_NAMES = {"cloudwatch": "monitoring"}


class PermissionsChange(Change):
    """IAM actions the read-only user is not granted, so the checks needing them cannot look."""

    deny: tuple[str, ...]
    """IAM actions left out of the user's policy."""


@effect("permissions", PermissionsChange)
def narrow_permissions(world: World, change: PermissionsChange, fault: Fault) -> None:
    unknown = sorted(set(change.deny) - read_actions())
    if unknown:
        raise CatalogError(
            f"fault '{fault.name}': 'permissions.deny' names {', '.join(unknown)}, which "
            f"opscheck does not use (see python -m opscheck.iam policy)"
        )
    world.denied.update(change.deny)


def as_moto_checks_it(action: str) -> str:
    prefix, _, name = action.partition(":")
    return f"{SIGNING_NAMES.get(prefix, prefix)}:{name}"


def lock(world: World) -> dict[str, str]:
    """Create the read-only user, turn IAM enforcement on, and return the user's credentials."""
    document = policy(exclude=frozenset(world.denied))
    for statement in document["Statement"]:
        statement["Action"] = [as_moto_checks_it(a) for a in statement["Action"]]
    iam = world.client("iam")
    iam.create_user(UserName=USER)
    iam.put_user_policy(
        UserName=USER, PolicyName="opscheck-read", PolicyDocument=json.dumps(document)
    )
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    return {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
