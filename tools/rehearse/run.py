"""The documented deploy path, walked on one moto server holding dev's and prod's accounts, each step
by the principal that really does it, every AWS call judged as IAM would judge it.

Terragrunt is not installed here, so its work is done with plain Terraform as tests/live does it:
each unit evaluated by shared/terragrunt.py, its module copied as Terragrunt copies it, the
generated provider and backend written, inputs passed as TF_VAR_ variables, dependency outputs read
from the dependency's state object (with the acting role's credentials, as Terragrunt reads them).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

from shared import terragrunt as tg
from tools import emulator
from tools.lambda_invoke import InvokeProxy
from tools.rehearse import calls as capture
from tools.rehearse import iam, rules
from tools.rehearse.calls import Call
from tools.terraform import LOCK_FILE

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
UNITS = ["ecr", "lambda", "api-gateway", "monitoring"]  # `run --all apply`: github-oidc is excluded
CI_ROLES = "github-oidc"
OIDC_HOST = "token.actions.githubusercontent.com"
# What an account administrator may do (AdministratorAccess).
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
Out = Callable[[str], None]


@dataclass(frozen=True)
class GitHub:
    """What GitHub puts in its OIDC tokens for this repository (read from the real live/project.hcl)."""

    repository: str
    owner_id: str
    repository_id: str

    @classmethod
    def read(cls, root: Path) -> GitHub:
        values = tg.parse(root / "live" / "project.hcl").locals
        return cls(
            tg.static_string(values["github_repository"]),
            values["github_owner_id"],
            values["github_repository_id"],
        )

    def subjects(self, claim: str) -> dict[str, str]:
        """Both subject formats GitHub may send (changelog 2026-04-23, immutable subject claims)."""
        owner, name = self.repository.split("/")
        return {
            "repo:OWNER/REPO": f"repo:{self.repository}:{claim}",
            "immutable": f"repo:{owner}-{self.owner_id}/{name}-{self.repository_id}:{claim}",
        }

    def claims(self, sub: str, ref: str, environment: str | None) -> dict[str, str]:
        claims = {
            "sub": sub,
            "aud": "sts.amazonaws.com",
            "ref": ref,
            "repository": self.repository,
            "repository_id": self.repository_id,
            "repository_owner_id": self.owner_id,
        }
        if environment:
            claims["environment"] = environment
        return claims


@dataclass
class Session:
    principal: iam.Principal
    credentials: dict[str, str]  # AWS_ACCESS_KEY_ID, ... for subprocesses


@dataclass
class Step:
    number: int
    name: str
    actor: str
    calls: int = 0
    denied: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    started: float = field(default_factory=time.time)
    judged: list[tuple[Session, list[Call]]] = field(default_factory=list)  # for replays
    assumed: list[tuple[str, str, str, str, str | None]] = field(default_factory=list)


@dataclass
class Result:
    steps: list[Step]
    unmapped: dict[str, str]  # call name -> why it cannot be judged
    tolerated: dict[str, str]
    probes: list[str]  # requests that must be refused, and were

    @property
    def denied(self) -> list[str]:
        return [line for step in self.steps for line in step.denied]

    @property
    def errors(self) -> list[str]:
        return [line for step in self.steps for line in step.errors]

    @property
    def ok(self) -> bool:
        return not self.denied and not self.errors

    def table(self) -> str:
        width = max(len(step.name) for step in self.steps)
        actor_width = max(len(step.actor) for step in self.steps)
        lines = [f"{'step':<{width}}  {'acting role':<{actor_width}}  {'calls':>5}  {'denied':>6}"]
        for step in self.steps:
            lines.append(
                f"{step.name:<{width}}  {step.actor:<{actor_width}}  {step.calls:>5}  {len(step.denied):>6}"
            )
        total = sum(step.calls for step in self.steps)
        lines.append(f"{'total':<{width}}  {'':<{actor_width}}  {total:>5}  {len(self.denied):>6}")
        return "\n".join(lines)


class Rehearsal:
    def __init__(
        self,
        workdir: Path,
        terraform_env: dict[str, str],
        out: Out = print,
        mutate: Callable[[Path], None] | None = None,
        root: Path = ROOT,
    ) -> None:
        self.workdir = workdir
        self.out = out
        self.github = GitHub.read(root)  # what GitHub sends does not change with the tree
        self.tree = workdir / "tree"
        copy_tree(root, self.tree)
        if mutate:
            mutate(self.tree)
        self.accounts = {
            env: tg.static_string(tg.parse(self.tree / "live" / env / "env.hcl").locals["account_id"])
            for env in ("dev", "prod")
        }
        self.terraform_env = terraform_env
        self.steps: list[Step] = []
        self.unmapped: dict[str, str] = {}
        self.tolerated: dict[str, str] = {}
        self.probes: list[str] = []
        self.outputs: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.init_lock = threading.Lock()
        self.ops_lock = threading.Lock()
        self.endpoint = ""
        self.invoke_endpoint = ""
        self.admins: dict[str, Session] = {}
        self.auditors: dict[str, Session] = {}  # administrators too, for reading only, never judged
        self.clients: dict[tuple[str, str], Any] = {}
        self.sinks: dict[str, list[Call]] = {}
        self.deployers: dict[str, Session] = {}
        self.locked: set[str] = set()  # keys the lockout rule has seen created
        self.first_plans: dict[str, int] = {}  # unit -> plan exit code on the empty environment
        self.roles: dict[str, dict[str, Any]] = {}  # role ARN -> its policies, read after github-oidc
        self.buckets: dict[str, str] = {}  # environment -> its state bucket

    # --- the emulator and sessions ---------------------------------------------------------------

    def client(self, service: str, credentials: dict[str, str], calls: list[Call] | None = None) -> Any:
        """A boto3 client for these credentials (made once); with `calls`, what it sends from now on
        is appended there."""
        key = credentials["AWS_ACCESS_KEY_ID"]
        with self.lock:
            made = self.clients.get((service, key))
            if made is None:
                made = boto3.client(  # type: ignore[call-overload]  # a service name chosen at run time
                    service,
                    endpoint_url=self.endpoint,
                    region_name=REGION,
                    aws_access_key_id=key,
                    aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                    aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
                )
                made.meta.events.register("before-parameter-build.*.*", self.recorder(key))
                self.clients[(service, key)] = made
            if calls is not None:
                self.sinks[key] = calls
        return made

    def recorder(self, key: str) -> Callable[..., None]:
        def record(**kwargs: Any) -> None:
            sink = self.sinks.get(key)
            if sink is not None:
                capture.boto3_recorder(sink)(**kwargs)

        return record

    def admin_client(self, service: str, account: str) -> Any:
        """What the rules and the judge read, as an administrator whose calls are not recorded."""
        env = next(name for name, acct in self.accounts.items() if acct == account)
        return self.client(service, self.auditors[env].credentials)

    def administrator(self, env: str) -> Session:
        """An administrator of the environment's account (e.g. OrganizationAccountAccessRole)."""
        account = self.accounts[env]
        role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        sts = self.client("sts", dict(emulator_credentials()))
        found = sts.assume_role(RoleArn=role, RoleSessionName=f"{env}-admin")["Credentials"]
        principal = iam.Principal(f"{env} administrator", role, account, identity=(ADMIN_POLICY,))
        return Session(principal, session_env(found))

    def role_principal(self, name: str, arn: str) -> iam.Principal:
        account = arn.split(":")[4]
        admin = self.admin_client("iam", account)
        role_name = arn.rsplit("/", 1)[1]
        role = admin.get_role(RoleName=role_name)["Role"]
        documents = [
            as_document(admin.get_role_policy(RoleName=role_name, PolicyName=policy)["PolicyDocument"])
            for policy in admin.list_role_policies(RoleName=role_name)["PolicyNames"]
        ]
        for attached in admin.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
            documents.append(policy_document(admin, attached["PolicyArn"]))
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = policy_document(admin, boundary_arn) if boundary_arn else None
        self.roles[arn] = {"trust": as_document(role["AssumeRolePolicyDocument"])}
        return iam.Principal(name, arn, account, identity=tuple(documents), boundary=boundary)

    def assume(
        self, step: Step, name: str, env: str, role: str, claim: str, environment: str | None
    ) -> Session:
        """sts:AssumeRoleWithWebIdentity with the token GitHub sends for the job, in both subject
        formats, each judged against the role's trust policy; the session uses the immutable one."""
        step.assumed.append((name, env, role, claim, environment))
        account = self.accounts[env]
        arn = self.outputs[(env, CI_ROLES)][f"{role}_role_arn"]
        principal = self.role_principal(name, arn)
        trust = self.roles[arn]["trust"]
        provider = self.outputs[(env, CI_ROLES)]["oidc_provider_arn"]
        federated = iam.Principal("GitHub's token", provider, account, kind="Federated")
        ref = "refs/heads/main"
        subjects = self.github.subjects(claim)
        for subject_format, sub in subjects.items():
            context = {f"{OIDC_HOST}:{k}": v for k, v in self.github.claims(sub, ref, environment).items()}
            request = iam.Request("sts:AssumeRoleWithWebIdentity", arn, account, context)
            decision = iam.evaluate(federated, request, trust, "trust policy", kind="trust")
            step.calls += 1
            if not decision.allowed:
                presenter = iam.Principal(
                    f"a GitHub token in the {subject_format} format ({sub})", provider, account
                )
                step.denied.append(iam.message(presenter, request, decision))
        # Tokens that must be refused: another repository, and (deploy role) another branch.
        owner, repo = self.github.repository.split("/")
        other = GitHub(f"{owner}/{repo}-fork", "1", "2")
        refusals = [(other.subjects(claim)["repo:OWNER/REPO"], ref, "another repository")]
        if role == "deploy":
            refusals.append((subjects["repo:OWNER/REPO"], "refs/heads/feature", "a branch other than main"))
        for sub, probe_ref, what in refusals:
            context = {
                f"{OIDC_HOST}:{k}": v for k, v in self.github.claims(sub, probe_ref, environment).items()
            }
            request = iam.Request("sts:AssumeRoleWithWebIdentity", arn, account, context)
            if iam.evaluate(federated, request, trust, "trust policy", kind="trust").allowed:
                step.errors.append(f"{name} trusts a token from {what} ({sub}, {probe_ref})")
            else:
                self.probes.append(f"{name} refuses a token from {what}")
        token = fake_jwt(self.github.claims(subjects["immutable"], ref, environment))
        sts = self.client("sts", dict(emulator_credentials()))
        found = sts.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName=f"github-{role}-{env}", WebIdentityToken=token
        )["Credentials"]
        return Session(principal, session_env(found))

    # --- judging ----------------------------------------------------------------------------------

    def where(self, account: str) -> capture.Where:
        def key_arn(key: str) -> str:
            if key.startswith("arn:") and ":key/" in key:
                return key
            kms = self.admin_client("kms", account)
            return str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"])

        def role_boundary(name: str) -> str | None:
            try:
                role = self.admin_client("iam", account).get_role(RoleName=name)["Role"]
            except botocore.exceptions.ClientError:
                return None
            return (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")

        return capture.Where(account, REGION, key_arn, role_boundary)

    def resource_policy(self, request: iam.Request) -> tuple[dict[str, Any] | None, str, str]:
        """The resource's own policy where IAM consults it, its name, and the evaluation kind."""
        resource = request.resource
        if resource.startswith("arn:aws:kms:") and ":key/" in resource:
            kms = self.admin_client("kms", request.account)
            text = kms.get_key_policy(KeyId=resource, PolicyName="default")["Policy"]
            policy = json.loads(text)
            for statement in policy.get("Statement", []):
                if statement.get("Resource") == "*":  # in a key policy "*" is the key itself
                    statement["Resource"] = resource
            return policy, "key policy", "kms"
        if resource.startswith("arn:aws:ecr:"):
            image = rules.Image(request.account, REGION, resource.split("repository/", 1)[1], None, None)
            return rules.repository_policy(image, rules.Admin(self.admin_client)), "repository policy", ""
        return None, "resource policy", ""

    def judge(self, step: Step, session: Session, made: list[Call]) -> None:
        step.judged.append((session, list(made)))
        principal = session.principal
        where = self.where(principal.account)
        for call in made:
            step.calls += 1
            if call.name in capture.NOT_AUTHORISED:
                continue
            if call.name in capture.TOLERATED:
                self.tolerated[call.name] = capture.TOLERATED[call.name]
                continue
            try:
                requests = capture.requests(call, where)
            except capture.Unmapped as exc:
                self.unmapped[call.name] = str(exc)
                continue
            for request in requests:
                policy, policy_name, kind = self.resource_policy(request)
                decision = iam.evaluate(principal, request, policy, policy_name, kind)
                if not decision.allowed:
                    step.denied.append(iam.message(principal, request, decision))
            self.service_rules(step, principal, call)

    def service_rules(self, step: Step, principal: iam.Principal, call: Call) -> None:
        admin = rules.Admin(self.admin_client)
        if call.name in ("lambda:CreateFunction", "lambda:UpdateFunctionCode"):
            uri = (call.params.get("Code") or {}).get("ImageUri") or call.params.get("ImageUri")
            image = rules.parse_image(uri or "")
            name = call.params.get("FunctionName") or capture.FUNCTION.search(call.path).group(1)  # type: ignore[union-attr]
            function_arn = f"arn:aws:lambda:{REGION}:{principal.account}:function:{name}"
            if image is None:
                return
            if not rules.image_exists(image, admin):
                step.denied.append(
                    f"{principal.name} may not {call.operation} {name} with {uri}: the image is not in "
                    f"{image.repository_arn} (Lambda checks it exists)"
                )
            for who, request, decision, _ in rules.lambda_image_pull(principal, function_arn, image, admin):
                step.calls += who is principal  # the caller's own reads are calls Lambda makes for it
                if not decision.allowed:
                    step.denied.append(iam.message(who, request, decision))
        if call.name == "lambda:PutFunctionConcurrency":
            name = capture.FUNCTION.search(call.path).group(1)  # type: ignore[union-attr]
            reserved = int(call.params.get("ReservedConcurrentExecutions", 0))
            # The account's limit as Lambda reports it (tools/moto_server.py adds GetAccountSettings).
            limit = int(
                self.admin_client("lambda", principal.account).get_account_settings()["AccountLimit"][
                    "ConcurrentExecutions"
                ]
            )
            unreserved = rules.unreserved_after(limit, self.reservations(principal.account), name, reserved)
            if unreserved < rules.UNRESERVED_MINIMUM:
                step.denied.append(
                    f"{principal.name} may not reserve {reserved} for {name}: {unreserved} of the account's "
                    f"{limit} would stay unreserved, Lambda keeps {rules.UNRESERVED_MINIMUM}"
                )
        if call.name in ("kms:CreateKey", "kms:PutKeyPolicy") and not call.params.get(
            "BypassPolicyLockoutSafetyCheck"
        ):
            self.lockout(step, principal, call)

    def lockout(self, step: Step, principal: iam.Principal, call: Call) -> None:
        """The KMS lockout rule for a key created or re-policied by this call. The provider's log cuts
        long bodies short, so the policy is read back from the key when it is missing (the emulator
        stores what was sent); a new key is found among the keys made since the step began."""
        kms = self.admin_client("kms", principal.account)
        where = self.where(principal.account)
        if call.operation == "PutKeyPolicy":
            keys = [where.key_arn(call.params["KeyId"])] if call.params.get("KeyId") else []
        else:
            keys = []
            for listed in kms.list_keys()["Keys"]:
                metadata = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
                if (
                    metadata["CreationDate"].timestamp() >= step.started
                    and metadata["Arn"] not in self.locked
                ):
                    keys.append(metadata["Arn"])
        for key in keys:
            self.locked.add(key)
            text = call.params.get("Policy") if not call.truncated else None
            text = text or kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
            decision = rules.key_policy_lockout(principal, text, key)
            if not decision.allowed:
                step.denied.append(f"{principal.name} may not {call.name} on {key}: {decision.reason}")

    def reservations(self, account: str) -> dict[str, int]:
        client = self.admin_client("lambda", account)
        found = {}
        for function in client.list_functions()["Functions"]:
            value = client.get_function_concurrency(FunctionName=function["FunctionName"]).get(
                "ReservedConcurrentExecutions"
            )
            if value:
                found[function["FunctionName"]] = int(value)
        return found

    def probe(self, step: Step, principal: iam.Principal, request: iam.Request, what: str) -> None:
        """A request that must be refused (a path the fixes closed)."""
        policy, policy_name, kind = self.resource_policy(request)
        decision = iam.evaluate(principal, request, policy, policy_name, kind)
        if decision.allowed:
            step.errors.append(f"{principal.name} may {request.action} on {request.resource}: {what}")
        else:
            self.probes.append(f"{iam.message(principal, request, decision)} ({what})")

    # --- steps ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str, actor: str) -> Iterator[Step]:
        with self.lock:
            step = Step(len(self.steps) + 1, name, actor)
            self.steps.append(step)
        started = time.monotonic()
        try:
            yield step
        except Exception as exc:  # a step that cannot finish is a failed rehearsal, not a traceback
            step.errors.append(f"{name}: {type(exc).__name__}: {str(exc).strip().splitlines()[-1]}")
        step.seconds = time.monotonic() - started
        verdict = "ok" if not step.denied and not step.errors else "FAIL"
        self.out(
            f"[{step.number:>2}] {verdict:<4} {name} ({actor}): {step.calls} calls, "
            f"{len(step.denied)} denied ({step.seconds:.0f} s)"
        )
        for line in step.denied + step.errors:
            self.out(f"       {line}")

    def terraform(
        self, session: Session, env: str, unit: str, command: str, extra_env: dict[str, str]
    ) -> tuple[subprocess.CompletedProcess[str], list[Call]]:
        """One unit as `terragrunt <command>` runs it, with the session's credentials."""
        made: list[Call] = []
        evaluated = self.evaluate(env, unit, command, session, extra_env, made)
        module = self.module(env, unit, evaluated)
        log = self.workdir / "logs" / f"{env}-{unit}-{command}-{time.monotonic_ns()}.log"
        log.parent.mkdir(exist_ok=True)
        run_env = {
            **self.terraform_env,
            **emulator.aws_env(self.endpoint),
            **session.credentials,
            "TF_LOG": "DEBUG",
            "TF_LOG_PATH": str(log),
        }
        variables, nulls = tg.tf_var_env(evaluated.value["inputs"])
        (module / ".terragrunt-null-vars.auto.tfvars.json").write_text(json.dumps(nulls))
        if not (module / ".terraform").is_dir():
            with self.init_lock:  # the provider plugin cache is not safe for concurrent installs
                # readonly: the committed lock file must hold as it is (version and hashes).
                readonly = ["-lockfile=readonly"] if (module / LOCK_FILE).exists() else []
                init = run(["terraform", "init", "-input=false", "-no-color", *readonly], module, run_env)
            made += capture.terraform_calls(log.read_text()) if log.exists() else []
            log.unlink(missing_ok=True)
            if init.returncode != 0:
                return init, made
        args = (
            ["apply", "-input=false", "-auto-approve"]
            if command == "apply"
            else ["plan", "-input=false", "-lock=false", "-detailed-exitcode"]
        )
        result = run(["terraform", *args, "-no-color"], module, {**run_env, **variables})
        made += capture.terraform_calls(log.read_text()) if log.exists() else []
        if command == "apply" and result.returncode == 0:
            self.outputs[(env, unit)] = self.state_outputs(session, env, unit, made)
        return result, made

    def evaluate(
        self,
        env: str,
        unit: str,
        command: str,
        session: Session,
        extra_env: dict[str, str] | None = None,
        made: list[Call] | None = None,
    ) -> tg.Unit:
        """The unit as Terragrunt evaluates it for `command`, dependency outputs read from state."""
        unit_dir = self.tree / "live" / env / unit
        getenv = {"AWS_ENDPOINT_URL": self.endpoint, **(extra_env or {})}
        deps = self.read_dependencies(session, env, unit_dir, made if made is not None else [])
        return tg.evaluate(
            self.tree,
            [unit_dir],
            self.terraform_env,
            self.workdir / "eval" / f"{env}-{unit}-{command}-{time.monotonic_ns()}",
            env=getenv,
            outputs=lambda path: deps.get(path.name),
            command=command,
        )[unit_dir.resolve()]

    def read_dependencies(
        self, session: Session, env: str, unit_dir: Path, made: list[Call]
    ) -> dict[str, dict[str, Any]]:
        """The dependency outputs Terragrunt would read (state objects, read as the acting role)."""
        found = {}
        for unit in (CI_ROLES, *UNITS):
            if (env, unit) in self.outputs and unit != unit_dir.name:
                try:
                    found[unit] = self.state_outputs(session, env, unit, made)
                except botocore.exceptions.ClientError:
                    continue
        return found

    def state_bucket(self, env: str) -> str:
        """The environment's state bucket, as root.hcl names it (live/state.hcl) for its units."""
        if env not in self.buckets:
            unit = self.evaluate(env, CI_ROLES, "apply", self.admins[env])
            self.buckets[env] = str(unit.value["remote_state"]["config"]["bucket"])
        return self.buckets[env]

    def state_outputs(self, session: Session, env: str, unit: str, made: list[Call]) -> dict[str, Any]:
        s3 = self.client("s3", session.credentials, made)
        bucket = self.state_bucket(env)
        body = s3.get_object(Bucket=bucket, Key=f"live/{env}/{unit}/terraform.tfstate")["Body"].read()
        return {key: item["value"] for key, item in json.loads(body)["outputs"].items()}

    def module(self, env: str, unit: str, evaluated: tg.Unit) -> Path:
        """The unit's working copy, as Terragrunt prepares it in its cache. Copied on every run (the
        .terraform directory stays): a mutant edits the tree in between."""
        base, _, sub = evaluated.value["source"].partition("//")
        cache = self.workdir / "cache" / env / unit
        shutil.copytree(
            base, cache, ignore=shutil.ignore_patterns(".terraform*", "tests"), dirs_exist_ok=True
        )
        module: Path = cache / sub
        for generated in evaluated.value["generate"].values():
            (module / generated["path"]).write_text(generated["contents"])
        (module / evaluated.value["remote_state"]["generate"]["path"]).write_text(tg.backend_tf(evaluated))
        # Terragrunt copies the unit's lock file into its cache (and back after init).
        lock = self.tree / "live" / env / unit / LOCK_FILE
        if lock.exists():
            shutil.copy(lock, module / LOCK_FILE)
        return module

    def apply(self, step: Step, session: Session, env: str, units: list[str], extra: dict[str, str]) -> None:
        for unit in units:
            result, made = self.terraform(session, env, unit, "apply", extra)
            self.judge(step, session, made)
            if result.returncode != 0:
                step.errors.append(f"{env}/{unit}: terraform apply failed: {last_error(result.stderr)}")
                return

    def plan(self, step: Step, session: Session, env: str) -> None:
        # Plans read state and change nothing: the units plan side by side, as Terragrunt runs them.
        with ThreadPoolExecutor(max_workers=3) as pool:
            done = list(
                pool.map(
                    lambda unit: (unit, *self.terraform(session, env, unit, "plan", {})), (CI_ROLES, *UNITS)
                )
            )
        for unit, result, made in done:
            self.judge(step, session, made)
            if result.returncode not in (0, 2):
                step.errors.append(f"{env}/{unit}: terraform plan failed: {last_error(result.stderr)}")

    def bootstrap(self, step: Step, env: str) -> None:
        """What `--backend-bootstrap` creates: the state bucket, versioned, encrypted, public access
        blocked, TLS only; done with the administrator's credentials."""
        admin = self.admins[env]
        made: list[Call] = []
        s3 = self.client("s3", admin.credentials, made)
        bucket = self.state_bucket(env)
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            },
        )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        step.calls += len(made)  # the administrator may do anything: counted, not judged

    def push(self, step: Step, session: Session, tag: str) -> str:
        """What the build job's `docker push` does through ECR's registry API, then the `release-`
        tag once the image passed its checks; returns the image by digest."""
        made: list[Call] = []
        ecr = self.client("ecr", session.credentials, made)
        repository = self.outputs[("dev", "ecr")]["repository_name"]
        ecr.get_authorization_token()
        layer = f"layer for {tag}".encode()
        config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": [tag]}}).encode()
        blobs = []
        for blob in (config, layer):
            digest = "sha256:" + hashlib.sha256(blob).hexdigest()
            ecr.batch_check_layer_availability(repositoryName=repository, layerDigests=[digest])
            upload = ecr.initiate_layer_upload(repositoryName=repository)["uploadId"]
            ecr.upload_layer_part(
                repositoryName=repository,
                uploadId=upload,
                partFirstByte=0,
                partLastByte=len(blob) - 1,
                layerPartBlob=blob,
            )
            ecr.complete_layer_upload(repositoryName=repository, uploadId=upload, layerDigests=[digest])
            blobs.append((digest, len(blob)))
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "digest": blobs[0][0],
                    "size": blobs[0][1],
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "digest": blobs[1][0],
                        "size": blobs[1][1],
                    }
                ],
            }
        )
        pushed = ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)
        digest = pushed["image"]["imageId"]["imageDigest"]
        # Checks passed (emulator run, Trivy): mark it released, so the lifecycle policy keeps it.
        found = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageDigest": digest}])
        ecr.put_image(
            repositoryName=repository,
            imageManifest=found["images"][0]["imageManifest"],
            imageTag=f"release-{tag}",
        )
        self.judge(step, session, made)
        url = self.outputs[("dev", "ecr")]["repository_url"]
        return f"{url}@{digest}"

    def ops(self, step: Step, session: Session, argv: list[str], extra: dict[str, str] | None = None) -> str:
        """`python -m ops ...` in this process with the session's credentials; its calls judged."""
        import ops.aws
        from ops.cli import main

        with self.ops_lock:  # `ops` reads its credentials from the process environment
            return self._ops(step, session, argv, extra, ops.aws, main)

    def _ops(
        self, step: Step, session: Session, argv: list[str], extra: dict[str, str] | None, aws: Any, main: Any
    ) -> str:
        made: list[Call] = []
        handler = ("before-parameter-build.*.*", capture.boto3_recorder(made))
        values = {
            **session.credentials,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ENDPOINT_URL_LAMBDA": self.invoke_endpoint,
            "AWS_REGION": REGION,
            **(extra or {}),
        }
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)
        os.environ.pop("AWS_PROFILE", None)
        aws.EVENT_HANDLERS.append(handler)
        output = io.StringIO()
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                code = main(argv)
        finally:
            aws.EVENT_HANDLERS.remove(handler)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.judge(step, session, made)
        if code != 0:
            step.errors.append(f"ops {argv[0]} exited {code}: {output.getvalue().strip().splitlines()[-1:]}")
        return output.getvalue()

    def promote(self, step: Step, argv: list[str]) -> None:
        from tools import promote

        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            code = promote.main(["--live-dir", str(self.tree / "live"), *argv])
        if code != 0:
            step.errors.append(f"promote {' '.join(argv)}: {output.getvalue().strip()}")

    def release_and_rollback(self, step: Step, session: Session, env: str) -> None:
        lambda_out = self.outputs[(env, "lambda")]
        alarms = [
            arg for name in self.outputs[(env, "monitoring")]["alarm_names"] for arg in ("--alarm", name)
        ]
        function = lambda_out["function_name"]
        self.ops(
            step,
            session,
            [
                "release",
                "--function",
                function,
                "--alias",
                "live",
                "--version",
                str(lambda_out["version"]),
                "--canary",
                "10",
                # As _deploy.yml runs it, smoke checks on the new version included, without its waits:
                # a step of 0 s still smokes and polls once (ops/release.py, watch_step).
                "--smoke",
                "--interval",
                "0",
                "--bake",
                "0",
                "--poll",
                "1",
                *alarms,
            ],
        )
        self.ops(step, session, ["rollback", "--function", function, "--alias", "live"])

    def notify(self, step: Step, session: Session, env: str) -> None:
        """ci/notify.py's SNS notice, to the environment's own topic with its deploy role."""
        made: list[Call] = []
        topic = self.outputs[(env, "monitoring")]["sns_topic_arn"]
        self.client("sns", session.credentials, made).publish(
            TopicArn=topic, Subject="rehearsal", Message="ok"
        )
        self.judge(step, session, made)

    def closed_paths(self, step: Step, deploy: Session, env: str) -> None:
        """The escalation paths the fixes closed stay closed."""
        function_role = self.outputs[(env, "lambda")]["role_arn"]
        self.probe(
            step,
            deploy.principal,
            iam.Request("iam:UpdateAssumeRolePolicy", function_role, self.accounts[env]),
            "rewriting a stack role's trust policy would let the deploy role assume it",
        )
        workload = self.role_principal(f"{env} function role", function_role)
        other_key = self.admin_client("kms", self.accounts[env]).create_key(Description="not the stack's")
        self.probe(
            step,
            workload,
            iam.Request("kms:Decrypt", other_key["KeyMetadata"]["Arn"], self.accounts[env]),
            "the boundary must not allow decrypting with keys outside the stack",
        )

    # --- the walk ---------------------------------------------------------------------------------

    def run(self) -> Result:
        with self.emulator():
            return self.walk_all()

    @contextlib.contextmanager
    def emulator(self) -> Iterator[None]:
        """One moto server for both accounts (moto keeps accounts apart by the credentials' account)."""
        process, endpoint = emulator.start(log=self.workdir / "moto.log")
        self.endpoint = endpoint.replace(emulator.HOST, "localhost")  # path-style S3 works on localhost
        try:
            # moto cannot run an image: Invoke (`ops release --smoke`) runs the app under the runtime client.
            with InvokeProxy(self.endpoint) as invoke:
                self.invoke_endpoint = invoke.url
                yield
        finally:
            process.terminate()
            process.wait(timeout=10)

    def walk_all(self) -> Result:
        self.walk()
        return Result(self.steps, dict(self.unmapped), dict(self.tolerated), list(self.probes))

    def walk(self) -> None:
        """The path, in the order of docs/deployment.md. Steps that do not depend on each other run side
        by side (the provider spends much of an apply waiting on its own polling)."""
        for env in ("dev", "prod"):
            self.admins[env] = self.administrator(env)
            self.auditors[env] = self.administrator(env)

        def admin_bootstrap(env: str) -> None:
            actor = f"{env} administrator"
            with self.step(f"{env}: state bucket (--backend-bootstrap)", actor) as step:
                self.bootstrap(step, env)
            with self.step(f"{env}: apply github-oidc", actor) as step:
                self.apply(step, self.admins[env], env, [CI_ROLES], {})

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(admin_bootstrap, ("dev", "prod")))
        if self.failed():
            return

        sessions: dict[str, Session] = {}
        with self.step("dev: deploy role for environment dev", "GitHub OIDC") as step:
            sessions["dev"] = self.assume(step, "dev deploy role", "dev", "deploy", "environment:dev", "dev")
        with self.step("build: deploy role for main (image push)", "GitHub OIDC") as step:
            build = self.assume(step, "dev build role", "dev", "deploy", "ref:refs/heads/main", None)
        with self.step("prod: deploy role for environment prod", "GitHub OIDC") as step:
            sessions["prod"] = self.assume(
                step, "prod deploy role", "prod", "deploy", "environment:prod", "prod"
            )
        with self.step("prod: plan role for pull request", "GitHub OIDC") as step:
            empty = self.assume(step, "prod plan role", "prod", "plan", "pull_request", None)
        if self.failed():
            return
        dev, prod = sessions["dev"], sessions["prod"]
        self.deployers = dict(sessions)
        live = str(self.tree / "live")

        with ThreadPoolExecutor(max_workers=2) as pool:
            # A pull request's plan of prod while nothing is deployed or pinned there: the lambda unit is
            # left out (empty pin), the units reading it plan on its mocks.
            first_plan = pool.submit(self.first_plan, empty)
            with self.step(
                "dev: apply ecr (the repository the first build pushes to)", "dev administrator"
            ) as step:
                self.apply(step, self.admins["dev"], "dev", ["ecr"], {})
            with self.step("build: push image 1", build.principal.name) as step:
                first = self.push(step, build, "1111111")
            with self.step("dev: ops preflight (image 1)", dev.principal.name) as step:
                # prod's preflight is not run here: moto cannot read a repository of another account.
                self.ops(step, dev, ["preflight", "--env", "dev", "--live-dir", live], {"IMAGE_URI": first})
            with self.step("dev: run --all apply (image 1)", dev.principal.name) as step:
                self.apply(step, dev, "dev", UNITS, {"IMAGE_URI": first, "APP_VERSION": "1111111"})
            first_plan.result()
        with self.step("dev: pin image 1", "pin job (no AWS)") as step:
            self.promote(step, ["--pin", "dev", "--image", first, "--app-version", "1111111"])
        with self.step("promote dev -> prod", "pull request (no AWS)") as step:
            self.promote(step, ["--from", "dev", "--to", "prod"])
        if self.failed():
            return

        def prod_first() -> None:
            with self.step("prod: run --all apply (pinned image 1)", prod.principal.name) as step:
                self.apply(step, prod, "prod", UNITS, {})

        with ThreadPoolExecutor(max_workers=1) as pool:
            prod_deploy = pool.submit(prod_first)
            with self.step("build: push image 2", build.principal.name) as step:
                second = self.push(step, build, "2222222")
            # A merge changes the image only: of `run --all apply`, the lambda unit has work to do
            # (UpdateFunctionCode, a new version); the other units' refreshes were judged above.
            next_image = {"IMAGE_URI": second, "APP_VERSION": "2222222"}
            self.deploy_second_image(dev, "dev", next_image)
            # The plan role's other use: the nightly drift check of the deployed environment.
            planners: dict[tuple[str, str], Session] = {}
            for env in ("dev", "prod"):
                for kind, claim in (("pull request", "pull_request"), ("drift", "ref:refs/heads/main")):
                    with self.step(f"{env}: plan role for {kind}", "GitHub OIDC") as step:
                        planners[(env, kind)] = self.assume(
                            step, f"{env} plan role", env, "plan", claim, None
                        )
            drift = planners[("dev", "drift")]
            with self.step("dev: drift check (run --all plan)", drift.principal.name) as step:
                self.plan(step, drift, "dev")
            prod_deploy.result()
        if self.failed():
            return
        self.deploy_second_image(prod, "prod", next_image)

    def deploy_second_image(self, session: Session, env: str, image: dict[str, str]) -> None:
        """The merge's image 2 in one environment: apply the lambda unit, then release, roll back
        and notify with the ops commands."""
        with self.step(f"{env}: apply lambda (image 2)", session.principal.name) as step:
            self.apply(step, session, env, ["lambda"], image)
        with self.step(f"{env}: ops release, ops rollback, notify", session.principal.name) as step:
            self.release_and_rollback(step, session, env)
            self.notify(step, session, env)
            self.closed_paths(step, session, env)

    def first_plan(self, session: Session) -> None:
        with self.step("prod: pull request plan, nothing pinned", session.principal.name) as step:
            for unit in (CI_ROLES, *UNITS):
                if unit == "lambda":  # excluded from plans while the pin is empty (_envcommon/lambda.hcl)
                    evaluated = self.evaluate("prod", unit, "plan", session)
                    if (evaluated.value.get("exclude") or {}).get("if") is not True:
                        step.errors.append("prod/lambda: not excluded from plans with an empty pin")
                    continue
                result, made = self.terraform(session, "prod", unit, "plan", {})
                self.judge(step, session, made)
                self.first_plans[unit] = result.returncode
                if result.returncode not in (0, 2):
                    step.errors.append(f"prod/{unit}: terraform plan failed: {last_error(result.stderr)}")

    # --- mutants -----------------------------------------------------------------------------------

    def mutant(self, mutate: Callable[[Path], None], reapply: list[tuple[str, str]]) -> list[str]:
        """Edit the tree, apply the edited units again (each by whoever applies it), then judge every
        recorded call again with the policies now deployed, and assume every role again: what the
        rehearsal denies had the tree been like this from the start."""
        mutate(self.tree)
        denied: list[str] = []
        with ThreadPoolExecutor(max_workers=2) as pool:
            steps = list(pool.map(lambda key: self.reapply(*key), reapply))
        for step in steps:
            denied += step.denied + step.errors
        replay = Step(0, "replay", "")
        for step in list(self.steps):
            for session, made in step.judged:
                principal = session.principal
                if principal.arn in self.roles:  # a CI role: its policies as deployed now
                    principal = self.role_principal(principal.name, principal.arn)
                self.judge(replay, Session(principal, session.credentials), made)
            for name, env, role, claim, environment in step.assumed:
                with contextlib.suppress(botocore.exceptions.ClientError):
                    self.assume(replay, name, env, role, claim, environment)
        return denied + replay.denied + replay.errors

    def reapply(self, env: str, unit: str) -> Step:
        session = self.admins[env] if unit == CI_ROLES else self.deployers[env]
        step = Step(0, f"{env}: apply {unit} (mutant)", session.principal.name)
        self.apply(step, session, env, [unit], {})
        return step

    def failed(self) -> bool:
        return any(step.errors for step in self.steps)


