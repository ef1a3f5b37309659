"""The IAM policies opscheck needs, printed from its code: `python -m opscheck.iam`.

python -m opscheck.iam policy
    the permissions policy: exactly the read actions the evidence sources declare
    (the same list the read-only guard allows), nothing else
python -m opscheck.iam trust --repo OWNER/NAME --environment ENV --account ID
    the trust policy of the role GitHub Actions assumes through OIDC, limited to one
    repository and one deployment environment
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from opscheck.evidence import read_actions

GITHUB_OIDC = "token.actions.githubusercontent.com"


def policy(exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Return the permissions policy; `exclude` leaves actions out (to rehearse a narrow role)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OpscheckReadsEvidence",
                "Effect": "Allow",
                "Action": sorted(read_actions() - exclude),
                "Resource": "*",
            }
        ],
    }


def trust(repo: str, environment: str, account: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC}:aud": "sts.amazonaws.com",
                        f"{GITHUB_OIDC}:sub": f"repo:{repo}:environment:{environment}",
                    }
                },
            }
        ],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m opscheck.iam",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("policy", help="the permissions policy")
    role = commands.add_parser("trust", help="the OIDC trust policy for GitHub Actions")
    role.add_argument("--repo", required=True, help="owner/name of the repository")
    role.add_argument("--environment", required=True, help="the GitHub deployment environment")
    role.add_argument("--account", required=True, help="the AWS account id of the role")
    args = parser.parse_args(argv)
    if args.command == "policy":
        document = policy()
    else:
        if args.repo.count("/") != 1 or not args.account.isdigit():
            parser.error("expected --repo owner/name and a numeric --account")
        document = trust(args.repo, args.environment, args.account)
    try:
        print(json.dumps(document, indent=2))
    except BrokenPipeError:  # piped into head, say: the reader has what it wanted
        sys.stderr.close()


if __name__ == "__main__":
    main()
