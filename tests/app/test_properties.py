"""Property-based tests: whatever arrives, JSON round-trips and nothing turns into a 5xx."""

from __future__ import annotations

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import app
from tests.app.transports import Asgi, Lambda, Reply

asgi = Asgi(app)
lambda_plain = Lambda()
lambda_b64 = Lambda(base64_bodies=True)
TRANSPORTS = st.sampled_from([asgi, lambda_plain, lambda_b64])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_no_server_error(reply: Reply, head: bool = False) -> None:
    assert reply.status < 500, reply.body
    assert reply.headers["x-request-id"]
    if reply.status >= 400:
        assert reply.headers["content-type"] == "application/problem+json"
        if head:
            assert reply.body == b""
        else:
            assert reply.json()["status"] == reply.status


@SETTINGS
@given(value=json_values, ensure_ascii=st.booleans(), transport=TRANSPORTS)
def test_any_json_value_round_trips_through_echo(value: object, ensure_ascii: bool, transport: Asgi) -> None:
    payload = json.dumps(value, ensure_ascii=ensure_ascii).encode()
    reply = transport("POST", "/echo", headers={"content-type": "application/json"}, body=payload)
    assert reply.status == 200
    assert reply.body == payload
    assert json.loads(reply.body) == value


@SETTINGS
@given(
    body=st.binary(max_size=2048),
    content_type=st.sampled_from([None, "application/json", "text/plain", "a/b"]),
)
def test_arbitrary_bytes_never_cause_a_server_error(body: bytes, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    for transport in (asgi, lambda_plain, lambda_b64):
        assert_no_server_error(transport("POST", "/echo", headers=headers, body=body))


header_names = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=20)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
)


@SETTINGS
@given(
    headers=st.dictionaries(header_names, header_values, max_size=6),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW"]),
    path=st.sampled_from(["/hello", "/echo", "/health", "/openapi.json", "/nope"]),
    transport=TRANSPORTS,
)
def test_arbitrary_headers_and_methods_never_cause_a_server_error(
    headers: dict[str, str], method: str, path: str, transport: Asgi
) -> None:
    # Content-Length must stay truthful (the server enforces that before the app runs).
    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
    assert_no_server_error(transport(method, path, headers=headers, body=b"{}"), head=method == "HEAD")


@SETTINGS
@given(
    path=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=60
    ).map(lambda p: "/" + p),
    query=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"), max_size=60
    ),
    transport=TRANSPORTS,
)
def test_arbitrary_paths_and_queries_never_cause_a_server_error(
    path: str, query: str, transport: Asgi
) -> None:
    assert_no_server_error(transport("GET", path, query=query))


@SETTINGS
@given(name=st.text(max_size=80), transport=TRANSPORTS)
def test_hello_answers_200_or_422_for_any_name(name: str, transport: Asgi) -> None:
    from urllib.parse import quote

    reply = transport("GET", "/hello", query="name=" + quote(name, safe=""))
    assert reply.status in (200, 422)
    if reply.status == 200:
        assert reply.json() == {"message": f"Hello, {name}!"}
