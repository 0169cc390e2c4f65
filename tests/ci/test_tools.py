"""ci scripts that drive other tools (terragrunt, docker): run against recording stand-ins on PATH,
since neither Terragrunt nor a Docker engine exists on these machines; and ci.invoke_image's
error paths (its success path runs in tests/image/test_image_sh.py through tools/image.sh)."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ci import base_image, invoke_image, stack_outputs
from shared import contract

ROOT = Path(__file__).resolve().parents[2]


def stand_in(directory: Path, name: str, body: str) -> None:
    """An executable `name` in `directory` running the Python `body` (argv in sys.argv)."""
    directory.mkdir(exist_ok=True)
    script = directory / name
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(0o755)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return directory


# --- stack outputs -------------------------------------------------------------------------------------

OUTPUTS = {
    "api-gateway": {"api_endpoint": {"value": "https://abc123.execute-api.eu-west-1.amazonaws.com", "type": "string",
                                     "sensitive": False}, "api_id": {"value": "abc123", "sensitive": False}},
    "lambda": {"function_name": {"value": "lambda-api-dev", "sensitive": False},
               "version": {"value": "12", "sensitive": False},
               "log_group_name": {"value": "/aws/lambda/lambda-api-dev", "sensitive": False}},
    "monitoring": {"alarm_names": {"value": ["lambda-api-dev-errors", "lambda-api-dev-p99"], "sensitive": False},
                   "release": {"value": {"canary_percents": [10, 50], "step_seconds": 300, "bake_seconds": 600,
                                         "service": "lambda-api-dev"}, "sensitive": False}},
    "ecr": {},
}  # fmt: skip


def live_tree(tmp_path: Path, outputs: dict[str, dict]) -> Path:
    env = tmp_path / "live" / "dev"
    for unit, values in outputs.items():
        (env / unit).mkdir(parents=True)
        (env / unit / "terragrunt.hcl").write_text("# unit\n")
        (env / unit / "outputs.json").write_text(json.dumps(values))
    (env / "env.hcl").write_text("locals {}\n")
    cache = env / "lambda" / ".terragrunt-cache" / "x"
    cache.mkdir(parents=True)
    (cache / "terragrunt.hcl").write_text("# a copy terragrunt made: not a unit\n")
    return env


TERRAGRUNT = """
import json, pathlib, sys
args = sys.argv[1:]
unit = pathlib.Path(args[args.index("--working-dir") + 1])
assert args[args.index("--") + 1:] == ["output", "-json"], args
assert "--log-disable" in args and "--non-interactive" in args
if (unit / "broken").exists():
    print("ERROR: no credentials", file=sys.stderr)
    sys.exit(1)
print((unit / "outputs.json").read_text())
"""


def test_stack_outputs_merges_the_units(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(bin_dir, "terragrunt", TERRAGRUNT)
    env = live_tree(tmp_path, OUTPUTS)
    github_output, alarms = tmp_path / "github_output", tmp_path / "alarms.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(github_output))
    assert stack_outputs.main(["--working-dir", str(env), "--alarms-file", str(alarms)]) == 0
    assert github_output.read_text().splitlines() == [
        "api_url=https://abc123.execute-api.eu-west-1.amazonaws.com",
        "function_name=lambda-api-dev",
        "function_version=12",
        "log_group_name=/aws/lambda/lambda-api-dev",
        'alarm_names=["lambda-api-dev-errors","lambda-api-dev-p99"]',
        "release_canary_percents=10,50",
        "release_step_seconds=300",
        "release_bake_seconds=600",
        "release_service=lambda-api-dev",
    ]
    assert alarms.read_text() == "lambda-api-dev-errors\nlambda-api-dev-p99\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["lambda"].pop("version"), "no unit under"),
        (lambda o: o["ecr"].update(function_name={"value": "other", "sensitive": False}), "several units"),
        (lambda o: o["lambda"]["log_group_name"].update(sensitive=True), "sensitive"),
        (lambda o: o["lambda"]["function_name"].update(value="x\nfunction_version=999"), "unexpected value"),
        (lambda o: o["monitoring"]["alarm_names"].update(value="one"), "must be a list"),
        (lambda o: o["monitoring"]["release"].update(value=[10]), "release must be an object"),
        (lambda o: o["monitoring"]["release"]["value"].update(service="x\ny=1"), "unexpected value"),
    ],
)
def test_stack_outputs_refuses_what_it_cannot_trust(
    bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change, message: str
) -> None:
    stand_in(bin_dir, "terragrunt", TERRAGRUNT)
    outputs = json.loads(json.dumps(OUTPUTS))
    change(outputs)
    env = live_tree(tmp_path, outputs)
    assert stack_outputs.main(["--working-dir", str(env)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_stack_outputs_reports_a_failing_unit(
    bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in(bin_dir, "terragrunt", TERRAGRUNT)
    env = live_tree(tmp_path, OUTPUTS)
    (env / "lambda" / "broken").touch()
    assert stack_outputs.main(["--working-dir", str(env)]) == 1
    assert "terragrunt output failed (1): ERROR: no credentials" in capsys.readouterr().err
    assert stack_outputs.main(["--working-dir", str(tmp_path / "nowhere")]) == 1
    assert "no units" in capsys.readouterr().err


# --- base image --------------------------------------------------------------------------------------

DIGEST = "sha256:" + "ab" * 32
DOCKER = f"""
import sys
args = sys.argv[1:]
assert args[:3] == ["buildx", "imagetools", "inspect"], args
if args[3] != "public.ecr.aws/lambda/python:3.13":
    print("ERROR: not found: " + args[3], file=sys.stderr)
    sys.exit(1)
