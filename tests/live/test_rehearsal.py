"""live/dev applied to the emulator the way `terragrunt run --all apply` would apply it.

Terragrunt is not installed here, so this does its work with plain Terraform, unit by unit: the unit's
configuration is evaluated as Terragrunt evaluates it (tests/live/terragrunt.py, with AWS_ENDPOINT_URL,
IMAGE_URI and APP_VERSION set as in the rehearsal of live/README.md), the module is copied as
Terragrunt copies `modules//<unit>` into its cache, the generated provider.tf and backend.tf are
written, the inputs are passed as TF_VAR_ variables (null ones in a .auto.tfvars.json file), and
dependency outputs come from `terraform output -json` of the units applied before.

Order: what a pull request's `run --all plan` does on an empty environment (the units that read other
units' outputs, planned on their mocks) alongside the administrator's first applies (github-oidc,
excluded from `run --all apply`, and ecr), then the others applied in dependency order. Not reproduced: `--backend-bootstrap` itself (the bucket is created here
with the same versioning, encryption and public access block; Terragrunt also adds a TLS-only policy)
and Terragrunt's parallelism. moto runs as dev's account so `allowed_account_ids` is enforced, and the
endpoint is `localhost`, where only path-style bucket addressing works.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from ci.stack_outputs import WANTED
from tests.live import terragrunt as tg
from tests.live.conftest import ROOT
from tools import emulator
from tools.terraform import LOCK_FILE

pytestmark = [pytest.mark.emulator, pytest.mark.terraform]

DEV = ROOT / "live" / "dev"
ACCOUNT = tg.static_string(tg.parse(DEV / "env.hcl").locals["account_id"])
PROD_ACCOUNT = tg.static_string(tg.parse(ROOT / "live/prod/env.hcl").locals["account_id"])
REGION = tg.static_string(tg.parse(DEV / "env.hcl").locals["region"])
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/lambda-api-dev@sha256:" + "ab" * 32
VERSION = "rehearsal-1"
CI_ROLES = "github-oidc"
APPLY_ORDER = [CI_ROLES, "ecr", "lambda", "api-gateway", "monitoring"]  # the admin step, then run --all
NAME = "lambda-api-dev"
BUCKET = f"lambda-api-tfstate-{ACCOUNT}-{REGION}"


@dataclass
class ProdPlan:
    parent_file: Path
    inputs: dict[str, Any]

    @property
    def parent(self) -> Path:
        return self.parent_file.parent


@dataclass
class Rehearsal:
    endpoint: str
    env: dict[str, str]  # Terraform's environment: CLI config, emulator, plugin cache
    workdir: Path
    outputs: dict[Path, dict[str, Any]] = field(default_factory=dict)  # applied units' outputs
    plans: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    applies: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    modules: dict[str, Path] = field(default_factory=dict)
    prod_plan: subprocess.CompletedProcess[str] | None = None
    init_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def terragrunt_env(self) -> dict[str, str]:
        """What get_env sees in the rehearsal of live/README.md."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "IMAGE_URI": IMAGE, "APP_VERSION": VERSION}

    def terraform(
        self, cwd: Path, *args: str, inputs: dict[str, Any] | None = None
    ) -> subprocess.CompletedProcess[str]:
        variables, nulls = tg.tf_var_env(inputs or {})
        (cwd / ".terragrunt-null-vars.auto.tfvars.json").write_text(json.dumps(nulls))
        return subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=cwd,
            env={**self.env, **variables},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def evaluate(self, name: str, command: str) -> tg.Unit:
        """The unit as Terragrunt evaluates it for `command` (mocks for plan while nothing is applied)."""
        unit_dir = DEV / name
        outputs = self.outputs.get if command == "apply" else (lambda _path: None)
        return tg.evaluate(
            ROOT,
            [unit_dir],
            self.env,
            self.workdir / "eval" / f"{command}-{name}",
            env=self.terragrunt_env,
            outputs=outputs,
            command=command,
        )[unit_dir]

    def module(self, name: str, unit: tg.Unit) -> Path:
        """The unit's working copy, as Terragrunt prepares it in its cache: the source up to `//` copied,
        the generated provider.tf and backend.tf written, the unit's committed .terraform.lock.hcl
        copied in (Terragrunt copies it there and back), initialised once."""
        if name not in self.modules:
            base, _, sub = unit.value["source"].partition("//")
            cache = self.workdir / "cache" / name
            shutil.copytree(base, cache, ignore=shutil.ignore_patterns(".terraform*", "tests"))
            module = cache / sub
            for generated in unit.value["generate"].values():
                (module / generated["path"]).write_text(generated["contents"])
            (module / unit.value["remote_state"]["generate"]["path"]).write_text(tg.backend_tf(unit))
            shutil.copy(DEV / name / LOCK_FILE, module / LOCK_FILE)
            self.modules[name] = module
        return self.modules[name]

    def state_outputs(self, name: str) -> dict[str, Any]:
        """A unit's outputs read from its state object, as Terragrunt reads a dependency's."""
        body = client(self, "s3").get_object(Bucket=BUCKET, Key=f"live/dev/{name}/terraform.tfstate")["Body"]
        return {key: item["value"] for key, item in json.loads(body.read())["outputs"].items()}

    def step(self, name: str, command: str, unit: tg.Unit) -> subprocess.CompletedProcess[str]:
        module = self.module(name, unit)
        if not (module / ".terraform").is_dir():
            with self.init_lock:  # the provider plugin cache is not safe for concurrent installs
                # readonly: the committed lock file must hold as it is (hashes, version).
                init = self.terraform(module, "init", "-input=false", "-lockfile=readonly")
            if init.returncode != 0:
                return init
        if command == "plan":
            return self.terraform(
                module, "plan", "-input=false", "-detailed-exitcode", inputs=unit.value["inputs"]
            )
        return self.terraform(module, "apply", "-input=false", "-auto-approve", inputs=unit.value["inputs"])

    def prod_plan_setup(self) -> ProdPlan:
        """prod's ecr unit with prod's generated provider, initialised without a backend."""
        unit_dir = ROOT / "live/prod/ecr"
        unit = tg.evaluate(
            ROOT, [unit_dir], self.env, self.workdir / "eval" / "prod-ecr", env=self.terragrunt_env
        )
        module = self.workdir / "prod" / "ecr"
        shutil.copytree(
            ROOT / "modules" / "ecr", module, ignore=shutil.ignore_patterns(".terraform*", "tests")
        )
        for generated in unit[unit_dir].value["generate"].values():
            (module / generated["path"]).write_text(generated["contents"])
        shutil.copy(unit_dir / LOCK_FILE, module / LOCK_FILE)
        init = self.terraform(module, "init", "-input=false", "-backend=false", "-lockfile=readonly")
        assert init.returncode == 0, init.stderr
        return ProdPlan(module / "provider.tf", unit[unit_dir].value["inputs"])

    def run(self) -> None:
        # A pull request's `run --all plan` on the empty environment (the units that read others'
        # outputs, on mocks), alongside the administrator's first applies (github-oidc, ecr): none of
        # these reads another's state.
        first = [(name, "plan") for name in APPLY_ORDER[2:]] + [(name, "apply") for name in APPLY_ORDER[:2]]
        units = {(name, command): self.evaluate(name, command) for name, command in first}
        for name, command in first:
            self.module(name, units[name, command])
        prod = self.prod_plan_setup()
        with ThreadPoolExecutor(max_workers=len(first) + 1) as pool:
            done = {key: pool.submit(self.step, *key, unit) for key, unit in units.items()}
            refused = pool.submit(self.terraform, prod.parent, "plan", "-input=false", inputs=prod.inputs)
        self.prod_plan = refused.result()
        for (name, command), future in done.items():
            (self.plans if command == "plan" else self.applies)[name] = future.result()
        # Then `run --all apply`, one unit after another in dependency order, each on real outputs.
        for name in APPLY_ORDER:
            if name not in self.applies:
                self.applies[name] = self.step(name, "apply", self.evaluate(name, "apply"))
            if self.applies[name].returncode != 0:
                return
            self.outputs[DEV / name] = self.state_outputs(name)


