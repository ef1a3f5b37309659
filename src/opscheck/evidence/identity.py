"""Evidence of who is looking: the AWS account and caller, so nobody audits the wrong account."""

from __future__ import annotations

from opscheck.evidence.base import Context, Model, source


class Identity(Model):
    account: str
    arn: str
    region: str


@source("identity", actions=("sts:GetCallerIdentity",))
def identity(ctx: Context) -> Identity:
    """The AWS account id and caller ARN the checks run as."""
    me = ctx.aws.client("sts").get_caller_identity()
    return Identity(account=me["Account"], arn=me["Arn"], region=ctx.aws.region)
