"""The AWS calls a step makes, and the IAM action and resource each is authorised as.

Terraform's AWS provider (and its S3 backend) logs every request at TF_LOG=DEBUG as `HTTP Request
Sent` with `rpc.service`, `rpc.method`, the URL and the body; `ops` and the rehearsal's own boto3
calls are seen through botocore's `before-parameter-build` event. Each call becomes one or more
`Request`s for tools/rehearse/iam.py: the action as the Service Authorization Reference names it, the
resource ARN built from the call's parameters, and the condition keys IAM would set.
"""

from __future__ import annotations

import itertools
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tools.rehearse.iam import Request

RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\S+ \[\w+\] ", re.M)
PAIR = re.compile(r'(?:^|\s)([\w.@-]+)=("(?:[^"\\]|\\.)*"|\S*)')


@dataclass(frozen=True)
class Call:
    """One API call: the service and operation as the SDK names them, and its parameters."""

    service: str  # the SDK's service id, lower case: iam, sts, ecr, lambda, kms, logs, cloudwatch, ...
    operation: str  # CreateFunction
    params: dict[str, Any] = field(default_factory=dict)
    method: str = ""  # HTTP method and path, for REST services (Lambda, API Gateway, S3)
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # the provider logs at most a few kB of a body: parameters may be missing

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


SERVICE_IDS = {
    "cloudwatch logs": "logs",
    "apigatewayv2": "apigatewayv2",
    "api gateway": "apigateway",
    "cloudwatch": "cloudwatch",
}


def _service_id(name: str) -> str:
    name = name.strip('"').lower()
    return SERVICE_IDS.get(name, name.replace(" ", ""))


def terraform_calls(log: str) -> list[Call]:
    """The calls in a TF_LOG=DEBUG log, first attempts only (SDK retries are the same call)."""
    calls = []
    starts = [m.start() for m in RECORD.finditer(log)] + [len(log)]
    for start, end in itertools.pairwise(starts):
        record = log[start:end]
        if "HTTP Request Sent" not in record:
            continue
        lines = record.splitlines()
        body = "\n".join(line.strip()[2:] for line in lines if line.strip().startswith("| "))
        attributes = {
            k: v.strip('"') for k, v in PAIR.findall(" ".join(line for line in lines if "| " not in line[:4]))
        }
        if "attempt=1;" not in attributes.get("http.request.header.amz_sdk_request", "attempt=1;"):
            continue
        service, operation = attributes.get("rpc.service", ""), attributes.get("rpc.method", "")
        url = urllib.parse.urlsplit(attributes.get("http.url", ""))
        truncated = body.endswith("[truncated...]")
        calls.append(
            Call(
                _service_id(service),
                operation,
                _body(body.removesuffix("[truncated...]").rstrip("\n"), truncated),
                attributes.get("http.method", ""),
                urllib.parse.unquote(url.path),
                dict(urllib.parse.parse_qsl(url.query)),
                truncated,
            )
        )
    return calls


TOP_LEVEL_STRING = re.compile(r'"(\w+)":"((?:[^"\\]|\\.)*)"')


def _body(body: str, truncated: bool = False) -> dict[str, Any]:
    body = body.strip()
    if not body:
        return {}
    if body.startswith("{"):
        try:
            return dict(json.loads(body))
        except ValueError:
            if not truncated:
                return {}
            # Cut short: keep the plain string fields that came before the cut (ids and names
            # precede the long documents in what the SDK sends), never the cut one.
            fields = {key: json.loads(f'"{value}"') for key, value in TOP_LEVEL_STRING.findall(body)}
            return {key: value for key, value in fields.items() if not body.rstrip().endswith(value)}
    if "=" in body and not body.startswith("<"):
        return dict(urllib.parse.parse_qsl(body))
    return {}


def boto3_recorder(calls: list[Call]) -> Callable[..., None]:
    """A handler for botocore's `before-parameter-build.*.*` event that appends each call."""

    def record(params: dict[str, Any], model: Any, event_name: str, **_: Any) -> None:
        service = event_name.split(".")[1]
        calls.append(Call(service, model.name, dict(params)))

    return record


