"""`ops preflight --env dev|prod`: read-only checks before an environment's first deploy, and before
each apply in the pipeline. One line per check, `ok` or `FAIL` with what to do; nothing is changed.

- the credentials are for the account live/<env>/env.hcl names;
- the state bucket exists (else the exact bootstrap command);
- GitHub's OIDC provider and the CI roles exist;
- the image to deploy (IMAGE_URI, else the pin) is in its repository and these credentials may pull
  it (ecr:BatchGetImage, which the repository policy must also allow across accounts);
- the account's Lambda concurrency leaves at least 100 unreserved after this function's reservation
  (Lambda refuses a reservation that would leave less);
- the alarm topic has a confirmed subscription (or does not exist yet: the first apply creates it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.exceptions

from ops import OpsError, aws
from shared.pins import LIVE, PinError, hcl_locals

ENVIRONMENT = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
    r"/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)@(?P<digest>sha256:[0-9a-f]{64})$"
)
OIDC_HOST = "token.actions.githubusercontent.com"
UNRESERVED_MINIMUM = 100  # Lambda keeps this much of an account's concurrency unreserved


@dataclass
class Check:
    name: str
    ok: bool
    detail: str

    @classmethod
    def judged(cls, name: str, ok: bool, found: str, remedy: str) -> Check:
        """What was found when the check holds; else what is wrong and what to do about it."""
        return cls(name, ok, found if ok else remedy)

    def line(self) -> str:
        return f"  {'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


@dataclass
class Environment:
    name: str
    values: dict[str, Any]
    project: dict[str, Any]

    @property
    def account(self) -> str:
        return str(self.values["account_id"])

    @property
    def region(self) -> str:
        return str(self.values["region"])

    @property
    def prefix(self) -> str:
        return f"{self.project['name']}-{self.name}"

    @property
    def state_bucket(self) -> str:  # live/state.hcl's bucket (tests/live holds the two equal)
        return f"{self.project['name']}-tfstate-{self.account}-{self.region}"


def _locals(path: Path) -> dict[str, Any]:
    try:
        return hcl_locals(path.read_text(), path)
    except OSError as exc:
        raise OpsError(f"cannot read {path}: {exc.strerror}") from None
    except PinError as exc:
        raise OpsError(str(exc)) from None


def read(name: str, live: Path = LIVE) -> Environment:
    if not ENVIRONMENT.match(name) or not (live / name / "env.hcl").is_file():
        known = sorted(p.parent.name for p in live.glob("*/env.hcl"))
        raise OpsError(f"no environment {name!r} (live/<env>/env.hcl exists for: {', '.join(known)})")
    return Environment(name, _locals(live / name / "env.hcl"), _locals(live / "project.hcl"))


def _code(exc: botocore.exceptions.ClientError) -> str:
    return aws.error_code(exc)


def check_account(env: Environment, sts: Any) -> Check:
    with aws.errors("reading the caller's identity"):
        identity = sts.get_caller_identity()
    found = str(identity["Account"])
    return Check.judged(
        "account",
        found == env.account,
        f"{found} ({identity['Arn']})",
        f"these credentials are for account {found}, live/{env.name}/env.hcl says {env.account}: "
        f"use credentials of the {env.name} account",
    )


def check_state_bucket(env: Environment, s3: Any) -> Check:
    bootstrap = f"terragrunt apply --working-dir live/{env.name}/github-oidc --backend-bootstrap"
    try:
        s3.head_bucket(Bucket=env.state_bucket)
    except botocore.exceptions.ClientError as exc:
        if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
            return Check(
                "state bucket",
                False,
                f"{env.state_bucket} does not exist: an administrator creates it with `{bootstrap}`",
            )
        return Check(
            "state bucket", False, f"{env.state_bucket}: {_code(exc)} (these credentials may not read it)"
        )
    return Check("state bucket", True, env.state_bucket)


def check_ci_roles(env: Environment, iam: Any) -> Check:
    provider = f"arn:aws:iam::{env.account}:oidc-provider/{OIDC_HOST}"
    missing = []
    try:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    except botocore.exceptions.ClientError as exc:
        missing.append(f"OIDC provider {OIDC_HOST} ({_code(exc)})")
    roles = [f"{env.prefix}-github-deploy", f"{env.prefix}-github-plan"]
    for role in roles:
        try:
            iam.get_role(RoleName=role)
        except botocore.exceptions.ClientError as exc:
            missing.append(f"role {role} ({_code(exc)})")
    if missing:
        return Check(
            "CI roles",
            False,
            f"missing: {', '.join(missing)}: an administrator applies "
            f"`terragrunt apply --working-dir live/{env.name}/github-oidc`",
        )
    return Check("CI roles", True, f"OIDC provider, {', '.join(roles)}")


def check_image(env: Environment, ecr_client: Any, image_uri: str) -> Check:
    if not image_uri:
        return Check(
            "image",
            False,
            f"nothing to deploy: IMAGE_URI is unset and live/{env.name}/env.hcl pins no image_uri "
            f"(make pin ENV={env.name} IMAGE=<repository url>@sha256:<digest>)",
        )
    match = IMAGE.match(image_uri)
    if not match:
        return Check("image", False, f"{image_uri!r} is not an ECR image by digest")
    if match["region"] != env.region:
        return Check(
            "image",
            False,
            f"{image_uri} is in {match['region']}, {env.name} runs in {env.region}: Lambda "
            "pulls from its own region only",
        )
    try:
        found = ecr_client.batch_get_image(
            registryId=match["account"],
            repositoryName=match["repository"],
            imageIds=[{"imageDigest": match["digest"]}],
            acceptedMediaTypes=[
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.oci.image.manifest.v1+json",
            ],
        )
    except botocore.exceptions.ClientError as exc:
        if _code(exc) == "RepositoryNotFoundException":
            return Check("image", False, f"repository {match['repository']} not found in {match['account']}")
        return Check(
            "image",
            False,
            f"account {env.account} may not pull {image_uri} ({_code(exc)}): list it in "
            "ecr_pull_account_ids of the environment owning the repository, and that repository in "
            f"ecr_pull_repository_arns of live/{env.name}/env.hcl; apply both",
        )
    if not found.get("images"):
        return Check("image", False, f"{image_uri} is not in its repository (expired, or never pushed)")
    return Check("image", True, f"{image_uri} exists and account {env.account} may pull it")


def check_concurrency(env: Environment, lambda_client: Any) -> Check:
    wanted = int(env.values.get("lambda_reserved_concurrency", -1))
    reserve = max(wanted, 0)
    with aws.errors("reading the account's Lambda settings"):
        limits = lambda_client.get_account_settings()["AccountLimit"]
    limit = int(limits["ConcurrentExecutions"])
    unreserved = int(limits["UnreservedConcurrentExecutions"])
    current = 0
    try:
        found = lambda_client.get_function_concurrency(FunctionName=env.prefix)
        current = int(found.get("ReservedConcurrentExecutions") or 0)
    except botocore.exceptions.ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise OpsError(f"reading the concurrency of {env.prefix}: {_code(exc)}") from None
    after = unreserved + current - reserve
    summary = f"reserving {reserve} leaves {after} of {limit} unreserved"
    return Check.judged(
        "concurrency",
        after >= UNRESERVED_MINIMUM,
        summary,
        f"{summary}, Lambda keeps {UNRESERVED_MINIMUM}: request a higher 'Concurrent executions' quota "
        f"(Service Quotas, Lambda, L-B99A9384) or lower lambda_reserved_concurrency in live/{env.name}/env.hcl",
    )


def check_alarm_topic(env: Environment, sns: Any) -> Check:
    topic = f"arn:aws:sns:{env.region}:{env.account}:{env.prefix}-alarms"
    try:
        found = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    except botocore.exceptions.ClientError as exc:
        if _code(exc) in ("NotFound", "NotFoundException"):
            return Check("alarm topic", True, f"{topic} does not exist yet: the first apply creates it")
        return Check("alarm topic", False, f"{topic}: {_code(exc)}")
    confirmed = [s for s in found if s.get("SubscriptionArn", "").startswith("arn:")]
    pending = ", ".join(s.get("Endpoint", "?") for s in found) or "nobody"
    return Check.judged(
        "alarm topic",
        bool(confirmed),
        f"{len(confirmed)} confirmed subscription(s) on {topic}",
        f"no confirmed subscription on {topic} (pending: {pending}): confirm the e-mail AWS sent, or "
        f"alarms reach no one",
    )


def run(name: str, live: Path | None = None, image_uri: str | None = None) -> list[Check]:
    env = read(name, live or LIVE)
    image = (
        image_uri if image_uri is not None else os.environ.get("IMAGE_URI") or env.values.get("image_uri", "")
    )
    checks = [check_account(env, aws.client("sts"))]
    if not checks[0].ok:  # everything else would be read from the wrong account
        return checks
    checks += [
        check_state_bucket(env, aws.client("s3")),
        check_ci_roles(env, aws.client("iam")),
        check_image(env, aws.client("ecr"), str(image or "")),
        check_concurrency(env, aws.client("lambda")),
        check_alarm_topic(env, aws.client("sns")),
    ]
    return checks
