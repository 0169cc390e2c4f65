"""Sticky PR comments and the drift issue, against a fake GitHub API on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ci import drift_issue, sticky_comment
from ci.markdown import marker
from tests.ci.fake_github import TOKEN, State, start


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[State]:
    state = State()
    server, url = start(state)
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", state.repository)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    yield state
    server.shutdown()


def pull_request_event(tmp_path: Path, number: int) -> Path:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": number}}))
    return event


def test_sticky_comment_is_created_once_then_updated_in_place(
    github: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr = github.add_issue("a change", [], pull_request=True)
    for n in range(130):  # more than one page of other people's comments
        github.add_comment(pr, f"comment {n}")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(pull_request_event(tmp_path, pr)))
    body = tmp_path / "body.md"
    for text in ("first", "second"):
        body.write_text(f"{marker('plan-dev')}\n{text}")
        assert sticky_comment.main(["--marker", "plan-dev", "--body-file", str(body)]) == 0
    sticky = [c for c in github.comments_on(pr) if marker("plan-dev") in c["body"]]
    assert len(sticky) == 1
    assert sticky[0]["body"].endswith("second")
    # Another marker is another comment.
    body.write_text(f"{marker('plan-prod')}\nprod")
    assert sticky_comment.main(["--marker", "plan-prod", "--body-file", str(body), "--pr", str(pr)]) == 0
    assert len(github.comments_on(pr)) == 132


def test_sticky_comment_errors_are_one_line(
    github: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.md"
    body.write_text("no marker here")
    assert sticky_comment.main(["--marker", "scan", "--body-file", str(body), "--pr", "1"]) == 1
    assert "must contain its marker" in capsys.readouterr().err

    body.write_text(marker("scan") + "x" * 70_000)
    assert sticky_comment.main(["--marker", "scan", "--body-file", str(body), "--pr", "1"]) == 1
    assert "GitHub takes 65,536" in capsys.readouterr().err

    body.write_text(marker("scan"))
    assert sticky_comment.main(["--marker", "scan", "--body-file", str(body), "--pr", "999"]) == 1
    err = capsys.readouterr().err
    assert "HTTP 404" in err
    assert len(err.strip().splitlines()) == 1

    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    github.add_issue("pr", [], pull_request=True)
    assert sticky_comment.main(["--marker", "scan", "--body-file", str(body), "--pr", "1"]) == 1
    assert "HTTP 401" in capsys.readouterr().err

    monkeypatch.delenv("GITHUB_TOKEN")
    assert sticky_comment.main(["--marker", "scan", "--body-file", str(body), "--pr", "1"]) == 1
    assert "GITHUB_TOKEN" in capsys.readouterr().err


def test_sticky_comment_needs_a_pull_request_event(
    github: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "body.md"
    body.write_text(marker("scan"))
    push_event = tmp_path / "push.json"
    push_event.write_text(json.dumps({"ref": "refs/heads/main"}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(push_event))
    assert sticky_comment.main(["--marker", "scan", "--body-file", str(body)]) == 1
    assert "not a pull_request event" in capsys.readouterr().err


def reports(directory: Path, **states: str) -> Path:
    directory.mkdir(exist_ok=True)
    for stale in directory.iterdir():
        stale.unlink()
    for env, state in states.items():
        (directory / f"{env}.json").write_text(json.dumps({"env": env, "state": state, "counts": {}}))
        (directory / f"{env}.md").write_text(f"{marker('drift-' + env)}\n### {env}: {state}\n")
    return directory


def drift_issues(github: State) -> list[dict]:
    return [i for i in github.issues.values() if "drift" in [label["name"] for label in i["labels"]]]


def test_drift_opens_one_issue_updates_it_and_closes_it_after_a_clean_night(
    github: State, tmp_path: Path
) -> None:
    directory = tmp_path / "reports"
    assert drift_issue.main(["--reports", str(reports(directory, dev="changes", prod="clean"))]) == 0
    (issue,) = drift_issues(github)
    assert issue["state"] == "open"
    assert "### dev: changes" in issue["body"]
    assert "### prod: clean" in issue["body"]
    assert "actions/runs/4242" in issue["body"]
    assert github.labels == {"drift"}

    assert drift_issue.main(["--reports", str(reports(directory, dev="changes", prod="changes"))]) == 0
    (issue,) = drift_issues(github)  # still one issue, rewritten
    assert "### prod: changes" in issue["body"]

    assert drift_issue.main(["--reports", str(reports(directory, dev="clean", prod="clean"))]) == 0
    (issue,) = drift_issues(github)
    assert issue["state"] == "closed"
    assert "No drift" in github.comments_on(issue["number"])[-1]["body"]

    # Drift again: a new issue (the label already exists: 422 is not an error).
    assert drift_issue.main(["--reports", str(reports(directory, dev="changes"))]) == 0
    assert [i["state"] for i in drift_issues(github)] == ["closed", "open"]


def test_a_failed_plan_fails_the_run_and_leaves_the_issue_alone(
    github: State, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "reports"
    assert drift_issue.main(["--reports", str(reports(directory, dev="changes"))]) == 0
    (issue,) = drift_issues(github)
    body = issue["body"]
    assert drift_issue.main(["--reports", str(reports(directory, dev="clean", prod="error"))]) == 1
    assert "the plan failed for prod" in capsys.readouterr().out
    (issue,) = drift_issues(github)
    assert issue["state"] == "open"
    assert issue["body"] == body
    # Drift in one environment and an error in the other: the issue is updated and the run fails.
    assert drift_issue.main(["--reports", str(reports(directory, dev="changes", prod="error"))]) == 1
    assert "prod: error" in drift_issues(github)[0]["body"]


def test_drift_issue_body_fits_githubs_limit(github: State, tmp_path: Path) -> None:
    directory = reports(tmp_path / "reports", dev="changes", prod="changes")
    for env in ("dev", "prod"):
        (directory / f"{env}.md").write_text(marker(f"drift-{env}") + "\n" + "x" * 60_000)
    assert drift_issue.main(["--reports", str(directory)]) == 0
    (issue,) = drift_issues(github)
    assert len(issue["body"]) <= 65_536
    assert issue["body"].count("(cut; see the run)") == 2


def test_drift_issue_without_reports_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert drift_issue.main(["--reports", str(tmp_path / "empty")]) == 1
    assert "no <env>.json" in capsys.readouterr().err
