"""tools/rehearse/calls.py: Terraform's debug log read back into calls, and calls into IAM requests."""

from __future__ import annotations

import pytest

from tools.rehearse import calls
from tools.rehearse.calls import Call, Unmapped, Where

LOG = """\
2026-12-01T22:09:52.497Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: http.request.header.amz_sdk_request="attempt=1; max=25" http.method=POST rpc.service=ECR http.url=http://localhost:1/ tf_rpc=ApplyResourceChange
  http.request.body=
  | {"imageTagMutability":"IMMUTABLE","repositoryName":"lambda-api-dev"}
   rpc.method=CreateRepository rpc.system=aws-api
2026-12-01T22:09:52.600Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: http.request.header.amz_sdk_request="attempt=2; max=25" rpc.service=ECR rpc.method=CreateRepository
2026-12-01T22:09:53.000Z [DEBUG] provider.terraform-provider-aws_v5.100.0_x5: HTTP Request Sent: rpc.service=KMS rpc.method=PutKeyPolicy http.request.header.amz_sdk_request="attempt=1; max=25"
  http.request.body=
  | {"KeyId":"k-1","Policy":"{\\"Statement\\":[{\\"Action\\":[\\"kms:Upd
  | [truncated...]
   http.url=http://localhost:1/
2026-12-01T22:09:54.000Z [DEBUG] backend-s3: HTTP Request Sent: aws.s3.bucket=b rpc.method=ListObjectsV2 rpc.service=S3 http.method=GET http.url="http://localhost:1/b?list-type=2&prefix=env%3A%2F" http.request.header.amz_sdk_request="attempt=1; max=3"
2026-12-01T22:09:55.000Z [INFO]  provider: plugin exited
"""


def where(account: str = "222222222222") -> Where:
    return Where(
        account,
        "us-east-1",
        lambda key: f"arn:aws:kms:us-east-1:{account}:key/{key}",
        lambda _: "arn:aws:iam::222222222222:policy/b",
    )


def test_the_log_gives_one_call_per_request_retries_left_out() -> None:
    found = calls.terraform_calls(LOG)
    assert [call.name for call in found] == ["ecr:CreateRepository", "kms:PutKeyPolicy", "s3:ListObjectsV2"]
    assert found[0].params == {"imageTagMutability": "IMMUTABLE", "repositoryName": "lambda-api-dev"}
    # A body cut short keeps the fields before the cut, never the cut one, and says so.
    assert found[1].truncated
    assert found[1].params == {"KeyId": "k-1"}
    assert found[2].query == {"list-type": "2", "prefix": "env:/"}


def test_calls_become_the_requests_iam_authorises() -> None:
    ecr = Call("ecr", "BatchGetImage", {"registryId": "111111111111", "repositoryName": "lambda-api-dev"})
    (request,) = calls.requests(ecr, where())
    assert (request.action, request.resource, request.account) == (
        "ecr:BatchGetImage",
        "arn:aws:ecr:us-east-1:111111111111:repository/lambda-api-dev",
        "111111111111",
    )
    create = Call(
        "lambda", "CreateFunction", {"FunctionName": "f", "Role": "arn:aws:iam::222222222222:role/r"}
    )
    assert [(r.action, r.resource, dict(r.context)) for r in calls.requests(create, where())] == [
        ("lambda:CreateFunction", "arn:aws:lambda:us-east-1:222222222222:function:f", {}),
        ("iam:PassRole", "arn:aws:iam::222222222222:role/r", {"iam:PassedToService": "lambda.amazonaws.com"}),
    ]
    alias = Call("lambda", "UpdateAlias", {}, "PUT", "/2015-03-31/functions/f/aliases/live")
    assert calls.requests(alias, where())[0].resource == "arn:aws:lambda:us-east-1:222222222222:function:f"
    # Invoke is authorised as lambda:InvokeFunction; a call on a version or alias on its qualified ARN.
    invoke = Call(
        "lambda",
        "Invoke",
        {"FunctionName": "f", "Qualifier": "3"},
        "POST",
        "/2015-03-31/functions/f/invocations",
    )
    assert [(r.action, r.resource) for r in calls.requests(invoke, where())] == [
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:222222222222:function:f:3")
    ]
    permission = Call(
        "lambda", "AddPermission", {}, "POST", "/2015-03-31/functions/f/policy", {"Qualifier": "live"}
    )
    assert (
        calls.requests(permission, where())[0].resource
        == "arn:aws:lambda:us-east-1:222222222222:function:f:live"
    )
    for named in (
        "f:live",
        "arn:aws:lambda:us-east-1:222222222222:function:f:live",
        "222222222222:function:f:live",
    ):
        by_name = Call("lambda", "GetFunction", {"FunctionName": named})
        assert (
            calls.requests(by_name, where())[0].resource
            == "arn:aws:lambda:us-east-1:222222222222:function:f:live"
        )
    api = Call("apigatewayv2", "CreateRoute", {}, "POST", "/v2/apis/abc/routes")
    assert calls.requests(api, where())[0].action == "apigateway:POST"
    assert calls.requests(api, where())[0].resource == "arn:aws:apigateway:us-east-1::/apis/abc/routes"
    listing = calls.terraform_calls(LOG)[2]
    (request,) = calls.requests(listing, where())
    assert (request.action, request.resource, request.context["s3:prefix"]) == (
        "s3:ListBucket",
        "arn:aws:s3:::b",
        "env:/",
    )
    policy = Call("iam", "PutRolePolicy", {"RoleName": "x", "PolicyName": "p"})
    assert calls.requests(policy, where())[0].context == {
        "iam:PermissionsBoundary": "arn:aws:iam::222222222222:policy/b"
    }
    key = Call("kms", "Decrypt", {"KeyId": "alias/x"})
    assert calls.requests(key, where())[0].resource == "arn:aws:kms:us-east-1:222222222222:key/alias/x"


def test_queue_calls_name_the_queue_tagging_on_creation_too() -> None:
    url = "http://localhost:4566/222222222222/jobs-api-jobs"
    read = Call("sqs", "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})
    assert [(r.action, r.resource) for r in calls.requests(read, where())] == [
        ("sqs:GetQueueAttributes", "arn:aws:sqs:us-east-1:222222222222:jobs-api-jobs")
    ]
    create = Call("sqs", "CreateQueue", {"QueueName": "jobs-api-jobs", "tags": {"environment": "dev"}})
    assert [r.action for r in calls.requests(create, where())] == ["sqs:CreateQueue", "sqs:TagQueue"]
    untagged = Call("sqs", "CreateQueue", {"QueueName": "jobs-api-jobs"})
    assert [r.action for r in calls.requests(untagged, where())] == ["sqs:CreateQueue"]


def test_what_cannot_be_mapped_says_so() -> None:
    with pytest.raises(Unmapped, match="no mapping for service bedrock"):
        calls.requests(Call("bedrock", "InvokeModel"), where())
    with pytest.raises(Unmapped, match="no function named"):
        calls.requests(Call("lambda", "GetFunction"), where())
