"""Rules AWS services apply on their side that moto does not, checked on the calls a step made.

Each rule reads the call and the emulator's state (as the administrator sees it) and returns what
AWS would refuse, in the same one-line form as an IAM denial.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.rehearse import iam

# Lambda keeps this much of an account's concurrency unreserved: "Lambda requires at least 100 ...
# unreserved" (Lambda developer guide, "Configuring reserved concurrency"); PutFunctionConcurrency
# refuses a reservation that would leave less.
UNRESERVED_MINIMUM = 100


@dataclass
class Image:
    account: str
    region: str
    repository: str
    digest: str | None
    tag: str | None

    @property
    def repository_arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{self.account}:repository/{self.repository}"


def parse_image(uri: str) -> Image | None:
    registry, _, rest = uri.partition("/")
    parts = registry.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"]:
        return None
    name, _, digest = rest.partition("@")
    tag = None
    if not digest:
        name, _, tag = rest.partition(":")
    return Image(parts[0], parts[3], name, digest or None, tag or None)


@dataclass
class Admin:
    """The emulator as each account's administrator sees it (what the rules read)."""

    client: Callable[[str, str], Any]  # (service, account) -> boto3 client


def image_exists(image: Image, admin: Admin) -> bool:
    """Lambda refuses CreateFunction/UpdateFunctionCode for an image not in the repository (Lambda
    API reference, CreateFunction: "the image must be in ECR in the same Region"); moto does not check."""
    ecr = admin.client("ecr", image.account)
    image_id = {"imageDigest": image.digest} if image.digest else {"imageTag": image.tag}
    try:
        found = ecr.describe_images(
            registryId=image.account, repositoryName=image.repository, imageIds=[image_id]
        )
    except ecr.exceptions.ClientError:
        return False
    return bool(found.get("imageDetails"))


def repository_policy(image: Image, admin: Admin) -> dict[str, Any] | None:
    ecr = admin.client("ecr", image.account)
    try:
        text = ecr.get_repository_policy(registryId=image.account, repositoryName=image.repository)
    except ecr.exceptions.ClientError:
        return None
    return dict(json.loads(text["policyText"]))


def lambda_image_pull(
    caller: iam.Principal, function_arn: str, image: Image, admin: Admin
) -> list[tuple[iam.Principal, iam.Request, iam.Decision, str]]:
    """What creating or updating a function from `image` needs beyond lambda:* (AWS Lambda developer
    guide, "Create a Lambda function using a container image", Amazon ECR permissions; re:Post
    knowledge center "lambda-ecr-image"): the Lambda service may BatchGetImage and
    GetDownloadUrlForLayer under the repository policy, with aws:sourceArn the function's ARN when the
    function is in another account; and the caller itself may do both on the repository, which across
    accounts needs its own identity policy as well as the repository policy."""
    policy = repository_policy(image, admin)
    function_account = function_arn.split(":")[4]
    service = iam.Principal("the Lambda service", "lambda.amazonaws.com", "", kind="Service")
    context = {"aws:SourceArn": function_arn, "aws:SourceAccount": function_account}
    checks = []
    for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        request = iam.Request(action, image.repository_arn, image.account, context)
        checks.append(
            (service, request, iam.evaluate(service, request, policy, "repository policy"), "image pull")
        )
        mine = iam.Request(action, image.repository_arn, image.account)
        checks.append((caller, mine, iam.evaluate(caller, mine, policy, "repository policy"), "image read"))
    return checks


def key_policy_lockout(caller: iam.Principal, policy_text: str | None, key_arn: str) -> iam.Decision:
    """KMS refuses a CreateKey (or PutKeyPolicy) whose new key policy would not let the caller call
    PutKeyPolicy on the key afterwards, unless BypassPolicyLockoutSafetyCheck is set (AWS KMS API
    reference, CreateKey: Policy, "the key policy must allow the calling principal to make a
    subsequent PutKeyPolicy request on the KMS key"; "Default key policy" in the developer guide)."""
    if not policy_text:
        return iam.Decision(True)  # the default key policy gives the account root PutKeyPolicy
    policy = json.loads(policy_text)
    request = iam.Request("kms:PutKeyPolicy", key_arn, caller.account)
    for statement in policy.get("Statement", []):
        if statement.get("Resource") == "*":  # in a key policy "*" is the key itself
            statement["Resource"] = key_arn
    decision = iam.evaluate(caller, request, policy, "the new key policy", kind="kms")
    if decision.allowed:
        return decision
    return iam.Decision(
        False,
        f"the key policy sent would not let the caller call kms:PutKeyPolicy afterwards "
        f"({decision.reason}): KMS's policy lockout safety check refuses it",
    )


def unreserved_after(limit: int, reservations: dict[str, int], function: str, reserved: int) -> int:
    """The account's unreserved concurrency once `function` reserves `reserved`."""
    others = sum(value for name, value in reservations.items() if name != function)
    return limit - others - max(reserved, 0)
