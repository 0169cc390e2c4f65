"""Every Checkov skip in modules/ and examples/ is inline, with a reason, and expected.

Checkov itself runs over the whole repository with the pipeline's flags in tests/ci/test_scan.py
(`make scan`), which also shows that a copy with encryption removed fails the gate.
"""

from __future__ import annotations

import re

from tests.infra.conftest import ROOT

# Each skip and the reason it holds for this architecture; a new skip must be added here on purpose.
EXPECTED_SKIPS = {
    ("lambda", "CKV_AWS_272"),  # code signing: .zip only, not container images
    ("lambda", "CKV_AWS_116"),  # DLQ: asynchronous invocations only; API Gateway is synchronous
    ("lambda", "CKV_AWS_117"),  # VPC: the app reaches no private resources
    ("api-gateway", "CKV_AWS_309"),  # public API by default; authorization_type is an input
    # A key policy's Resource "*" is the key itself; Checkov reads it as an identity policy.
    ("kms-key", "CKV_AWS_109"),  # account root keeps key administration (PutKeyPolicy, CreateGrant)
    ("kms-key", "CKV_AWS_111"),  # write access: account root and the listed service principals only
    ("kms-key", "CKV_AWS_356"),  # "*" is the only valid resource in a key policy
}
SKIP = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def test_every_skip_is_inline_with_a_reason() -> None:
    found = set()
    for path in sorted((ROOT / "modules").rglob("*.tf")) + sorted((ROOT / "examples").rglob("*.tf")):
        for match in SKIP.finditer(path.read_text()):
            reason = (match.group("reason") or "").strip()
            assert len(reason) >= 40, f"{path}: {match.group('check')} skipped without a real reason"
            found.add((path.parent.name, match.group("check")))
    assert found == EXPECTED_SKIPS