@pytest.fixture(scope="module")
def rehearsal(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    workdir = tmp_path_factory.mktemp("rehearsal")
    previous = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = ACCOUNT  # moto answers as dev's account (inherited by its process)
    try:
        process, endpoint = emulator.start(log=workdir / "moto.log")
    finally:
        if previous is None:
            os.environ.pop("MOTO_ACCOUNT_ID", None)
        else:
            os.environ["MOTO_ACCOUNT_ID"] = previous
    endpoint = endpoint.replace(emulator.HOST, "localhost")
    cache = workdir / "plugin-cache"
    cache.mkdir()
    rehearsal = Rehearsal(
        endpoint, emulator.aws_env(endpoint, {**tf_env, "TF_PLUGIN_CACHE_DIR": str(cache)}), workdir
    )
    try:
        bootstrap(client(rehearsal, "s3"))
        rehearsal.run()
        yield rehearsal
    finally:
        process.terminate()
        process.wait(timeout=10)


def bootstrap(s3: Any) -> None:
    """What `--backend-bootstrap` creates when the state bucket is missing."""
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def client(rehearsal: Rehearsal, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=rehearsal.endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any credentials
    )


def test_a_first_plan_runs_on_mocks(rehearsal: Rehearsal) -> None:
    """`run --all plan` before anything exists: the units that read others plan on their mocks."""
    assert sorted(rehearsal.plans) == sorted(APPLY_ORDER[2:])
    for name, plan in rehearsal.plans.items():
        assert plan.returncode == 2, f"{name}: {plan.stderr}"  # 2: changes to make, no error


def test_every_unit_applies_in_dependency_order(rehearsal: Rehearsal) -> None:
    for name in APPLY_ORDER:
        assert name in rehearsal.applies, f"{name} was not applied"
        assert rehearsal.applies[name].returncode == 0, f"{name}: {rehearsal.applies[name].stderr}"


def test_state_is_one_object_per_unit_and_no_lock_is_left(rehearsal: Rehearsal) -> None:
    listed = client(rehearsal, "s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    # live/<env>/<unit>/terraform.tfstate (path_relative_to_include()); no .tflock left behind.
    assert sorted(item["Key"] for item in listed) == sorted(
        f"live/dev/{name}/terraform.tfstate" for name in APPLY_ORDER
    )
    assert rehearsal.outputs[DEV / "lambda"]["function_name"] == NAME


def test_the_function_runs_the_pinned_image_inside_the_boundary(rehearsal: Rehearsal) -> None:
    function = client(rehearsal, "lambda").get_function(FunctionName=NAME)
    configuration = function["Configuration"]
    assert function["Code"]["ImageUri"] == IMAGE
    assert configuration["Environment"]["Variables"]["APP_VERSION"] == VERSION
    assert configuration["FunctionArn"].split(":")[4] == ACCOUNT
    role = configuration["Role"].split("/")[-1]
    boundary = client(rehearsal, "iam").get_role(RoleName=role)["Role"]["PermissionsBoundary"]
    assert boundary["PermissionsBoundaryArn"] == rehearsal.outputs[DEV / CI_ROLES]["permissions_boundary_arn"]
    assert configuration["MemorySize"] == 512
    assert (
        function["Tags"].items()
        >= {
            "project": "lambda-api",
            "environment": "dev",
            "managed-by": "terragrunt",
            "repository": "example-org/lambda-api",
        }.items()
    )


def test_the_api_monitoring_and_registry_carry_devs_values(rehearsal: Rehearsal) -> None:
    api_id = rehearsal.outputs[DEV / "api-gateway"]["api_id"]
    api = client(rehearsal, "apigatewayv2").get_api(ApiId=api_id)
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    alarms = client(rehearsal, "cloudwatch").describe_alarms(AlarmNamePrefix=f"{NAME}-")["MetricAlarms"]
    assert (
        sorted(alarm["AlarmName"] for alarm in alarms) == rehearsal.outputs[DEV / "monitoring"]["alarm_names"]
    )
    topic = rehearsal.outputs[DEV / "monitoring"]["sns_topic_arn"]
    subscriptions = client(rehearsal, "sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [item["Endpoint"] for item in subscriptions] == ["dev-alerts@example.com"]
    policy = client(rehearsal, "ecr").get_repository_policy(repositoryName=NAME)["policyText"]
    assert f"arn:aws:iam::{PROD_ACCOUNT}:root" in policy  # prod may pull dev's images
    trust = client(rehearsal, "iam").get_role(RoleName=f"{NAME}-github-deploy")["Role"][
        "AssumeRolePolicyDocument"
    ]
    subjects = json.dumps(trust)
    assert "repo:example-org/lambda-api:environment:dev" in subjects
    assert "environment:prod" not in subjects


def test_the_pipeline_finds_each_output_it_reads_once(rehearsal: Rehearsal) -> None:
    """ci/stack_outputs.py merges the units' outputs and needs each of these in exactly one unit."""
    for wanted in WANTED.values():
        owners = [path.name for path, outputs in rehearsal.outputs.items() if wanted in outputs]
        assert len(owners) == 1, f"output {wanted} comes from {owners}"


def test_the_provider_refuses_another_account(rehearsal: Rehearsal) -> None:
    """prod's generated provider against dev's account (what moto is): refused before anything is read."""
    assert rehearsal.prod_plan is not None
    assert rehearsal.prod_plan.returncode == 1
    assert f"AWS account ID not allowed: {ACCOUNT}" in rehearsal.prod_plan.stderr
