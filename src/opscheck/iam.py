"""The IAM policies opscheck needs, printed from its code: `python -m opscheck.iam`.

python -m opscheck.iam policy
    the permissions policy: exactly the read actions the evidence sources declare
    (the same list the read-only guard allows), nothing else
python -m opscheck.iam trust --repo OWNER/NAME --environment ENV --account ID
                             [--owner-id N --repo-id N]
    the trust policy of the role GitHub Actions assumes through OIDC, limited to one
    repository and one deployment environment

GitHub's OIDC subject names the repository in one of two forms: `repo:OWNER/NAME:...`, and,
for repositories created or renamed since 15 July 2026 or opted in, the immutable form
`repo:OWNER@OWNER_ID/NAME@REPO_ID:...`, whose numeric ids are never reused. Given the ids
(`gh api repos/OWNER/NAME --jq '.owner.id, .id'`), the policy trusts both forms, so it
holds before and after the repository switches; without them, only the name form.
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


def subjects(
    repo: str, environment: str, owner_id: int | None = None, repo_id: int | None = None
) -> list[str]:
    """The OIDC `sub` values a deployment job of that repository and environment presents."""
    found = [f"repo:{repo}:environment:{environment}"]
    if owner_id is not None and repo_id is not None:
        owner, _, name = repo.partition("/")
        found.append(f"repo:{owner}@{owner_id}/{name}@{repo_id}:environment:{environment}")
    return found


def trust(
    repo: str,
    environment: str,
    account: str,
    owner_id: int | None = None,
    repo_id: int | None = None,
) -> dict[str, Any]:
    """Return the role's trust policy: GitHub's OIDC provider, one repository, one environment.

    A list of values under StringEquals matches any one of them.
    """
    sub = subjects(repo, environment, owner_id, repo_id)
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
                        f"{GITHUB_OIDC}:sub": sub if len(sub) > 1 else sub[0],
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
    role.add_argument("--owner-id", type=int, help="the numeric id of the repository's owner")
    role.add_argument("--repo-id", type=int, help="the numeric id of the repository")
    args = parser.parse_args(argv)
    if args.command == "policy":
        document = policy()
    else:
        if args.repo.count("/") != 1 or not args.account.isdigit():
            parser.error("expected --repo owner/name and a numeric --account")
        if (args.owner_id is None) != (args.repo_id is None):
            parser.error("give both --owner-id and --repo-id, or neither")
        if args.owner_id is None:
            print(
                "note: repositories created or renamed since 15 July 2026 (or opted in) present "
                "repo:OWNER@OWNER_ID/NAME@REPO_ID in their OIDC subject; add --owner-id and "
                f"--repo-id (gh api repos/{args.repo} --jq '.owner.id, .id') to trust that form",
                file=sys.stderr,
            )
        document = trust(args.repo, args.environment, args.account, args.owner_id, args.repo_id)
    try:
        print(json.dumps(document, indent=2))
    except BrokenPipeError:  # piped into head, say: the reader has what it wanted
        sys.stderr.close()


if __name__ == "__main__":
    main()