# ---------------------------------------------------------------------------------------------------
# Calls to IAM requests
# ---------------------------------------------------------------------------------------------------


@dataclass
class Where:
    """What turning a call into requests needs to know about the account it lands in."""

    account: str
    region: str
    key_arn: Callable[[str], str]  # a KMS key id, ARN, alias name or alias ARN -> the key's ARN
    role_boundary: Callable[[str], str | None]  # role name -> its permissions boundary ARN, if any


class Unmapped(Exception):
    """A call this module cannot turn into an IAM request (listed by name, never passed)."""


# Calls that need no permission, or that fail harmlessly by design and are not judged.
NOT_AUTHORISED = {
    # "No permissions are required to perform this operation" (STS API reference).
    "sts:GetCallerIdentity": "needs no permission",
}
TOLERATED = {
    # aws-sdk-go-base asks IAM for the caller's user first and falls back to sts:GetCallerIdentity;
    # a role session gets an error here on AWS too, and the provider goes on.
    "iam:GetUser": "the provider's account-id probe (falls back to sts:GetCallerIdentity)",
}


# Operations whose action has no resource-level permissions: a policy grants them on "*" (Service
# Authorization Reference, each service's actions table: no resource type listed).
UNSCOPED = {
    "ecr": {"GetAuthorizationToken"},
    "kms": {"ListAliases", "CreateKey", "ListKeys"},
    "logs": {"DescribeLogGroups", "DescribeQueryDefinitions", "DescribeResourcePolicies"},
    "cloudwatch": {"GetMetricData", "GetMetricStatistics", "ListMetrics"},
    "lambda": {"GetAccountSettings", "ListFunctions"},
    "sqs": {"ListQueues"},
}


def requests(call: Call, where: Where) -> list[Request]:
    handler = HANDLERS.get(call.service)
    if handler is None:
        raise Unmapped(f"{call.name}: no mapping for service {call.service}")
    if call.operation in UNSCOPED.get(call.service, ()):
        return [_req(f"{call.service}:{call.operation}", "*", where)]
    return list(handler(call, where))


def _arn(service: str, where: Where, resource: str, region: bool = True, account: str | None = None) -> str:
    return f"arn:aws:{service}:{where.region if region else ''}:{where.account if account is None else account}:{resource}"


def _req(action: str, resource: str, where: Where, account: str | None = None, **context: Any) -> Request:
    return Request(action, resource, account or where.account, context)


def _ecr(call: Call, where: Where) -> Iterator[Request]:
    action = f"ecr:{call.operation}"
    account = call.params.get("registryId") or where.account
    names = call.params.get("repositoryNames") or [call.params.get("repositoryName")]
    if call.operation in ("ListTagsForResource", "TagResource", "UntagResource"):
        arn = call.params["resourceArn"]
        yield _req(action, arn, where, arn.split(":")[4])
        return
    for name in names:
        if not name:
            raise Unmapped(f"{call.name}: no repository named")
        yield _req(action, _arn("ecr", where, f"repository/{name}", account=account), where, account)


def _iam(call: Call, where: Where) -> Iterator[Request]:
    action, params = f"iam:{call.operation}", call.params
    if "RoleName" in params:
        resource = _arn("iam", where, f"role/{params['RoleName']}", region=False)
        context: dict[str, Any] = {}
        if call.operation == "CreateRole" or call.operation == "PutRolePermissionsBoundary":
            if params.get("PermissionsBoundary"):
                context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
        elif call.operation in ("PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy"):
            boundary = where.role_boundary(params["RoleName"])
            if boundary:
                context["iam:PermissionsBoundary"] = boundary
        yield _req(action, resource, where, **context)
    elif "PolicyArn" in params:
        yield _req(action, params["PolicyArn"], where)
    elif "OpenIDConnectProviderArn" in params:
        yield _req(action, params["OpenIDConnectProviderArn"], where)
    elif call.operation == "CreateOpenIDConnectProvider":
        host = urllib.parse.urlsplit(params["Url"]).netloc
        yield _req(action, _arn("iam", where, f"oidc-provider/{host}", region=False), where)
    elif call.operation == "CreatePolicy":
        yield _req(action, _arn("iam", where, f"policy/{params['PolicyName']}", region=False), where)
    else:
        raise Unmapped(f"{call.name}: no resource parameter known")


