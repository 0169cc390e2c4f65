"""`python -m tools.moto_server`: moto's server with the gaps this project meets filled, each as AWS
documents the behaviour (tools/emulator.py starts it for the tests and the local stack):

- Lambda's GetAccountSettings (`GET /2016-08-19/account-settings/`), which moto lacks and which `ops
  preflight` and the rehearsal read the account's concurrency from. The limit is AWS's default for an
  account in good standing (1000) unless MOTO_LAMBDA_CONCURRENCY_QUOTA says otherwise (the variable
  moto itself reads to refuse reservations that leave less than 100); the unreserved part is the
  limit minus every reservation in the account and region, as AWS computes it.
- An API Gateway v2 domain name gets what AWS computes for it: its status (the AWS provider waits
  for AVAILABLE) and the regional target name and Route 53 hosted zone its alias record points at;
  and no mutual TLS block when none was asked for. moto only echoes the request back.
- ACM issues a requested certificate as soon as it is described (moto's MOTO_ACM_VALIDATION_WAIT,
  default 60 s, set to 0): moto never resolves the validation record, so waiting proves nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

from moto import settings
from moto.awslambda import urls
from moto.awslambda.responses import LambdaResponse

DEFAULT_LIMIT = 1000
# Route 53 hosted zones of API Gateway's regional endpoints ("Amazon API Gateway endpoints and
# quotas", AWS General Reference); other regions get a stand-in.
REGIONAL_API_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "eu-west-1": "ZLY8HYME6SFDD",
}


def get_account_settings(self: LambdaResponse) -> tuple[int, dict[str, str], str]:
    limit = int(os.environ.get("MOTO_LAMBDA_CONCURRENCY_QUOTA", DEFAULT_LIMIT))
    functions = list(self.backend.list_functions())
    reserved = sum(int(fn.reserved_concurrency or 0) for fn in functions)
    settings: dict[str, Any] = {
        "AccountLimit": {
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": limit - reserved,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "TotalCodeSize": 80530636800,
        },
        "AccountUsage": {"FunctionCount": len(functions), "TotalCodeSize": 0},
    }
    return 200, {}, json.dumps(settings)


LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]
urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = LambdaResponse.dispatch


def _complete_domain_names() -> None:
    """Add to moto's API Gateway v2 domain names the fields AWS computes (see the module docstring)."""
    from moto.apigatewayv2.models import DomainName

    plain = DomainName.to_json

    def to_json(self: DomainName) -> dict[str, Any]:
        data = plain(self)
        if not data.get("mutualTlsAuthentication"):
            data.pop("mutualTlsAuthentication", None)  # AWS leaves it out; moto says {}, a diff forever
        region = self.domain_name_arn.split(":")[3]
        target = "d-" + hashlib.sha256(self.domain_name.encode()).hexdigest()[:10]
        for configuration in data.get("domainNameConfigurations") or []:
            configuration.setdefault("domainNameStatus", "AVAILABLE")
            configuration.setdefault("apiGatewayDomainName", f"{target}.execute-api.{region}.amazonaws.com")
            configuration.setdefault("hostedZoneId", REGIONAL_API_ZONES.get(region, "ZEMULATEDAPIGW"))
        return data

    DomainName.to_json = to_json  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    # Read by moto.settings when it is first imported (above), so set on the module itself.
    settings.ACM_VALIDATION_WAIT = int(os.environ.get("MOTO_ACM_VALIDATION_WAIT", "0"))
    _complete_domain_names()
    from moto.server import main as serve

    serve(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
