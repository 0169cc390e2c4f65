"""app.handler.handler, except that answers for $FAKE_RIE_BREAK_ROUTE carry a wrong body.

tests/image/fake_docker.py runs it under the runtime client to prove that tools/image.sh and
ci.invoke_image fail on a wrong answer.
"""

from __future__ import annotations

import json
import os
from typing import Any

from app.handler import handler as app_handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = app_handler(event, context)
    if event.get("rawPath") == os.environ["FAKE_RIE_BREAK_ROUTE"]:
        result = {**result, "body": json.dumps({"message": "something else"})}
    return result