# ---------------------------------------------------------------------------------------------------


def copy_tree(root: Path, dest: Path) -> None:
    """root.hcl, live/ and modules/ (what Terragrunt reads) into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "root.hcl", dest / "root.hcl")
    # The units' committed .terraform.lock.hcl files come along: Terragrunt copies each into its cache.
    ignore = shutil.ignore_patterns(".terragrunt-cache", ".terraform", "tests", "*.tfstate*")
    shutil.copytree(root / "live", dest / "live", ignore=ignore)
    shutil.copytree(root / "modules", dest / "modules", ignore=ignore)


def emulator_credentials() -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def session_env(credentials: dict[str, Any]) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def fake_jwt(claims: dict[str, str]) -> str:
    """A token shaped like GitHub's (moto does not verify signatures; the trust check above is ours)."""
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    payload = {**claims, "iss": f"https://{OIDC_HOST}", "iat": now, "exp": now + 300}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.signature"


def as_document(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        import urllib.parse

        return dict(json.loads(urllib.parse.unquote(value)))
    return dict(value)


def policy_document(iam_client: Any, arn: str) -> dict[str, Any]:
    policy = iam_client.get_policy(PolicyArn=arn)["Policy"]
    version = iam_client.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    return as_document(version["PolicyVersion"]["Document"])


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def last_error(stderr: str) -> str:
    lines = [line.strip("│ ").strip() for line in stderr.splitlines() if line.strip("│ ").strip()]
    errors = [i for i, line in enumerate(lines) if line.startswith("Error:")]
    if not errors:
        return " ".join(lines[-2:])
    return " ".join(lines[errors[0] : errors[0] + 3])
