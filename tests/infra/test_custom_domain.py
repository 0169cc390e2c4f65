"""examples/custom-domain applied to moto: the custom domain and the JWT authorizer, which are off in
examples/complete, exist as intended; the function gets the same mapping key and protected routes
and serves both doors; a re-plan is clean but for the named moto gap; destroy leaves nothing.

The tests share one apply (defaults, with the hosted zone `example.com` made first, as a user's
account already has it) and run in file order.

Emulator gaps, and what the test does about each (tools/moto_server.py fills in the first two):
- ACM validation: moto never resolves the validation record; the emulator issues a requested
  certificate as soon as it is described. So the apply shows that the module waits for issuance
  (aws_acm_certificate_validation) before it creates the domain name, and the test checks that the
  zone holds exactly the record ACM asked for. Whether DNS delegation works is for real AWS
  (docs/deployment.md, "Custom domain").
- Domain names: moto does not compute the status, target name or hosted zone of an API Gateway
  domain name; the emulator adds them (status AVAILABLE, us-east-1's real regional zone id).
- Lambda `LoggingConfig` is not kept by moto: tolerated on re-plan exactly as in test_emulator.py.
- `GetAuthorizers` fails in moto (HTTP 500); the authorizer is read by id from the routes instead.
- moto does not route requests through the domain: the app's side is checked by invoking its
  handler with the environment the function got and events shaped as the domain sends them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.events import http_event
from tests.conftest import handle_in_new_interpreter
from tests.infra.example_stack import Example, applied, gone
from tools import emulator

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

# module.api.aws_route53_record.validation["api.example.com"] -> aws_route53_record (data sources excluded)
ADDRESS = re.compile(r"^(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*(?P<type>aws_\w+)\.[\w-]+(?:\[.*\])?$")

NAME = "lambda-api-domain"  # examples/custom-domain's default name
ZONE = "example.com"
DOMAIN = "api.example.com"
REGION = emulator.REGION
# Resource types the modules declare that examples/complete leaves off (its domain and JWT inputs are
# off by default): this example must create each; tests/infra/test_emulator.py counts them as covered.
OFF_BY_DEFAULT_TYPES = {
    "aws_acm_certificate",
    "aws_acm_certificate_validation",
    "aws_route53_record",
    "aws_apigatewayv2_domain_name",
    "aws_apigatewayv2_api_mapping",
    "aws_apigatewayv2_authorizer",
}


@dataclass
class Stack(Example):
    zone_id: str = ""

    def resource_types(self) -> set[str]:
        """Types of the managed resources in the state (`state list`: no provider schema to load)."""
        result = self.tf("state", "list")
        assert result.returncode == 0, result.stdout
        return {match.group("type") for match in map(ADDRESS.match, result.stdout.split()) if match}

    def records(self) -> dict[tuple[str, str], dict[str, Any]]:
        sets = self.client("route53").list_resource_record_sets(HostedZoneId=self.zone_id)
        return {(r["Name"], r["Type"]): r for r in sets["ResourceRecordSets"]}


@pytest.fixture(scope="module")
def stack(
    tf_workspace: Path, tf_env: dict[str, str], moto_endpoint: str, terraform_bin: str
) -> Iterator[Stack]:
    example = Stack.on_emulator(tf_workspace, "custom-domain", NAME, tf_env, moto_endpoint, terraform_bin)
    zone = example.client("route53").create_hosted_zone(Name=ZONE, CallerReference=f"{NAME}-tests")
    example.zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    yield from applied(example)
    example.client("route53").delete_hosted_zone(Id=example.zone_id)


def test_outputs_name_both_urls(stack: Stack) -> None:
    out = stack.outputs
    assert out["custom_domain_url"] == f"https://{DOMAIN}/v1"
    assert out["api_url"] == f"https://{out['api_id']}.execute-api.{REGION}.amazonaws.com"
    assert out["protected_route_keys"] == ["GET /hello", "POST /echo"]
    assert out["custom_domain_target"]["target_domain_name"].endswith(f".execute-api.{REGION}.amazonaws.com")
    assert out["certificate_arn"].startswith(f"arn:aws:acm:{REGION}:{emulator.ACCOUNT_ID}:certificate/")


def test_the_certificate_is_requested_in_the_region_and_validated_through_dns(stack: Stack) -> None:
    certificate = stack.client("acm").describe_certificate(CertificateArn=stack.outputs["certificate_arn"])
    certificate = certificate["Certificate"]
    assert certificate["DomainName"] == DOMAIN
    assert certificate["Status"] == "ISSUED"
    (option,) = certificate["DomainValidationOptions"]
    assert option["ValidationMethod"] == "DNS"
    wanted = option["ResourceRecord"]
    record = stack.records()[(wanted["Name"], wanted["Type"])]
    assert [value["Value"] for value in record["ResourceRecords"]] == [wanted["Value"]]


def test_the_domain_name_waits_for_the_issued_certificate(stack: Stack) -> None:
    """The domain name depends on the validation (which waits for ACM), not just on the request."""
    state = json.loads(stack.tf("state", "pull").stdout)
    (domain,) = [
        resource
        for resource in state["resources"]
        if resource["mode"] == "managed" and resource["type"] == "aws_apigatewayv2_domain_name"
    ]
    (instance,) = domain["instances"]
    assert "module.api.aws_acm_certificate_validation.this" in instance["dependencies"]


def test_the_domain_is_regional_tls_1_2_mapped_at_the_key_and_aliased(stack: Stack) -> None:
    api_gw = stack.client("apigatewayv2")
    (configuration,) = api_gw.get_domain_name(DomainName=DOMAIN)["DomainNameConfigurations"]
    assert configuration["EndpointType"] == "REGIONAL"
    assert configuration["SecurityPolicy"] == "TLS_1_2"
    assert configuration["CertificateArn"] == stack.outputs["certificate_arn"]

    (mapping,) = api_gw.get_api_mappings(DomainName=DOMAIN)["Items"]
    assert (mapping["ApiId"], mapping["Stage"], mapping["ApiMappingKey"]) == (
        stack.outputs["api_id"],
        "$default",
        "v1",
    )

    alias = stack.records()[(f"{DOMAIN}.", "A")]["AliasTarget"]
    assert alias["DNSName"] == configuration["ApiGatewayDomainName"]
    assert alias["HostedZoneId"] == configuration["HostedZoneId"]
    assert alias["EvaluateTargetHealth"] is False


def test_the_jwt_authorizer_protects_the_listed_routes_only(stack: Stack) -> None:
    api_gw = stack.client("apigatewayv2")
    api_id = stack.outputs["api_id"]
    routes = {route["RouteKey"]: route for route in api_gw.get_routes(ApiId=api_id)["Items"]}
    protected = {key for key, route in routes.items() if route.get("AuthorizationType") == "JWT"}
    assert protected == {"GET /hello", "POST /echo"}
    # Everything else, /health and /openapi.json among it, reaches the function through $default.
    assert set(routes) == {"$default", *protected}
    assert routes["$default"].get("AuthorizationType", "NONE") == "NONE"
    (authorizer_id,) = {routes[key]["AuthorizerId"] for key in protected}
    authorizer = api_gw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"] == {
        "Issuer": "https://auth.example.com/",
        "Audience": ["lambda-api"],
    }


def test_the_function_gets_the_same_values_and_serves_both_doors(stack: Stack) -> None:
    """The mapping key and protected routes reach the app from the same example variables."""
    environment = stack.client("lambda").get_function_configuration(FunctionName=NAME)["Environment"]
    variables = environment["Variables"]
    assert variables["BASE_PATH"] == "/v1"
    assert variables["PROTECTED_ROUTES"] == "GET /hello,POST /echo"

    (mapping,) = stack.client("apigatewayv2").get_api_mappings(DomainName=DOMAIN)["Items"]
    key = mapping["ApiMappingKey"]
    claims = {"sub": "user-1"}
    events = [
        http_event("GET", f"/{key}/health", domain_name=DOMAIN, route_key="GET /health"),
        http_event("GET", f"/{key}/hello", domain_name=DOMAIN, route_key="GET /hello", claims=claims),
        http_event("GET", f"/{key}/hello", domain_name=DOMAIN, route_key="GET /hello"),
        http_event(
            "GET", "/hello", domain_name=stack.outputs["api_url"][8:], route_key="GET /hello", claims=claims
        ),
    ]
    results, _ = handle_in_new_interpreter(events, {**variables, "AWS_LAMBDA_FUNCTION_NAME": NAME})
    assert [result["statusCode"] for result in results] == [200, 200, 401, 200]


def test_ops_smoke_with_a_token_passes_through_the_local_stack_gateway(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `make up EXAMPLE=custom-domain` serves: the gateway with the settings read back from the
    emulator (mapping key, protected routes, issuer, audience) and the function's environment."""
    from ops.cli import main as ops
    from tests.conftest import serve, stop
    from tools.gateway import local_token
    from tools.stack import gateway_settings

    environment, arguments, front_door = gateway_settings(stack.endpoint, stack.outputs)
    assert front_door == {
        "mapping_key": "v1",
        "protected_routes": ["GET /hello", "POST /echo"],
        "jwt_issuer": "https://auth.example.com/",
        "jwt_audience": "lambda-api",
    }
    server = serve(["-m", "tools.gateway", *arguments], tmp_path / "gateway.log", environment)
    try:
        monkeypatch.setenv("SMOKE_TOKEN", local_token(front_door["jwt_issuer"], front_door["jwt_audience"]))
        assert ops(["smoke", "--base-url", f"{server.url}/v1", "--warmup", "5"]) == 0
        monkeypatch.delenv("SMOKE_TOKEN")
        assert ops(["smoke", "--base-url", f"{server.url}/v1", "--warmup", "0"]) == 1  # hello needs a token
    finally:
        stop(server)


def test_every_type_left_off_by_default_is_created(stack: Stack) -> None:
    created = stack.resource_types()
    assert created >= OFF_BY_DEFAULT_TYPES, OFF_BY_DEFAULT_TYPES - created


def test_second_plan_shows_no_changes_but_the_named_moto_gap(stack: Stack) -> None:
    stack.assert_only_the_logging_config_gap(stack.pending_changes("again.tfplan"))


def test_destroy_leaves_nothing(stack: Stack) -> None:
    stack.destroy()
    assert stack.resource_types() == set()
    assert set(stack.records()) == {(f"{ZONE}.", "NS"), (f"{ZONE}.", "SOA")}, "records left in the zone"
    acm = stack.client("acm")
    assert gone(
        lambda: acm.describe_certificate(CertificateArn=stack.outputs["certificate_arn"]),
        "ResourceNotFoundException",
    )
    api_gw = stack.client("apigatewayv2")
    assert gone(lambda: api_gw.get_domain_name(DomainName=DOMAIN), "NotFoundException")
    assert not [api for api in api_gw.get_apis()["Items"] if api["Name"] == NAME]
