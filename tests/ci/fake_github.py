"""A small in-memory stand-in for the GitHub REST endpoints ci/github.py calls, on 127.0.0.1.

Issues, pull requests and comments share one number space as on GitHub; lists paginate with
`per_page`/`page`; creating a label that exists answers 422; every call must carry the token.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TOKEN = "test-token"  # noqa: S105 (a fake)


@dataclass
class State:
    repository: str = "example-org/lambda-api"
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def add_issue(self, title: str, labels: list[str], *, pull_request: bool = False) -> int:
        number = len(self.issues) + 1
        issue: dict[str, Any] = {"number": number, "title": title, "body": "", "state": "open",
                                 "labels": [{"name": n} for n in labels]}  # fmt: skip
        if pull_request:
            issue["pull_request"] = {"url": "..."}
        self.issues[number] = issue
        return number

    def add_comment(self, issue: int, body: str) -> int:
        comment_id = self.new_id()
        self.comments[comment_id] = {"id": comment_id, "issue": issue, "body": body}
        return comment_id

    def comments_on(self, issue: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == issue]


def handler(state: State) -> type[BaseHTTPRequestHandler]:
    prefix = f"/repos/{state.repository}"

    class GitHubApi(BaseHTTPRequestHandler):
        def reply(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def route(self, method: str) -> None:
            url = urlparse(self.path)
            state.calls.append((method, url.path))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.reply(401, {"message": "Bad credentials"})
                return
            if not url.path.startswith(prefix):
                self.reply(404, {"message": "Not Found"})
                return
            path = url.path.removeprefix(prefix)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, result = dispatch(method, path, query, body)
            self.reply(status, result)

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def do_PATCH(self) -> None:
            self.route("PATCH")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    def page(items: list[Any], query: dict[str, str]) -> list[Any]:
        size, number = int(query.get("per_page", 30)), int(query.get("page", 1))
        return items[(number - 1) * size : number * size]

    def dispatch(method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if match := re.fullmatch(r"/issues/(\d+)/comments", path):
            number = int(match.group(1))
            if number not in state.issues:
                return 404, {"message": "Not Found"}
            if method == "GET":
                return 200, page(state.comments_on(number), query)
            comment_id = state.add_comment(number, body["body"])
            return 201, state.comments[comment_id]
        if (match := re.fullmatch(r"/issues/comments/(\d+)", path)) and method == "PATCH":
            comment = state.comments.get(int(match.group(1)))
            if comment is None:
                return 404, {"message": "Not Found"}
            comment["body"] = body["body"]
            return 200, comment
        if path == "/issues" and method == "GET":
            wanted = query.get("labels")
            found = [
                i for i in state.issues.values()
                if i["state"] == query.get("state", "open") and (not wanted or wanted in [x["name"] for x in i["labels"]])
            ]  # fmt: skip
            return 200, page(found, query)
        if path == "/issues" and method == "POST":
            number = state.add_issue(body["title"], body.get("labels", []))
            state.issues[number]["body"] = body.get("body", "")
            return 201, state.issues[number]
        if (match := re.fullmatch(r"/issues/(\d+)", path)) and method == "PATCH":
            issue = state.issues[int(match.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("body", "state", "title", "state_reason")})
            return 200, issue
        if path == "/labels" and method == "POST":
            if body["name"] in state.labels:
                return 422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]}
            state.labels.add(body["name"])
            return 201, {"name": body["name"]}
        return 404, {"message": "Not Found"}

    return GitHubApi


def start(state: State) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