print("{DIGEST}")
"""


def test_base_image_pins_the_dockerfiles_tag(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(bin_dir, "docker", DOCKER)
    github_output = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(github_output))
    assert base_image.main(["--dockerfile", str(ROOT / "Dockerfile")]) == 0
    assert github_output.read_text() == f"reference=public.ecr.aws/lambda/python:3.13\ndigest=@{DIGEST}\n"


def test_base_image_errors(bin_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stand_in(bin_dir, "docker", DOCKER)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM public.ecr.aws/lambda/python:3.12\n")
    assert base_image.main(["--dockerfile", str(dockerfile)]) == 1
    assert "cannot resolve public.ecr.aws/lambda/python:3.12: ERROR: not found" in capsys.readouterr().err
    dockerfile.write_text("ARG BASE\nFROM ${BASE}\n")
    assert base_image.main(["--dockerfile", str(dockerfile)]) == 1
    assert "must name a tagged image" in capsys.readouterr().err


# --- invoke_image error paths ------------------------------------------------------------------------


def test_invoke_image_unreachable_emulator_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from tools.emulator import free_port

    url = f"http://127.0.0.1:{free_port()}{invoke_image.INVOCATIONS_PATH}"
    assert invoke_image.main(["--url", url, "--wait", "0.3"]) == 1
    out = capsys.readouterr().out
    # Nothing answered the document's request: no route example is known, none is tried.
    assert out.count("FAIL") == 1
    assert "no answer from" in out
    assert "Traceback" not in out
    assert out.rstrip().endswith("0 of 1 checks passed")


def test_invoke_image_flags_runtime_errors_and_wrong_shapes() -> None:
    from app.main import app

    case = invoke_image.cases(contract.read(app.state.openapi), "1.0.0")[0]
    assert case.name == "GET /hello (hello)"
    good = {"statusCode": 200, "headers": {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store", "X-Request-ID": case.event["requestContext"]["requestId"]},
            "body": '{"message": "Hello, World!"}'}  # fmt: skip
    assert invoke_image.check(case, good) == []
    assert invoke_image.check(case, {**good, "statusCode": 500}) == ["expected status 200, got 500"]
    assert "body is not JSON" in invoke_image.check(case, {**good, "body": "<html>"})[-1]
    problems = invoke_image.check(case, {**good, "headers": {}})
    assert any("Content-Type" in p for p in problems)
    assert any("x-request-id" in p for p in problems)
    health = invoke_image.cases(contract.read(app.state.openapi), "1.0.0")[-1]
    wrong_version = {**good, "headers": {**good["headers"], "X-Request-ID": health.event["requestContext"]["requestId"]},
                     "body": '{"status": "ok", "version": "0.9.0"}'}  # fmt: skip
    # The same judgement and words as `ops smoke`'s (contract.health).
    assert invoke_image.check(health, wrong_version) == ["health version '0.9.0', expected '1.0.0'"]


def test_invoke_image_sends_each_example_as_api_gateway_would() -> None:
    import base64

    from app.main import app

    document = contract.read(app.state.openapi)
    cases = invoke_image.cases(document, None)[:-1]  # the examples' cases; /health is last
    events = {example.name: case.event for example, case in zip(document.examples, cases, strict=True)}
    for example, case in zip(document.examples, cases, strict=True):
        event, name = case.event, example.name
        assert case.name.endswith(f"({name})")
        sent = (
            base64.b64decode(event["body"])
            if event.get("isBase64Encoded")
            else event.get("body", "").encode()
        )
        assert sent == (example.body or b""), name
        assert event["rawQueryString"] == example.query, name
        assert event["headers"].get("content-type") == example.headers.get("content-type"), name
    # Text of a text type goes as text; bytes that are not UTF-8 go base64-encoded.
    assert events["echo"]["isBase64Encoded"] is False
    assert events["echo-content-type"]["isBase64Encoded"] is False
    assert events["echo-invalid-utf8"]["isBase64Encoded"] is True


# Results API Gateway cannot make a response of: its 500, whoever turns the result into an answer.
UNUSABLE_RESULTS = [
    {"statusCode": "oops", "body": "{}"},
    {"statusCode": None},
    {"statusCode": 99},
    {"statusCode": 600},
    {"statusCode": 200, "isBase64Encoded": True, "body": "abc"},  # not base64 (bad padding)
    {"statusCode": 200, "isBase64Encoded": True, "body": 12},
    {"statusCode": 200, "headers": ["content-type"]},
]


@pytest.mark.parametrize("result", UNUSABLE_RESULTS, ids=range(len(UNUSABLE_RESULTS)))
def test_an_unusable_result_is_api_gateways_500(result: dict[str, object]) -> None:
    from app.main import app
    from shared.events import http_response

    assert http_response(result) == (
        500, [("content-type", "application/json")], b'{"message":"Internal Server Error"}'
    )  # fmt: skip
    case = invoke_image.cases(contract.read(app.state.openapi), "1.0.0")[0]
    problems = invoke_image.check(case, result)
    assert problems[0] == "expected status 200, got 500"
    assert "missing X-Request-ID header" in problems


HEALTHY = json.dumps({"status": "ok", "version": "1.0.0"})


def emulator(document: object) -> Callable[[str, dict[str, Any], float], dict[str, Any]]:
    """An `invoke` answering /openapi.json with `document` and /health as the app does."""

    def invoke(url: str, event: dict[str, Any], deadline: float) -> dict[str, Any]:
        body = json.dumps(document) if event["rawPath"] == "/openapi.json" else HEALTHY
        headers = {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff",
                   "Cache-Control": "no-store", "X-Request-ID": event["requestContext"]["requestId"]}  # fmt: skip
        return {"statusCode": 200, "headers": headers, "body": body}

    return invoke


def test_invoke_image_says_when_the_examples_cannot_be_read(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {"openapi": "3.1.0", "info": {"title": "t"},
                "paths": {"/health": {}, "/openapi.json": {}, "/x": {"get": {"x-contract": [{"name": "x"}]}}}}  # fmt: skip
    monkeypatch.setattr(invoke_image, "invoke", emulator(document))
    assert invoke_image.run("http://127.0.0.1:9/x", None, 0) == 1
    out = capsys.readouterr().out
    # One verdict for the document, never an "ok" taken back; /health is checked all the same.
    assert out.splitlines()[:2] == [
        "FAIL GET /openapi.json",
        "     the route examples cannot be read, so none was checked: GET /x: an x-contract example is "
        "malformed (KeyError: 'response')",
    ]
    assert "ok   GET /health" in out
    assert out.rstrip().endswith("1 of 2 checks passed")


@pytest.mark.parametrize("document", [["not", "an", "object"], {"openapi": "3.0.3"}])
def test_invoke_image_checks_health_without_a_usable_document(
    document: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invoke_image, "invoke", emulator(document))
    assert invoke_image.run("http://127.0.0.1:9/x", "1.0.0", 0) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL GET /openapi.json\n")
    assert out.count("FAIL") == 1
    assert "ok   GET /health" in out
    assert out.rstrip().endswith("1 of 2 checks passed")


def test_invoke_image_checks_health_when_the_document_request_fails(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy = emulator({})

    def invoke(url: str, event: dict[str, Any], deadline: float) -> dict[str, Any]:
        if event["rawPath"] == "/openapi.json":
            raise invoke_image.InvokeError("the function failed: Boom: no document")
        return healthy(url, event, deadline)

    monkeypatch.setattr(invoke_image, "invoke", invoke)
    assert invoke_image.run("http://127.0.0.1:9/x", "1.0.0", 0) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == ["FAIL GET /openapi.json", "     the function failed: Boom: no document"]
    assert "ok   GET /health" in out
    assert out.rstrip().endswith("1 of 2 checks passed")


# --- commit_pin ----------------------------------------------------------------------------------------


def sh_git(cwd: Path, *args: str) -> str:
    import subprocess

    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare origin on disk, the job's checkout of it and a colleague's clone."""
    origin, seed = tmp_path / "origin.git", tmp_path / "seed"
    sh_git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    (seed / "live" / "dev").mkdir(parents=True)
    (seed / "live" / "dev" / "env.hcl").write_text('locals {\n  image_uri   = ""\n  app_version = ""\n}\n')
    (seed / "README.md").write_text("x\n")
    sh_git(tmp_path, "init", "--quiet", "--initial-branch=main", str(seed))
    sh_git(seed, "add", ".")
    sh_git(seed, "commit", "--quiet", "-m", "seed")
    sh_git(seed, "remote", "add", "origin", str(origin))
    sh_git(seed, "push", "--quiet", "origin", "main")
    job, colleague = tmp_path / "job", tmp_path / "colleague"
    sh_git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{origin}", str(job))
    sh_git(tmp_path, "clone", "--quiet", str(origin), str(colleague))
    return origin, job, colleague


IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/lambda-api-dev@sha256:" + "c" * 64


def pin(repo: Path, image: str = IMAGE) -> None:
    path = repo / "live" / "dev" / "env.hcl"
    path.write_text(path.read_text().replace('image_uri   = ""', f'image_uri   = "{image}"'))


def test_commit_pin_rebases_over_a_concurrent_push(
    repos: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ci import commit_pin

    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    # As on a runner: no git identity anywhere, yet the rebase must re-commit the pin.
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    origin, job, colleague = repos
    (colleague / "README.md").write_text("someone merged meanwhile\n")
    sh_git(colleague, "commit", "--quiet", "-am", "another change")
    sh_git(colleague, "push", "--quiet", "origin", "main")
    pin(job)
    assert commit_pin.main(["--environment", "dev", "--image", IMAGE, "--repo", str(job)]) == 0
    log = sh_git(origin, "log", "--format=%an|%s", "main").splitlines()
    assert log[0] == f"{commit_pin.BOT_NAME}|deploy: pin dev to sha256:cccccccccccc"
    assert log[1] == "t|another change"
    assert IMAGE in sh_git(origin, "show", "main:live/dev/env.hcl")
    # Nothing new to pin: nothing committed.
    assert commit_pin.main(["--environment", "dev", "--image", IMAGE, "--repo", str(job)]) == 0
    assert len(sh_git(origin, "log", "--format=%s", "main").splitlines()) == 3


def test_commit_pin_refuses_to_overwrite_another_pin(
    repos: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ci import commit_pin

    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    origin, job, colleague = repos
    other = IMAGE.replace("c" * 64, "d" * 64)
    pin(colleague, other)
    sh_git(colleague, "commit", "--quiet", "-am", "another deploy pinned dev")
    sh_git(colleague, "push", "--quiet", "origin", "main")
    pin(job)
    assert commit_pin.main(["--environment", "dev", "--image", IMAGE, "--repo", str(job)]) == 1
    assert "conflicts with origin/main" in capsys.readouterr().err
    assert other in sh_git(origin, "show", "main:live/dev/env.hcl")
    assert commit_pin.main(["--environment", "../x", "--image", IMAGE, "--repo", str(job)]) == 2


def test_commit_pin_authenticates_with_a_header_not_the_url() -> None:
    from ci import commit_pin

    assert commit_pin.auth_header({}) == []
    flag, header = commit_pin.auth_header(
        {"GITHUB_TOKEN": "s3cret", "GITHUB_SERVER_URL": "https://github.com"}
    )
    assert flag == "-c"
    assert header.startswith("http.https://github.com/.extraheader=AUTHORIZATION: basic ")
    assert "s3cret" not in header  # base64 of x-access-token:<token>, as actions/checkout does
