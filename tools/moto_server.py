"""`python -m tools.moto_server`: moto's server, plus the one read-only API this project needs that
moto does not have, Lambda's GetAccountSettings (`GET /2016-08-19/account-settings/`), which `ops
preflight` and the rehearsal read the account's concurrency from.

The limit is AWS's default for an account in good standing (1000) unless MOTO_LAMBDA_CONCURRENCY_QUOTA
says otherwise (the variable moto itself reads to refuse reservations that leave less than 100); the
unreserved part is the limit minus every reservation in the account and region, as AWS computes it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from moto import server
from moto.awslambda import urls
from moto.awslambda.responses import LambdaResponse

DEFAULT_LIMIT = 1000


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

if __name__ == "__main__":
    server.main(sys.argv[1:])
