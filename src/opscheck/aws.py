"""The one way opscheck talks to AWS: a botocore session that can only read.

Every client comes from `ReadOnlySession`. Before botocore sends a request, a
`before-call` handler checks the operation against an explicit allow-list of IAM
actions (the ones the evidence sources declare) and refuses anything else, so a
mutating call never leaves the process. The same handler counts the calls made.
Retries use botocore's own standard mode with a cap; every client has connect and
read timeouts. With a role ARN, the session first assumes that role (the one call outside
the allow-list, made once, before any client is built) and reads as it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from opscheck.redact import remember

# IAM action prefixes where they differ from botocore's service names.
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}

# What "read" means here: AWS names read operations with these verbs, but says so only
# "in general", so the guard checks an explicit list and this only vets that list.
READ_VERBS = ("Describe", "List", "Get", "Filter", "Lookup", "Search", "BatchGet", "Download")

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "403",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
    }
)
THROTTLED_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)


ASSUME_ROLE = "sts:AssumeRole"
ROLE_SESSION_NAME = "opscheck"


class ReadOnlyViolation(RuntimeError):
    """An operation outside the allow-list was attempted; nothing was sent."""


class RoleNotAssumed(RuntimeError):
    """The role to read as could not be assumed; the message says why and what to do."""


class NotAnAwsAnswer(RuntimeError):
    """A 200 answer without the shape AWS gives: a proxy's page, a portal, a cut-off body.

    botocore parses such a body into an empty result, which would read as "nothing there".
    """


JSON_PROTOCOLS = ("json", "rest-json")
XML_PROTOCOLS = ("query", "ec2")


def iam_action(service: str, operation: str) -> str:
    """Return the IAM action for a service and operation, e.g. ecs:DescribeServices."""
    return f"{IAM_PREFIX.get(service, service)}:{operation}"


def check_read_only(actions: Iterable[str]) -> frozenset[str]:
    """Return the actions as a set, refusing any whose verb is not a read verb."""
    actions = frozenset(actions)
    for action in actions:
        verb = action.partition(":")[2]
        if not verb.startswith(READ_VERBS):
            raise ReadOnlyViolation(f"{action} is not a read operation; opscheck only reads")
    return actions


class ReadOnlySession:
    """A botocore session whose clients can only call the allowed read actions.

    botocore rather than boto3: the clients are all opscheck uses, and boto3's import (its
    resources, s3transfer) is time the on-call waits for.
    """

    def __init__(
        self,
        region: str,
        allowed: Iterable[str],
        *,
        profile: str | None = None,
        endpoint_url: str | None = None,
        credentials: dict[str, str] | None = None,
        role_arn: str | None = None,
        max_attempts: int = 3,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
    ) -> None:
        self.allowed = check_read_only(allowed)
        self.endpoint_url = endpoint_url
        self.role_arn = role_arn
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._clients: dict[str, Any] = {}
        for secret in (
            *(credentials or {}).values(),
            os.environ.get("AWS_SECRET_ACCESS_KEY"),
            os.environ.get("AWS_SESSION_TOKEN"),
        ):
            remember(secret)
        self._start = _session(region, profile=profile or None, **(credentials or {}))
        self._reading: Any = None if role_arn else self._guarded(self._start)
        self._role_error: str | None = None
        from botocore.config import Config  # with the session: not needed to register sources

        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=20,
            user_agent_extra="opscheck",
        )

    @property
    def region(self) -> str:
        return self._start.get_config_variable("region")

    def client(self, service: str) -> Any:
        """Return the shared client for a service (clients are thread-safe, sessions not)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session().create_client(
                    service, config=self._config, endpoint_url=self.endpoint_url
                )
            return self._clients[service]

    def _guarded(self, session: Any) -> Any:
        # Registered on the session before any client exists: each client copies the
        # session's event handlers when it is created.
        session.register("before-call.*.*", self._guard)
        session.register("before-parse.*.*", _check_body)
        session.register("after-call.*.*", _check_answer)
        return session

    def _session(self) -> Any:
        """The session clients come from: the role's, assumed once, when there is a role."""
        if self._reading is None and self._role_error is None:
            self._local.action = ASSUME_ROLE
            sts = self._start.create_client(
                "sts", config=self._config, endpoint_url=self.endpoint_url
            )
            try:
                granted = sts.assume_role(RoleArn=self.role_arn, RoleSessionName=ROLE_SESSION_NAME)
            except Exception as error:  # said once here, then by every source that needs AWS
                self._role_error = _role_failure(self.role_arn or "", error)
            else:
                self.calls[ASSUME_ROLE] += 1
                keys = granted["Credentials"]
                remember(keys["SecretAccessKey"])
                remember(keys["SessionToken"])
                self._reading = self._guarded(
                    _session(
                        self.region,
                        aws_access_key_id=keys["AccessKeyId"],
                        aws_secret_access_key=keys["SecretAccessKey"],
                        aws_session_token=keys["SessionToken"],
                    )
                )
        if self._role_error is not None:
            raise RoleNotAssumed(self._role_error)
        return self._reading

    def last_action(self) -> str | None:
        """Return the IAM action this thread last attempted, to name it when it fails."""
        return getattr(self._local, "action", None)

    def forget_action(self) -> None:
        self._local.action = None

    def _guard(self, model: Any, **_: Any) -> None:
        action = iam_action(model.service_model.service_name, model.name)
        self._local.action = action
        if action not in self.allowed:
            raise ReadOnlyViolation(
                f"refused {action}: opscheck is read-only and {action} is not one of the "
                f"{len(self.allowed)} read actions its checks use; nothing was sent"
            )
        with self._lock:
            self.calls[action] += 1


