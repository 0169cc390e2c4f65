"""modules/ecr's lifecycle policy, as applied, run over a simulated push history with the evaluation
rules AWS documents (tests/infra/ecr_lifecycle.py): no digest an environment pins, and none `ops
rollback` can return to, is ever expired, however long prod waits for approval."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from tests.infra.conftest import ROOT, run
from tests.infra.ecr_lifecycle import Image, expired, matches
from tools import emulator

NAME = "lifecycle-check"
# The policy before released images were kept: the newest 30 tagged images, untagged after 14 days.
COUNT_ONLY = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": 30,
            },
            "action": {"type": "expire"},
        },
    ]
}


@pytest.fixture(scope="module")
def policy(
    tf_env: dict[str, str], moto_endpoint: str, terraform_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The module applied to the emulator with its defaults, and its lifecycle policy read back."""
    module = tmp_path_factory.mktemp("ecr") / "ecr"
    shutil.copytree(ROOT / "modules" / "ecr", module, ignore=shutil.ignore_patterns(".terraform*", "tests"))
    (module / "provider.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n  skip_credentials_validation = true\n'
        "  skip_metadata_api_check = true\n}\n"
    )
    env = emulator.aws_env(moto_endpoint, tf_env)
    for argv in (["init", "-input=false"], ["apply", "-input=false", "-auto-approve", f"-var=name={NAME}"]):
        done = run([terraform_bin, *argv, "-no-color"], module, env)
        assert done.returncode == 0, done.stdout
    ecr = emulator.client(moto_endpoint, "ecr")
    return dict(json.loads(ecr.get_lifecycle_policy(repositoryName=NAME)["lifecyclePolicyText"]))


def history(days: int = 60) -> tuple[list[Image], set[str], str, str]:
    """One merge a day. The build pushes `<sha>`; an image that passes its checks also gets
    `release-<sha>` (the same digest, two tags) and is deployed to dev; every seventh fails its
    checks and is never released. Now and then a push leaves an untagged image. prod pins the image
    of day 2 and waits for approval for the rest of the history; its previous version ran day 0's."""
    images: list[Image] = []
    released: set[str] = set()
    for day in range(days):
        digest = f"sha256:{day:064x}"
        tags = {f"{day:07x}"}
        if day % 7 != 3:
            tags.add(f"release-{day:07x}")
            released.add(digest)
        images.append(Image(digest, day, frozenset(tags)))
        if day % 5 == 0:
            images.append(Image(f"sha256:{1000 + day:064x}", day + 0.5))
    return images, released, f"sha256:{2:064x}", f"sha256:{0:064x}"


def test_the_policy_applied_is_the_modules(policy: dict[str, Any]) -> None:
    assert [rule["selection"]["tagStatus"] for rule in policy["rules"]] == ["tagged", "untagged", "tagged"]
    assert policy["rules"][0]["selection"]["tagPatternList"] == ["release-*"]


def test_no_released_digest_ever_expires(policy: dict[str, Any]) -> None:
    images, released, prod_pin, prod_rollback = history()
    gone = expired(policy, images, now=60)
    assert not gone & released, sorted(gone & released)
    assert prod_pin not in gone
    assert prod_rollback not in gone
    # What it does expire: builds that were never released, beyond the newest 30 tagged (released ones
    # count towards the 30), and untagged images older than 14 days.
    unreleased = {i.digest for i in images if i.tags and i.digest not in released}
    assert gone & unreleased == {f"sha256:{day:064x}" for day in (3, 10, 17, 24)}
    untagged = {i.digest for i in images if not i.tags and 60 - i.pushed > 14}
    assert untagged <= gone


def test_the_count_only_policy_expired_what_prod_runs() -> None:
    """The check can fail: the previous policy, over the same history, expires prod's pinned image
    and its rollback target while prod waits for approval."""
    images, _, prod_pin, prod_rollback = history()
    gone = expired(COUNT_ONLY, images, now=60)
    assert {prod_pin, prod_rollback} <= gone


def test_the_evaluation_follows_the_documented_rules() -> None:
    both = Image("sha256:a", 1, frozenset({"abc", "release-abc"}))
    one = Image("sha256:b", 2, frozenset({"abc2"}))
    # tagPatternList: every pattern must match one of the image's tags.
    assert matches({"tagStatus": "tagged", "tagPatternList": ["release-*", "abc"]}, both)
    assert not matches({"tagStatus": "tagged", "tagPatternList": ["release-*", "abc"]}, one)
    assert not matches({"tagStatus": "untagged"}, one)
    keep_released = {
        "rulePriority": 1,
        "selection": {
            "tagStatus": "tagged",
            "tagPatternList": ["release-*"],
            "countType": "imageCountMoreThan",
            "countNumber": 9999,
        },
    }
    keep_one = {
        "rulePriority": 2,
        "selection": {
            "tagStatus": "tagged",
            "tagPatternList": ["*"],
            "countType": "imageCountMoreThan",
            "countNumber": 1,
        },
    }
    # The released image is older and would be counted out by rule 2, but rule 1 matched it first.
    assert expired({"rules": [keep_released, keep_one]}, [both, one], now=3) == set()
    assert expired({"rules": [keep_one]}, [both, one], now=3) == {"sha256:a"}
    # Lower rules still count protected images: with one newer released image, `one` is second.
    newer = Image("sha256:c", 3, frozenset({"release-c"}))
    assert expired({"rules": [keep_released, keep_one]}, [both, one, newer], now=4) == {"sha256:b"}
