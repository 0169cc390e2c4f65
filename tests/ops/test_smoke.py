"""`ops smoke` passes against the real app and fails against each mutant of it (tests/ops/mutants.py)
at exactly the checks that cover the rule the mutant breaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops import OpsError, smoke
from shared import contract
from tests.ops.conftest import FakeClock, OpsRunner, ThreadServer
from tests.ops.mutants import (
    AUTH_BREAKS,
    CORS_BREAKS,
    MUTANTS,
    ORIGIN,
    TOKEN,
    VERSION,
    Mutant,
    Mutation,
    answers,
    flaky,
    real_app,
)

# The route examples come from the app's own document, as smoke reads them.
EXAMPLES = contract.examples(real_app().state.openapi)
SUCCESS = {"health", "openapi", "body-at-limit", "head-health", "request-id-invalid"} | {
    e.name for e in EXAMPLES if e.status < 400
}
# Checks that expect a problem+json answer from the app.
ALL_PROBLEMS = {"body-over-limit", "unknown-path", "wrong-method"} | {
    e.name for e in EXAMPLES if e.status >= 400
}
EVERY_CHECK = SUCCESS | ALL_PROBLEMS
CORS = {
    "cors-preflight-hello",
    "cors-preflight-echo",
    "cors-preflight-health",
    "cors-preflight-openapi",
    "cors-simple",
}
AUTH = {"auth-missing", "auth-malformed"}
HELLO_200 = {"hello", "hello-name", "hello-name-chars", "hello-name-64"}

# For each mutant, exactly the checks that must fail.
EXPECTED_FAILURES = {
    "health-status": {"health"},
    "health-version": {"health"},
    "hello-message": HELLO_200,
    "hello-name-ignored": HELLO_200 - {"hello"},
    "hello-name-long-accepted": {"hello-name-65"},
    "hello-name-empty-accepted": {"hello-name-empty"},
    "hello-name-chars-accepted": {"hello-name-invalid"},
    "hello-name-repeated-accepted": {"hello-name-repeated"},
    "echo-wrapped": {"echo", "echo-charset", "echo-depth-32"},
    "echo-charset-rejected": {"echo-charset"},
    "echo-empty-422": {"echo-empty"},
    "echo-malformed-500": {"echo-malformed"},
    "echo-utf8-lenient": {"echo-invalid-utf8"},
    "echo-depth-unchecked": {"echo-depth-33"},
    "echo-depth-off-by-one": {"echo-depth-32"},
    "echo-any-content-type": {"echo-content-type"},
    "limit-unenforced": {"body-over-limit"},
    "limit-off-by-one": {"body-at-limit"},
    "problem-json-type": ALL_PROBLEMS,
    "problem-status-string": ALL_PROBLEMS,
    "problem-status-mismatch": ALL_PROBLEMS,
    "problem-no-request-id": ALL_PROBLEMS,
    "problem-request-id-differs": ALL_PROBLEMS,
    "problem-type": ALL_PROBLEMS,
    "problem-title": ALL_PROBLEMS,
    "problem-no-detail": ALL_PROBLEMS,
    "no-request-id": EVERY_CHECK,
    "request-id-invalid-echoed": {"request-id-invalid"},
    "request-id-bad-format": EVERY_CHECK,
    "no-nosniff-on-errors": ALL_PROBLEMS,
    "no-store-on-success": SUCCESS,
    "hello-text": HELLO_200,
    "openapi-3.0": {"openapi"},
    "openapi-no-health": {"openapi"},
    "unknown-200": {"unknown-path"},
    "method-no-allow": {"wrong-method"},
    "method-404": {"wrong-method"},
    "method-404-plain": {"wrong-method"},
    "head-405": {"head-health"},
    "health-500": {"health", "head-health", "request-id-invalid"},
    "slow-hello": {"hello"},
}
EXPECTED_AUTH_FAILURES = {
    "auth-open": AUTH,
    "auth-any-token": {"auth-malformed"},
    # Smoke keeps /health public: sent without the token, every check of it fails.
    "auth-health": {"health", "head-health", "request-id-invalid"},
    "auth-app-no-challenge": AUTH,
}
EXPECTED_CORS_FAILURES = {
    "cors-none": CORS,
    "cors-wrong-origin": CORS,
    "cors-no-post": {"cors-preflight-echo"},
    "cors-no-headers": {"cors-preflight-echo"},
    "cors-simple-missing": {"cors-simple"},
}


def failures(report: smoke.Report) -> set[str]:
    return {o.name for o in report.outcomes if not o.ok}


def test_every_check_and_mutant_is_accounted_for() -> None:
    assert set(EXPECTED_FAILURES) == set(MUTANTS)
    assert set(EXPECTED_CORS_FAILURES) == set(CORS_BREAKS)
    assert set(EXPECTED_AUTH_FAILURES) == set(AUTH_BREAKS)
    document = contract.read(real_app().state.openapi)
    names = [c.name for c in smoke.first_checks() + smoke.checks(document, ORIGIN, None, token=True)]
    assert sorted(names) == sorted(EVERY_CHECK | CORS | AUTH)
    # Each check is caught failing by at least one mutant.
    caught = set().union(
        *EXPECTED_FAILURES.values(), *EXPECTED_AUTH_FAILURES.values(), *EXPECTED_CORS_FAILURES.values()
    )
    assert caught == EVERY_CHECK | CORS | AUTH


def test_reference_server_passes(contract_server: str) -> None:
    report = smoke.run(f"{contract_server}/ok", warmup=0)
    assert report.ok, report.text()
    assert {o.name for o in report.outcomes} == EVERY_CHECK
    assert all(o.attempts == 1 for o in report.outcomes)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_is_caught(contract_server: str, name: str) -> None:
    # A generous timeout: a busy machine may stall a check for seconds. The copy whose GET /hello
    # never answers must still fail only that check, once the timeout is over.
    report = smoke.run(f"{contract_server}/{name}", warmup=0, timeout=10)
    assert not report.ok
    assert failures(report) == EXPECTED_FAILURES[name], report.text()


def test_cors_reference_passes(contract_server: str) -> None:
    report = smoke.run(f"{contract_server}/cors", origin=ORIGIN, warmup=0)
    assert report.ok, report.text()
    assert {o.name for o in report.outcomes} >= CORS


def test_cors_is_required_when_an_origin_is_given(contract_server: str) -> None:
    assert failures(smoke.run(f"{contract_server}/ok", origin=ORIGIN, warmup=0)) == CORS


@pytest.mark.parametrize("name", sorted(CORS_BREAKS))
def test_each_broken_cors_rule_is_caught(contract_server: str, name: str) -> None:
    report = smoke.run(f"{contract_server}/{name}", origin=ORIGIN, warmup=0)
    assert failures(report) == EXPECTED_CORS_FAILURES[name], report.text()


def test_report_text_names_the_failure(contract_server: str, ops: OpsRunner) -> None:
    result = ops("smoke", "--base-url", f"{contract_server}/no-nosniff-on-errors", "--warmup", "0")
    assert result.code == 1
    assert "FAIL  echo-empty" in result.out
    assert "missing X-Content-Type-Options: nosniff" in result.out
    assert f"\n{len(EVERY_CHECK)} checks, {len(ALL_PROBLEMS)} FAILED in " in result.out


def test_json_report_lists_the_request_ids(contract_server: str, ops: OpsRunner, tmp_path: Path) -> None:
    path = tmp_path / "smoke.json"
    result = ops("smoke", "--base-url", f"{contract_server}/ok/", "--warmup", "0", "--json", str(path))
    assert result.code == 0, result.out
    report = json.loads(path.read_text())
    assert report["ok"] is True
    assert report["base_url"] == f"{contract_server}/ok"
    assert len(report["checks"]) == len(EVERY_CHECK)
    assert report["request_ids"] == [c["request_id"] for c in report["checks"]]
    # The app keeps a valid incoming id, so every id but the one replacing an invalid id is ours.
    ours = [i for i in report["request_ids"] if i.startswith("smoke-")]
    assert len(ours) == len(EVERY_CHECK) - 1
    health = report["checks"][0]
    assert health["name"] == "health"
    assert health["url_path"] == "/ok/health"
    assert health["method"] == "GET"
    assert health["status"] == 200
    for request_id in report["request_ids"]:
        assert request_id in result.out  # printed for the reader too


def test_expect_version(contract_server: str) -> None:
    assert smoke.run(f"{contract_server}/ok", warmup=0, expect_version=VERSION).ok
    report = smoke.run(f"{contract_server}/ok", warmup=0, expect_version="2.0.0")
    assert failures(report) == {"health"}
    assert f"health version '{VERSION}', expected '2.0.0'" in report.text()


def test_skip_leaves_out_a_check(contract_server: str, ops: OpsRunner) -> None:
    url = f"{contract_server}/echo-utf8-lenient"
    assert ops("smoke", "--base-url", url, "--warmup", "0").code == 1
    assert ops("smoke", "--base-url", url, "--warmup", "0", "--skip", "echo-invalid-utf8").code == 0
    unknown = ops("smoke", "--base-url", url, "--skip", "no-such-check")
    assert unknown.code == 2
    assert "unknown check name(s) to skip: no-such-check (this API's: health, openapi, hello, " in unknown.err
    assert unknown.err.count("\n") == 1
    document = ops("smoke", "--base-url", url, "--skip", "openapi")
    assert document.code == 2
    assert "the openapi check cannot be skipped" in document.err


def test_transient_failures_are_retried_in_the_warmup_window() -> None:
    slept: list[float] = []
    with ThreadServer(flaky(real_app(), failures=3)) as server:
        # The server counts requests, not time, so the backoff need not really wait.
        report = smoke.run(server.url, warmup=30, sleep=slept.append)
    assert report.ok, report.text()
    assert report.outcomes[0].attempts == 4
    assert (
        report.outcomes[0].request_id == report.outcomes[1].request_id[:-2] + "00.4"
    )  # fresh id per attempt
    assert slept == [0.2, 0.4, 0.8]  # exponential backoff
    assert all(o.attempts == 1 for o in report.outcomes[1:])


def test_throttling_is_retried() -> None:
    with ThreadServer(flaky(real_app(), failures=2, status=429)) as server:
        report = smoke.run(server.url, warmup=30, sleep=lambda s: None)
    assert report.ok, report.text()
    assert report.outcomes[0].attempts == 3


def test_no_retry_after_the_warmup_window() -> None:
    with ThreadServer(flaky(real_app(), failures=1)) as server:
        report = smoke.run(server.url, warmup=0)
    assert failures(report) == {"health"}
    assert report.outcomes[0].attempts == 1
    assert "expected status 200, got 503" in report.text()


def test_steady_5xx_fails_once_the_warmup_window_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(smoke, "clock", clock)
    with ThreadServer(flaky(real_app(), failures=10**9)) as server:
        report = smoke.run(server.url, warmup=1.0, sleep=clock.sleep)
    # Without the document only the generic checks that need none are made, and fail.
    generic = {"health", "openapi", "unknown-path", "head-health", "request-id-invalid"}
    assert [o.name for o in report.outcomes] == [c.name for c in smoke.first_checks() + smoke.checks(None)]
    assert failures(report) == generic
    # Backoff 0.2, 0.4, then only what is left of the window; every later check is tried once.
    assert clock.slept == [0.2, 0.4, 0.4]
    assert [o.attempts for o in report.outcomes] == [4] + [1] * (len(generic) - 1)
    assert "expected status 200, got 503" in report.text()
    assert "without the document, no route example was checked" in report.text()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"x-max-body-bytes": 10**12}, "x-max-body-bytes 1000000000000 is not 2 to 10485760"),
        ({"x-max-body-bytes": 1}, "x-max-body-bytes 1 is not 2 to 10485760"),
        ({"x-max-body-bytes": "1024"}, "x-max-body-bytes '1024' is not 2 to 10485760"),
        ({"paths": {"/health": {}, "/openapi.json": {}, "/x": {"get": {"x-contract": [{"name": "Bad Name"}]}}}},
         "the route examples cannot be read, so none was checked: GET /x: an x-contract example is malformed"),
    ],
)  # fmt: skip
def test_a_document_smoke_cannot_use_fails_the_openapi_check(
    document: dict[str, object], message: str
) -> None:
    changed = Mutant(
        "the document",
        response=answers("GET", "/openapi.json", lambda r: r.with_json({**r.json(), **document})),
    )
    with ThreadServer(Mutation(real_app(), changed)) as server:
        report = smoke.run(server.url, warmup=0)
    assert "openapi" in failures(report)
    assert message in report.text()
    # Nothing is sent to a body limit that cannot be trusted.
    assert not {"body-at-limit", "body-over-limit"} & {o.name for o in report.outcomes}


def test_an_unreachable_url_is_given_up_once_the_warmup_is_over(monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.emulator import free_port

    clock = FakeClock()
    monkeypatch.setattr(smoke, "clock", clock)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(OpsError, match=r"attempts over 30 s\)$"):
        smoke.run(url, warmup=30, sleep=clock.sleep)
    # Retried with backoff until the window closed, and not after it.
    assert clock.now == pytest.approx(30)
    assert len(clock.slept) > 1


def test_unreachable_url_is_one_line(ops: OpsRunner) -> None:
    from tools.emulator import free_port

    url = f"http://127.0.0.1:{free_port()}"
    result = ops("smoke", "--base-url", url, "--warmup", "0.5")
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"ops smoke: error: cannot reach {url}: ")
    assert "Connection refused" in result.err or "connect" in result.err.lower()
    assert result.err.endswith(" attempts over 0.5 s)\n")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://127.0.0.1/", "base URL must be http(s)"),
        ("127.0.0.1:8000", "base URL must be http(s)"),
        ("http://127.0.0.1:8000/?stage=x", "must not have a query"),
        ("http://[::1", "invalid base URL"),
    ],
)
def test_bad_base_url_is_one_line(ops: OpsRunner, url: str, message: str) -> None:
    result = ops("smoke", "--base-url", url)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1


def test_smoke_never_follows_a_redirect_elsewhere() -> None:
    hits: list[str] = []

    async def elsewhere(scope: dict[str, object], receive: object, send: object) -> None:
        hits.append(str(scope["path"]))
        await real_app()(scope, receive, send)

    with ThreadServer(elsewhere) as other:

        async def redirect(scope: dict[str, object], receive: object, send: object) -> None:
            from starlette.responses import RedirectResponse

            await RedirectResponse(f"{other.url}{scope['path']}", 307)(scope, receive, send)

        with ThreadServer(redirect) as server:
            report = smoke.run(server.url, warmup=0)
    assert not report.ok
    assert hits == []


def test_unknown_skip_name_is_an_ops_error(contract_server: str) -> None:
    with pytest.raises(OpsError, match="unknown check name"):
        smoke.run(f"{contract_server}/ok", skip=("nope",), warmup=0)


@pytest.mark.parametrize("variant", ["auth", "auth-app"])
def test_a_protected_deployment_passes_with_a_token(contract_server: str, variant: str) -> None:
    # API Gateway's 401 ({"message": "Unauthorized"}) and the app's 401 problem both count as refusals.
    report = smoke.run(f"{contract_server}/{variant}", warmup=0, token=TOKEN)
    assert report.ok, report.text()
    assert {o.name for o in report.outcomes} == EVERY_CHECK | AUTH
    assert {o.status for o in report.outcomes if o.name in AUTH} == {401}


def test_without_a_token_the_protected_routes_fail(contract_server: str) -> None:
    report = smoke.run(f"{contract_server}/auth", warmup=0)
    protected = {e.name for e in EXAMPLES if e.path in ("/hello", "/echo")}
    assert failures(report) == protected | {"body-at-limit", "body-over-limit"}


@pytest.mark.parametrize("name", sorted(AUTH_BREAKS))
def test_each_broken_protection_is_caught(contract_server: str, name: str) -> None:
    report = smoke.run(f"{contract_server}/{name}", warmup=0, token=TOKEN)
    assert failures(report) == EXPECTED_AUTH_FAILURES[name], report.text()


def test_a_token_against_an_unprotected_deployment_fails_the_auth_checks(contract_server: str) -> None:
    # Its document marks no operation as protected: nothing to check the token against.
    report = smoke.run(f"{contract_server}/ok", warmup=0, token=TOKEN)
    assert failures(report) == AUTH
    assert "but /openapi.json marks no operation as protected" in report.text()
    # A route named explicitly is checked, and found open.
    named = smoke.run(f"{contract_server}/ok", warmup=0, token=TOKEN, protected_route="GET /hello")
    assert failures(named) == AUTH
    assert "answered 200 without a valid token: the route is not protected" in named.text()


def test_a_protected_post_route(contract_server: str) -> None:
    report = smoke.run(f"{contract_server}/auth", warmup=0, token=TOKEN, protected_route="POST /echo")
    assert report.ok, report.text()
    assert {(o.method, o.path) for o in report.outcomes if o.name in AUTH} == {("POST", "/echo")}


def test_the_token_is_never_shown(
    contract_server: str, ops: OpsRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "smoke.json"
    url = f"{contract_server}/auth-app"
    by_flag = ops("smoke", "--base-url", url, "--warmup", "0", "--token", TOKEN, "--json", str(path))
    assert by_flag.code == 0, by_flag.out
    monkeypatch.setenv("SMOKE_TOKEN", TOKEN)
    by_env = ops("smoke", "--base-url", url, "--warmup", "0", "--json", str(tmp_path / "env.json"))
    assert by_env.code == 0, by_env.out
    failing = ops("smoke", "--base-url", f"{contract_server}/auth-open", "--warmup", "0")
    assert failing.code == 1
    shown = by_flag.out + by_flag.err + by_env.out + by_env.err + failing.out + failing.err
    shown += path.read_text() + (tmp_path / "env.json").read_text()
    for part in [TOKEN, *TOKEN.split(".")]:
        assert part not in shown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", "two words"], "the bearer token must be one word"),
        (["--token", "a\nb"], "the bearer token must be one word"),
        (["--protected-route", "/hello"], "protected route must be METHOD /path"),
        (["--protected-route", "GET /health"], "protected route must be METHOD /path of a non-public route"),
    ],
)
def test_bad_token_or_route_is_one_line(ops: OpsRunner, args: list[str], message: str) -> None:
    result = ops("smoke", "--base-url", "http://127.0.0.1:9", "--token", "abc", *args)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1
    assert "two words" not in result.err


def test_a_version_answering_an_unusable_result_fails_the_checks_without_an_error() -> None:
    """`ops release` smokes one version through ops.invoke: a result API Gateway could not use is its
    500 there too, a failed check, not an unexpected error."""
    import io

    from ops.invoke import BASE_URL, VersionTransport

    class Lambda:
        def invoke(self, **request: object) -> dict[str, object]:
            payload = json.dumps({"statusCode": "oops", "body": "{}"}).encode()
            return {"ExecutedVersion": request["Qualifier"], "Payload": io.BytesIO(payload)}

    report = smoke.run(BASE_URL, warmup=0, transport=VersionTransport(Lambda(), "fn", "7"),
                       retry_server_errors=False)  # fmt: skip
    assert [o.status for o in report.outcomes] == [500] * len(report.outcomes)
    assert failures(report) == {o.name for o in report.outcomes}
    assert "expected status 200, got 500" in report.text()
