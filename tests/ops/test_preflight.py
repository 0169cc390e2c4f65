"""`ops preflight` against moto: every check passing on a ready account, and each one failing on an
account where its precondition was taken away, with the line that says what to do."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import OpsError, preflight
from ops.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.emulator


class Account:
    """A fresh account on the shared emulator, set up as an environment ready for its first deploy."""

    def __init__(self, endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.id = str(uuid.uuid4().int)[:12].rjust(12, "1")
        self.endpoint = endpoint
        sts = boto3.client(
            "sts",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",  # noqa: S106 - moto accepts any credentials
        )
        found = sts.assume_role(RoleArn=f"arn:aws:iam::{self.id}:role/admin", RoleSessionName="preflight")
        credentials = found["Credentials"]
        self.env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        for key, value in self.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("IMAGE_URI", raising=False)
        self.live = Path(shutil.copytree(ROOT / "live", tmp_path / "live"))
        env_hcl = self.live / "dev" / "env.hcl"
        env_hcl.write_text(env_hcl.read_text().replace('"111111111111"', f'"{self.id}"'))

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=self.env["AWS_SESSION_TOKEN"],
        )

    def make_ready(self) -> str:
        """What the bootstrap and the first push leave; returns the pushed image by digest."""
        self.client("s3").create_bucket(Bucket=f"lambda-api-tfstate-{self.id}-us-east-1")
        iam = self.client("iam")
        iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"]
        )
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        for role in ("lambda-api-dev-github-deploy", "lambda-api-dev-github-plan"):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        ecr = self.client("ecr")
        ecr.create_repository(repositoryName="lambda-api-dev")
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "digest": "sha256:" + "c" * 64,
                    "size": 2,
                },
                "layers": [],
            }
        )
        digest = ecr.put_image(repositoryName="lambda-api-dev", imageManifest=manifest, imageTag="abc")[
            "image"
        ]["imageId"]["imageDigest"]
        sns = self.client("sns")
        topic = sns.create_topic(Name="lambda-api-dev-alarms")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="dev-alerts@example.com")
        return f"{self.id}.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@{digest}"

    def checks(self, image: str | None) -> dict[str, preflight.Check]:
        return {check.name: check for check in preflight.run("dev", self.live, image_uri=image)}


@pytest.fixture
def account(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Account:
    return Account(moto_endpoint, tmp_path, monkeypatch)


def test_a_ready_account_passes_every_check(account: Account) -> None:
    image = account.make_ready()
    checks = account.checks(image)
    assert list(checks) == ["account", "state bucket", "CI roles", "image", "concurrency", "alarm topic"]
    assert all(check.ok for check in checks.values()), [c.line() for c in checks.values()]
    assert checks["concurrency"].detail == "reserving 20 leaves 980 of 1000 unreserved"
    assert checks["alarm topic"].detail.startswith("1 confirmed subscription(s)")


def test_the_cli_prints_one_line_per_check_and_exits_0(
    account: Account, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IMAGE_URI", account.make_ready())
    assert main(["preflight", "--env", "dev", "--live-dir", str(account.live)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "preflight dev:"
    assert [line.split()[0] for line in lines[1:]] == ["ok"] * 6


def _wrong_account(account: Account) -> None:
    env_hcl = account.live / "dev" / "env.hcl"
    env_hcl.write_text(env_hcl.read_text().replace(f'"{account.id}"', '"999999999999"'))


def _no_bucket(account: Account) -> None:
    account.client("s3").delete_bucket(Bucket=f"lambda-api-tfstate-{account.id}-us-east-1")


def _no_plan_role(account: Account) -> None:
    account.client("iam").delete_role(RoleName="lambda-api-dev-github-plan")


def _no_concurrency_left(account: Account) -> None:
    # Another function in the account already reserves 900 of the 1000.
    client = account.client("lambda")
    role = account.client("iam").create_role(
        RoleName="other", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    client.create_function(
        FunctionName="other",
        Role=role,
        PackageType="Image",
        Code={"ImageUri": f"{account.id}.dkr.ecr.us-east-1.amazonaws.com/x@sha256:" + "a" * 64},
    )
    client.put_function_concurrency(FunctionName="other", ReservedConcurrentExecutions=900)


def _unconfirmed_topic(account: Account) -> None:
    sns = account.client("sns")
    topic = f"arn:aws:sns:us-east-1:{account.id}:lambda-api-dev-alarms"
    for subscription in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])


# (what is taken away, the check that fails, what its line must say)
FAILURES: list[tuple[Callable[[Account], None], str, str]] = [
    (_wrong_account, "account", "live/dev/env.hcl says 999999999999: use credentials of the dev account"),
    (_no_bucket, "state bucket", "terragrunt apply --working-dir live/dev/github-oidc --backend-bootstrap"),
    (_no_plan_role, "CI roles", "missing: role lambda-api-dev-github-plan"),
    (_no_concurrency_left, "concurrency", "reserving 20 leaves 80 of 1000 unreserved, Lambda keeps 100"),
    (_unconfirmed_topic, "alarm topic", "no confirmed subscription"),
]


@pytest.mark.parametrize(("take_away", "name", "expected"), FAILURES, ids=[f[1] for f in FAILURES])
def test_each_check_fails_when_its_precondition_is_missing(
    account: Account, take_away: Callable[[Account], None], name: str, expected: str
) -> None:
    image = account.make_ready()
    take_away(account)
    checks = account.checks(image)
    assert not checks[name].ok
    assert expected in checks[name].line()
    assert [n for n, c in checks.items() if not c.ok] == [name]  # nothing else fails with it


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("", "nothing to deploy: IMAGE_URI is unset and live/dev/env.hcl pins no image_uri"),
        (
            "{account}.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@sha256:" + "0" * 64,
            "is not in its repository",
        ),
        (
            "{account}.dkr.ecr.us-east-1.amazonaws.com/elsewhere@sha256:" + "0" * 64,
            "repository elsewhere not found",
        ),
        (
            "{account}.dkr.ecr.eu-west-1.amazonaws.com/lambda-api-dev@sha256:" + "0" * 64,
            "Lambda pulls from its own region only",
        ),
        ("{account}.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev:latest", "is not an ECR image by digest"),
    ],
    ids=["unpinned", "not-pushed", "no-repository", "other-region", "by-tag"],
)
def test_the_image_check_fails_for_an_image_lambda_could_not_pull(
    account: Account, image: str, expected: str
) -> None:
    account.make_ready()
    check = account.checks(image.format(account=account.id))["image"]
    assert not check.ok
    assert expected in check.detail


def test_a_failed_check_exits_1_and_bad_input_exits_2(
    account: Account, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    account.make_ready()
    live = ["--live-dir", str(account.live)]
    assert main(["preflight", "--env", "dev", *live]) == 1  # no IMAGE_URI, nothing pinned
    assert "FAIL  image: nothing to deploy" in capsys.readouterr().out
    assert main(["preflight", "--env", "staging", *live]) == 2
    assert capsys.readouterr().err.strip().startswith("ops preflight: error: no environment 'staging'")
    with pytest.raises(OpsError, match=r"no environment '\.\./dev'"):
        preflight.read("../dev", account.live)
