"""tools/rehearse/iam.py against the cases of the IAM user guide's "Policy evaluation logic",
"Cross-account policy evaluation logic", "Condition operators" and KMS's "Key policies"."""

from __future__ import annotations

from typing import Any

import pytest

from tools.rehearse import iam

ROLE = "arn:aws:iam::222222222222:role/deploy"
REPO = "arn:aws:ecr:us-east-1:111111111111:repository/app"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def role(*identity: dict[str, Any], boundary: dict[str, Any] | None = None) -> iam.Principal:
    return iam.Principal("deploy role", ROLE, "222222222222", identity=identity, boundary=boundary)


def test_same_account_identity_policy_allows_and_explicit_deny_wins() -> None:
    own = "arn:aws:lambda:us-east-1:222222222222:function:app"
    principal = role(policy(allow("lambda:*", own)))
    assert iam.evaluate(principal, iam.Request("lambda:UpdateAlias", own, "222222222222")).allowed
    denied = role(
        policy(
            allow("lambda:*", own),
            {"Effect": "Deny", "Sid": "No", "Action": "lambda:Update*", "Resource": "*"},
        )
    )
    decision = iam.evaluate(denied, iam.Request("lambda:UpdateAlias", own, "222222222222"))
    assert decision == iam.Decision(False, "explicitly denied by statement No (identity policy)")


def test_actions_match_case_insensitively_and_resources_exactly() -> None:
    principal = role(
        policy(allow("LAMBDA:getfunction", "arn:aws:lambda:us-east-1:222222222222:function:App"))
    )
    assert iam.evaluate(
        principal,
        iam.Request(
            "lambda:GetFunction", "arn:aws:lambda:us-east-1:222222222222:function:App", "222222222222"
        ),
    ).allowed
    assert not iam.evaluate(
        principal,
        iam.Request(
            "lambda:GetFunction", "arn:aws:lambda:us-east-1:222222222222:function:app", "222222222222"
        ),
    ).allowed


def test_a_boundary_limits_what_identity_policies_allow() -> None:
    key = "arn:aws:kms:us-east-1:222222222222:key/other"
    principal = role(
        policy(allow("kms:Decrypt")),
        boundary=policy(allow("kms:Decrypt", "arn:aws:kms:us-east-1:222222222222:key/stack")),
    )
    decision = iam.evaluate(principal, iam.Request("kms:Decrypt", key, "222222222222"))
    assert decision == iam.Decision(False, "no statement allows it (permissions boundary)")


def test_across_accounts_both_the_identity_and_the_resource_policy_must_allow() -> None:
    repository = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "ecr:BatchGetImage",
        }
    )
    request = iam.Request("ecr:BatchGetImage", REPO, "111111111111")
    only_resource = iam.evaluate(
        role(policy(allow("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:222222222222:repository/*"))),
        request,
        repository,
        "repository policy",
    )
    assert only_resource == iam.Decision(False, "no statement allows it (identity policy)")
    only_identity = iam.evaluate(
        role(policy(allow("ecr:BatchGetImage", REPO))), request, policy(), "repository policy"
    )
    assert only_identity == iam.Decision(False, "no statement allows it (repository policy)")
    assert iam.evaluate(
        role(policy(allow("ecr:BatchGetImage", REPO))), request, repository, "repository policy"
    ).allowed


def test_a_service_principal_is_judged_by_the_resource_policy_and_its_conditions() -> None:
    lambda_service = iam.Principal("the Lambda service", "lambda.amazonaws.com", "", kind="Service")
    repository = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": ["ecr:BatchGetImage"],
            "Condition": {
                "StringLike": {"aws:sourceArn": ["arn:aws:lambda:us-east-1:111111111111:function:app-*"]}
            },
        }
    )

    def pull(source: str | None) -> bool:
        context = {"aws:SourceArn": source} if source else {}  # condition keys are case-insensitive
        return iam.evaluate(
            lambda_service, iam.Request("ecr:BatchGetImage", REPO, "111111111111", context), repository
        ).allowed

    assert pull("arn:aws:lambda:us-east-1:111111111111:function:app-dev")
    assert not pull("arn:aws:lambda:us-east-1:222222222222:function:app-prod")
    assert not pull(None)  # a missing key fails the condition


def test_kms_key_policies_decide_and_delegate_to_iam_only_through_the_account() -> None:
    key = "arn:aws:kms:us-east-1:222222222222:key/k"
    request = iam.Request("kms:PutKeyPolicy", key, "222222222222")
    delegating = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "kms:*",
            "Resource": key,
        }
    )
    assert iam.evaluate(
        role(policy(allow("kms:PutKeyPolicy"))), request, delegating, "key policy", kind="kms"
    ).allowed
    assert not iam.evaluate(
        role(policy(allow("kms:Decrypt"))), request, delegating, "key policy", kind="kms"
    ).allowed
    silent = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            "Action": "kms:Decrypt",
            "Resource": key,
        }
    )
    decision = iam.evaluate(role(policy(allow("kms:*"))), request, silent, "key policy", kind="kms")
    assert decision == iam.Decision(False, "no statement allows it (key policy)")
    direct = policy(
        {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:PutKeyPolicy", "Resource": key}
    )
    assert iam.evaluate(role(), request, direct, "key policy", kind="kms").allowed


def test_trust_policies_alone_decide_web_identity() -> None:
    provider = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    "token.actions.githubusercontent.com:sub": ["repo:o/r:environment:prod"],
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                }
            },
        }
    )
    token = iam.Principal("token", provider, "222222222222", kind="Federated")

    def assume(sub: str) -> bool:
        context = {
            "token.actions.githubusercontent.com:sub": sub,
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        }
        return iam.evaluate(
            token,
            iam.Request("sts:AssumeRoleWithWebIdentity", ROLE, "222222222222", context),
            trust,
            "trust policy",
            kind="trust",
        ).allowed

    assert assume("repo:o/r:environment:prod")
    assert not assume("repo:o/r:environment:dev")
    other = iam.Principal(
        "token", provider.replace("222222222222", "111111111111"), "111111111111", kind="Federated"
    )
    request = iam.Request(
        "sts:AssumeRoleWithWebIdentity",
        ROLE,
        "222222222222",
        {
            "token.actions.githubusercontent.com:sub": "repo:o/r:environment:prod",
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        },
    )
    assert not iam.evaluate(other, request, trust, "trust policy", kind="trust").allowed


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
        ({"StringEquals": {"k": "a"}}, {}, False),
        ({"StringNotEquals": {"k": "a"}}, {}, True),
        ({"StringEqualsIfExists": {"k": "a"}}, {}, True),
        ({"StringLike": {"s3:prefix": ["live/dev/*", "env:/*"]}}, {"s3:prefix": "env:/"}, True),
        ({"StringLike": {"s3:prefix": ["live/dev/*"]}}, {"s3:prefix": "live/prod/x"}, False),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:111111111111:function:*"}},
            {"aws:SourceArn": "arn:aws:lambda:us-east-1:111111111111:function:f"},
            True,
        ),
        (
            {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/app-*"}},
            {"kms:ResourceAliases": ["alias/x", "alias/app-stack"]},
            True,
        ),
        (
            {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/app-*"}},
            {"kms:ResourceAliases": ["alias/x"]},
            False,
        ),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Null": {"k": "true"}}, {}, True),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, Any], holds: bool) -> None:
    assert iam.condition_holds(condition, context) is holds


def test_unknown_operators_are_an_error_not_a_match() -> None:
    with pytest.raises(ValueError, match="NumericLessThan"):
        iam.condition_holds({"NumericLessThan": {"k": "3"}}, {"k": "2"})
