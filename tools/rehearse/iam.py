"""IAM's decision on one request, as AWS documents it, with the reason in one line.

Follows "Policy evaluation logic" in the IAM user guide: an explicit deny in any policy wins; within
an account a request is allowed by the identity policies (limited by a permissions boundary when the
principal has one) or by a resource policy that names the principal; across accounts both the
principal's own policies and the resource's policy must allow it. Two services decide differently and
say so in their guides: a KMS key's policy must allow the request, or delegate to the account (a
statement for `arn:aws:iam::ACCOUNT:root`) before IAM policies count (KMS developer guide, "Key
policies"); a role's trust policy alone decides who may assume it with a web identity (IAM user guide,
"Creating a role for OIDC federation").

Why this module and not a library: PyPI has no maintained evaluator that does conditions. moto's
`IAMPolicyStatement` (moto/iam/access_control.py) evaluates StringEquals only, treats every other
operator and every missing key as a match, and turns an Allow whose condition fails into a deny;
PMapper's engine is AGPL and unreleased since 2022; parliament lints policies without deciding
requests. `@cloud-copilot/iam-simulate` (npm, maintained) would need Node, and in strict mode it drops
the `aud`/`sub` keys of GitHub's tokens, which the Service Authorization Reference does not list. So
this is small, written against the documentation, and tested on its own (tests/live/test_iam.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Context = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a role session (arn, account), or a service / web identity provider."""

    name: str  # how messages name it: "prod deploy role"
    arn: str  # role ARN (arn:aws:iam::ACCOUNT:role/NAME), service principal or provider ARN
    account: str
    kind: str = "AWS"  # AWS, Service or Federated
    identity: tuple[dict[str, Any], ...] = ()  # identity policies (documents)
    boundary: dict[str, Any] | None = None


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    account: str  # the account that owns the resource
    context: Context = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # why not, e.g. "no statement allows it (identity policy)"


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, case: bool) -> bool:
    # IAM wildcards are `*` and `?` only; fnmatch's [...] classes must not apply.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE | re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched separately (IAM condition operators)."""
    parts, values = pattern.split(":", 5), value.split(":", 5)
    return len(parts) == len(values) == 6 and all(
        _wildcard(p, v, True) for p, v in zip(parts, values, strict=True)
    )


def _lookup(context: Context, key: str) -> list[str] | None:
    for name, value in context.items():
        if name.lower() == key.lower():  # condition keys are case-insensitive
            return [str(v) for v in _values(value)]
    return None


def _match(operator: str, policy_value: str, value: str) -> bool:
    base = operator.replace("Not", "", 1) if operator.startswith(("StringNot", "ArnNot")) else operator
    if base == "StringEquals":
        return value == policy_value
    if base == "StringEqualsIgnoreCase":
        return value.lower() == policy_value.lower()
    if base == "StringLike":
        return _wildcard(policy_value, value, True)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_like(policy_value, value)
    if base == "Bool":
        return value.lower() == str(policy_value).lower()
    raise ValueError(f"condition operator {operator} is not supported here")


def condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    """Every operator block, every key in it, must hold (AND); any of a key's values may match (OR)."""
    for raw_operator, keys in condition.items():
        qualifier, _, operator = raw_operator.rpartition(":")
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        negated = operator.startswith(("StringNot", "ArnNot"))
        for key, wanted in keys.items():
            present = _lookup(context, key)
            if operator == "Null":
                if (present is None) != (str(_values(wanted)[0]).lower() == "true"):
                    return False
                continue
            if present is None:
                # A missing key fails a condition, except with IfExists, ForAllValues and the negated
                # operators (IAM user guide, "Condition operators" and "Multivalued context keys").
                if if_exists or qualifier == "ForAllValues" or negated:
                    continue
                return False
            policy_values = [str(v) for v in _values(wanted)]

            def one(value: str, policy_values: list[str] = policy_values, operator: str = operator) -> bool:
                hit = any(_match(operator, policy_value, value) for policy_value in policy_values)
                return not hit if operator.startswith(("StringNot", "ArnNot")) else hit

            if qualifier == "ForAllValues":
                ok = all(one(value) for value in present)
            else:  # ForAnyValue, or a single-valued key
                ok = any(one(value) for value in present)
            if not ok:
                return False
    return True


def _principal_matches(statement: Mapping[str, Any], principal: Principal) -> bool:
    if "NotPrincipal" in statement:
        return not _principal_in(statement["NotPrincipal"], principal)
    return _principal_in(statement.get("Principal"), principal)