def _session(
    region: str,
    *,
    profile: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
) -> Any:
    """A botocore session set up as `boto3.session.Session(...)` sets one up."""
    import botocore.session  # here, not at import: the sources register without it

    session = botocore.session.get_session()
    if profile is not None:
        session.set_config_variable("profile", profile)
    try:  # the profile may name where botocore's models are (data_path), as boto3 reads it
        data_path = session.get_config_variable("data_path")
    except ProfileNotFound:
        data_path = None  # said by the first client, as without a shared loader
    session.register_component("data_loader", _loader(data_path))
    if aws_access_key_id or aws_secret_access_key or aws_session_token:
        session.set_credentials(aws_access_key_id, aws_secret_access_key, aws_session_token)
    session.set_config_variable("region", region)
    return session


@functools.cache
def _loader(data_path: str | None) -> Any:
    """botocore's reader of its service models, one for the process rather than one per session.

    It keeps what it has parsed: the models and endpoint rules of a run's seven services are
    0.2 s of CPU, paid again by every new session (the role's, after the one that assumes it).
    """
    from botocore.loaders import create_loader

    return create_loader(data_path)


def _check_body(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """Before botocore parses a success: a JSON protocol's body is JSON, a query protocol's is
    the operation's XML answer. botocore would read anything else as an empty result."""
    status, body = response_dict["status_code"], response_dict.get("body")
    if status >= 300 or not isinstance(body, bytes) or not body.strip():
        return
    model = operation_model
    protocol = model.service_model.protocol
    where = f"{iam_action(model.service_model.service_name, model.name)} answered {status}"
    if protocol in JSON_PROTOCOLS:
        try:
            json.loads(body)
        except ValueError:
            raise NotAnAwsAnswer(
                f"{where} with a body that is not JSON: not an AWS answer (a proxy, a captive "
                f"portal, a wrong endpoint URL, or the body was cut short): {body[:80]!r}"
            ) from None
    elif protocol in XML_PROTOCOLS:
        answer = re.compile(rb"\s*(<\?xml[^>]*>\s*)?<" + model.name.encode() + rb"Response[\s>]")
        if not answer.match(body):
            raise NotAnAwsAnswer(
                f"{where} with a body that is not its XML answer: not an AWS answer (a proxy, "
                f"a captive portal or a wrong endpoint URL?): {body[:80]!r}"
            )


def _check_answer(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
    """Refuse a success that is not AWS's: every AWS answer carries a request id, and the
    members its operation's model marks required."""
    if http_response.status_code >= 300:
        return  # botocore raises its own error for these
    action = iam_action(model.service_model.service_name, model.name)
    where = f"{action} answered {http_response.status_code}"
    if not parsed.get("ResponseMetadata", {}).get("RequestId"):
        raise NotAnAwsAnswer(
            f"{where} without an AWS request id: not an AWS answer (a proxy, a captive portal "
            "or a wrong endpoint URL?)"
        )
    shape = model.output_shape
    missing = [m for m in (shape.required_members if shape else ()) if m not in parsed]
    if missing:
        raise NotAnAwsAnswer(f"{where} without {', '.join(missing)}, which AWS always sends")


def _role_failure(role_arn: str, error: BaseException) -> str:
    reason, _ = explain(error, ASSUME_ROLE)
    return (
        f"could not assume [aws] role_arn {role_arn}: {reason}. The identity opscheck starts "
        f"as needs {ASSUME_ROLE} on that role, and the role's trust policy must trust it"
    )


def explain(error: BaseException, action: str) -> tuple[str, str | None]:
    """Return a one-line reason an AWS read failed, and the IAM action to grant if that is why."""
    if isinstance(error, RoleNotAssumed | NotAnAwsAnswer):
        return str(error), None
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code in DENIED_CODES:
            return (
                f"{action} was denied ({code}): grant {action} to the role opscheck runs as",
                action,
            )
        if code in THROTTLED_CODES:
            return f"{action} was throttled past the retry limit ({code}); try again shortly", None
        return f"{action} failed: {code}: {message}", None
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError):
        return f"{action}: could not connect to the AWS endpoint ({error})", None
    if isinstance(error, ReadTimeoutError):
        return f"{action}: the AWS endpoint did not answer in time ({error})", None
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            f"{action}: no AWS credentials found; set AWS_PROFILE, or run with a role "
            "(see the README, 'Credentials')",
            None,
        )
    if isinstance(error, ProfileNotFound | NoRegionError):
        return f"{action}: {error}", None
    return f"{action}: {type(error).__name__}: {error}", None