def _sts(call: Call, where: Where) -> Iterator[Request]:
    raise Unmapped(f"{call.name}: judged by the rehearsal itself (trust policies)")


def _kms(call: Call, where: Where) -> Iterator[Request]:
    action, params = f"kms:{call.operation}", call.params
    if call.operation in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        yield _req(action, _arn("kms", where, params["AliasName"]), where)
        if params.get("TargetKeyId"):
            yield _req(action, where.key_arn(params["TargetKeyId"]), where)
        return
    if "KeyId" not in params:
        raise Unmapped(f"{call.name}: no KeyId")
    yield _req(action, where.key_arn(params["KeyId"]), where)


def _logs(call: Call, where: Where) -> Iterator[Request]:
    action, params = f"logs:{call.operation}", call.params
    if "logGroupName" in params:
        yield _req(action, _arn("logs", where, f"log-group:{params['logGroupName']}"), where)
    elif "resourceArn" in params:
        yield _req(action, params["resourceArn"].removesuffix(":*"), where)
    else:
        raise Unmapped(f"{call.name}: no log group named")


def _cloudwatch(call: Call, where: Where) -> Iterator[Request]:
    action, params = f"cloudwatch:{call.operation}", call.params
    names = [v for k, v in params.items() if re.fullmatch(r"AlarmNames(\.member\.\d+)?", k)]
    names = [n for value in names for n in ([value] if isinstance(value, str) else value)]
    if "AlarmName" in params:
        names.append(params["AlarmName"])
    if names:
        for name in names:
            yield _req(action, _arn("cloudwatch", where, f"alarm:{name}"), where)
    elif "DashboardName" in params or any(k.startswith("DashboardNames") for k in params):
        for key, name in params.items():
            if key.startswith("DashboardName"):
                yield _req(action, _arn("cloudwatch", where, f"dashboard/{name}", region=False), where)
    elif "ResourceARN" in params:
        yield _req(action, params["ResourceARN"], where)
    else:
        raise Unmapped(f"{call.name}: no alarm or dashboard named")


def _sns(call: Call, where: Where) -> Iterator[Request]:
    action, params = f"sns:{call.operation}", call.params
    if "TopicArn" in params:
        yield _req(action, params["TopicArn"], where)
    elif "SubscriptionArn" in params:  # a subscription is authorised on its topic
        yield _req(action, params["SubscriptionArn"].rsplit(":", 1)[0], where)
    elif "ResourceArn" in params:
        yield _req(action, params["ResourceArn"], where)
    elif call.operation == "CreateTopic":
        yield _req(action, _arn("sns", where, params["Name"]), where)
    else:
        raise Unmapped(f"{call.name}: no topic named")


FUNCTION = re.compile(r"/functions/([^/]+)")
# SDK operation names whose IAM action is named otherwise (Service Authorization Reference, AWS Lambda).
LAMBDA_ACTIONS = {"Invoke": "lambda:InvokeFunction"}