def _principal_in(element: Any, principal: Principal) -> bool:
    if element is None:
        return False
    if element == "*":
        return True
    for kind, values in element.items():
        for value in _values(values):
            if value == "*" and kind == "AWS":
                return True
            if kind != principal.kind:
                continue
            if kind == "AWS":
                # An account (id or :root) names every principal of that account; a role ARN its sessions.
                if value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
                    return True
                if value == principal.arn:
                    return True
            elif value == principal.arn:
                return True
    return False


def _names_principal_itself(statement: Mapping[str, Any], principal: Principal) -> bool:
    """The statement names this principal, not only its account (a grant that needs no IAM policy)."""
    element = statement.get("Principal")
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        return False
    return any(
        value == "*" or (value == principal.arn)
        for kind, values in element.items()
        if kind == principal.kind
        for value in _values(values)
    )


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _values(policy.get("Statement", []))


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(_wildcard(a, request.action, False) for a in _values(statement["Action"])):
            return False
    elif any(_wildcard(a, request.action, False) for a in _values(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(_wildcard(r, request.resource, True) for r in _values(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        _wildcard(r, request.resource, True) for r in _values(statement["NotResource"])
    ):
        return False
    return condition_holds(statement.get("Condition", {}), request.context)


@dataclass
class _Verdict:
    allows: list[Mapping[str, Any]]
    denies: list[Mapping[str, Any]]


def _judge(
    policies: Iterable[Mapping[str, Any]], request: Request, principal: Principal | None = None
) -> _Verdict:
    verdict = _Verdict([], [])
    for policy in policies:
        for statement in _statements(policy):
            if principal is not None and not _principal_matches(statement, principal):
                continue
            if _applies(statement, request):
                (verdict.allows if statement.get("Effect") == "Allow" else verdict.denies).append(statement)
    return verdict


def _denied_by(statements: list[Mapping[str, Any]], where: str) -> str:
    sid = statements[0].get("Sid")
    return f"explicitly denied{f' by statement {sid}' if sid else ''} ({where})"


def evaluate(
    principal: Principal,
    request: Request,
    resource_policy: Mapping[str, Any] | None = None,
    resource_policy_name: str = "resource policy",
    kind: str = "",
) -> Decision:
    """IAM's decision. `kind` is "kms" for a KMS key (its policy is resource_policy) and "trust" for
    a role's trust policy; anything else follows the general logic."""
    identity = _judge(principal.identity, request) if principal.kind == "AWS" else _Verdict([], [])
    boundary = _judge([principal.boundary], request) if principal.boundary else None
    resource = _judge([resource_policy], request, principal) if resource_policy else _Verdict([], [])

    if identity.denies:
        return Decision(False, _denied_by(identity.denies, "identity policy"))
    if boundary and boundary.denies:
        return Decision(False, _denied_by(boundary.denies, "permissions boundary"))
    if resource.denies:
        return Decision(False, _denied_by(resource.denies, resource_policy_name))

    if kind == "trust":
        if resource.allows:
            return Decision(True)
        return Decision(False, f"no statement allows it ({resource_policy_name})")

    identity_ok = bool(identity.allows) and (boundary is None or bool(boundary.allows))
    if principal.kind == "AWS" and identity.allows and boundary is not None and not boundary.allows:
        identity_reason = "no statement allows it (permissions boundary)"
    else:
        identity_reason = "no statement allows it (identity policy)"
    direct = any(_names_principal_itself(s, principal) for s in resource.allows)

    if kind == "kms":
        # The key policy decides; IAM policies count only where it delegates to the account.
        if direct and principal.boundary is None:
            return Decision(True)
        delegates = bool(resource.allows)
        if not delegates:
            return Decision(False, f"no statement allows it ({resource_policy_name})")
        return Decision(True) if identity_ok else Decision(False, identity_reason)

    if principal.kind != "AWS":  # a service principal: only the resource policy can grant it
        if resource.allows:
            return Decision(True)
        return Decision(False, f"no statement allows it ({resource_policy_name})")

    if request.account == principal.account:
        if identity_ok or (direct and principal.boundary is None):
            return Decision(True)
        return Decision(False, identity_reason)
    # Across accounts: both sides must allow.
    if not identity_ok:
        return Decision(False, identity_reason)
    if not resource.allows:
        return Decision(False, f"no statement allows it ({resource_policy_name})")
    return Decision(True)


def message(principal: Principal, request: Request, decision: Decision) -> str:
    return f"{principal.name} may not {request.action} on {request.resource}: {decision.reason}"