def _lambda(call: Call, where: Where) -> Iterator[Request]:
    action, params = LAMBDA_ACTIONS.get(call.operation, f"lambda:{call.operation}"), call.params
    if call.operation in ("ListTags", "TagResource", "UntagResource") and "/tags/" in call.path:
        arn = call.path.split("/tags/", 1)[1]
        yield _req(action, arn, where)
        return
    name = params.get("FunctionName") or (m.group(1) if (m := FUNCTION.search(call.path)) else None)
    if not name:
        raise Unmapped(f"{call.name}: no function named")
    # A name, `name:qualifier`, or a (partial) ARN `...:function:name[:qualifier]`.
    name, _, embedded = name.split(":function:", 1)[-1].partition(":")
    qualifier = params.get("Qualifier") or call.query.get("Qualifier") or embedded
    # A call on a version or alias is authorised on its qualified ARN (AWS Lambda developer guide,
    # "Fine-tuning the Resources and Conditions sections of policies": actions on a function "can be
    # restricted to a specific function by function, version, or alias ARN").
    resource = f"function:{name}:{qualifier}" if qualifier else f"function:{name}"
    yield _req(action, _arn("lambda", where, resource), where)
    role = params.get("Role")
    if call.operation in ("CreateFunction", "UpdateFunctionConfiguration") and role:
        # Giving the function a role is iam:PassRole on it (IAM user guide, "Granting a user
        # permissions to pass a role to an AWS service").
        yield _req("iam:PassRole", role, where, **{"iam:PassedToService": "lambda.amazonaws.com"})


def _apigateway(call: Call, where: Where) -> Iterator[Request]:
    # API Gateway authorises by HTTP method on the resource path (API Gateway developer guide,
    # "Control access for managing an API": apigateway:GET, ... on arn:aws:apigateway:REGION::/apis/...).
    path = call.path.removeprefix("/v2")
    if not call.method or not path.startswith(("/apis", "/tags")):
        raise Unmapped(f"{call.name}: unexpected path {call.path!r}")
    yield _req(f"apigateway:{call.method.upper()}", f"arn:aws:apigateway:{where.region}::{path}", where)


def _sqs(call: Call, where: Where) -> Iterator[Request]:
    action, params = f"sqs:{call.operation}", call.params
    if "QueueUrl" in params:  # https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
        account, name = urllib.parse.urlsplit(params["QueueUrl"]).path.strip("/").split("/")[-2:]
        yield _req(action, _arn("sqs", where, name, account=account), where, account)
    elif "QueueName" in params:
        yield _req(action, _arn("sqs", where, params["QueueName"]), where)
        if call.operation == "CreateQueue" and params.get("tags"):
            # Tagging a queue on creation takes sqs:TagQueue as well (SQS API reference, CreateQueue:
            # `tags`).
            yield _req("sqs:TagQueue", _arn("sqs", where, params["QueueName"]), where)
    else:
        raise Unmapped(f"{call.name}: no queue named")


S3_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "DeleteObject": "s3:DeleteObject",
    "HeadBucket": "s3:ListBucket",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
}


def _s3(call: Call, where: Where) -> Iterator[Request]:
    action = S3_ACTIONS.get(call.operation)
    if action is None:
        raise Unmapped(f"{call.name}: no S3 action known for it")
    bucket = call.params.get("Bucket") or call.path.lstrip("/").split("/", 1)[0]
    key = call.params.get("Key") or [*call.path.lstrip("/").split("/", 1), ""][1]
    # The state bucket only takes TLS requests; Terraform and boto3 use https on AWS.
    context: dict[str, Any] = {"aws:SecureTransport": "true"}
    if action == "s3:ListBucket":
        context["s3:prefix"] = call.params.get("Prefix") or call.query.get("prefix", "")
        yield _req(action, f"arn:aws:s3:::{bucket}", where, **context)
    elif key and action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        yield _req(action, f"arn:aws:s3:::{bucket}/{key}", where, **context)
    else:
        yield _req(action, f"arn:aws:s3:::{bucket}", where, **context)


HANDLERS: dict[str, Callable[[Call, Where], Iterator[Request]]] = {
    "ecr": _ecr,
    "iam": _iam,
    "sts": _sts,
    "kms": _kms,
    "logs": _logs,
    "cloudwatch": _cloudwatch,
    "sns": _sns,
    "lambda": _lambda,
    "apigatewayv2": _apigateway,
    "sqs": _sqs,
    "s3": _s3,
}
