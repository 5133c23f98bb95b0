"""schemathesis over /api/openapi.json: every operation, with the tokens that may call it, answers no 5xx and
only what the document says (status, content type, body schema); a stateful run follows the document's links."""

from __future__ import annotations

import copy
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, assume, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import formats
from schemathesis.specs.openapi.checks import positive_data_acceptance

from live.api.docs import endpoints_key
from live.api.openapi import build_openapi
from live.api.routing import Endpoint
from live.app import create_app
from live.config import Settings
from tests.conftest import free_port, make_settings
from tests.fuzz.target import FuzzTarget, serve
from tests.services import Services

EXAMPLES = 50
STATEFUL_EXAMPLES = 15
STATEFUL_STEPS = 200  # steps in all, over up to STATEFUL_ROUNDS runs of the state machine
STATEFUL_ROUNDS = 20
MEDIA = r"/(whip|whep)"  # application/sdp: schemathesis has no serializer for it (tests/streams cover them)
PLACEHOLDER_URL = "http://127.0.0.1"
HTTP_LINE_LIMIT = 8190  # aiohttp's max_line_size and max_field_size
# The seeded live show must stay live for the operations after this one (taps, cards, deals): it ends shows
# made in the sequences, and unknown ones.
ENDS_SEEDED_SHOW = {"POST /api/shows/{show_id}/end"}
# Every check but "a schema-valid request is accepted": a valid id of a show that does not exist is a 404.
EXCLUDED: list[schemathesis.CheckFunction] = [positive_data_acceptance]
FUZZ_SETTINGS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


def _endpoints() -> list[Endpoint]:
    """The app's endpoint declarations (the app is built, not started: nothing connects)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), secret_key=secrets.token_urlsafe(32),
                                  redis_url="redis://127.0.0.1:9/0", database_url=f"sqlite+aiosqlite:///{tmp}/x.db"))
        endpoints: list[Endpoint] = app[endpoints_key]
        return list(endpoints)


# The ends of the calendar, in the furthest zones: the default date-time strategy reaches them too rarely.
CALENDAR_ENDS = ("0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "0001-01-01T23:59:59-23:59",
                 "9999-12-31T23:59:59.999999Z", "9999-12-31T00:00:00-14:00", "9999-12-31T23:59:59+23:59")
schemathesis.openapi.format(
    "date-time", st.one_of(st.sampled_from(CALENDAR_ENDS), formats.rfc3339_values("date-time"))
)
ENDPOINTS = _endpoints()
ROLES = {(ep.method, ep.path): ep.roles for ep in ENDPOINTS}
# pytest needs the operations when it collects, so the document is built the way the server builds it;
# test_the_served_document_is_the_one_fuzzed proves that they are the same.
DOCUMENT = build_openapi(ENDPOINTS, PLACEHOLDER_URL)


def _integers_as_clients_send_them(body: Any) -> Any:
    """JSON Schema counts 5.0 as an integer; the API (strict, like its clients) wants 5. Without this most
    valid bodies with a number in them would be refused before they reach the code behind."""
    if isinstance(body, dict):
        return {key: _integers_as_clients_send_them(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_integers_as_clients_send_them(value) for value in body]
    if isinstance(body, float) and body.is_integer():
        return int(body)
    return body


def _schema(*modes: schemathesis.GenerationMode) -> Any:
    loaded = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT)).exclude(path_regex=MEDIA)
    loaded.hook("map_body")(lambda ctx, body: _integers_as_clients_send_them(body))
    # The tests send the caller's token themselves; an invalid one schemathesis made would be replaced.
    loaded.config.generation.update(modes=list(modes), with_security_parameters=False)
    return loaded


schema = _schema(schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
# Schemathesis's coverage phase (boundary values: the shortest and longest strings, the first and last dates,
# each type a field must not have) runs only where the test draws nothing of its own, so it has its own test.
boundaries_schema = _schema(schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
boundaries_schema.config.phases.fuzzing.enabled = False
boundaries_schema.config.phases.examples.enabled = False
# Sequences use valid requests only, to get deep (the single operations get the invalid ones).
linked_schema = _schema(schemathesis.GenerationMode.POSITIVE)
linked_schema.config.phases.stateful.inference.algorithms = []  # the document's own links, not guessed ones


@pytest.fixture(scope="module")
def target(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    with serve(make_settings(services, data_dir, port=port, public_url=PLACEHOLDER_URL)) as served:
        yield served


def callers(target: FuzzTarget, case: schemathesis.Case) -> list[str | None]:
    """The tokens that may call the operation, preferred first: anyone (and no one) for a public one."""
    roles = ROLES[(case.operation.method.upper(), case.operation.path)]
    tokens = target.seed.tokens
    if roles is None:
        return [tokens["viewer"], None, tokens["merchant"], tokens["host"]]
    preferred = ("merchant", "viewer", "host", "affiliate")
    return [tokens[role] for role in preferred if not roles or role in roles]


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def use_known_ids(case: schemathesis.Case, target: FuzzTarget, pick: Callable[[str, list[str]], str | None]) -> None:
    """Put ids of things that exist into the path and the body's id fields where ``pick`` says so; not into
    the body of an invalid case (the id may be what makes it invalid)."""
    places = [case.path_parameters or {}] if case.operation.label not in ENDS_SEEDED_SHOW else []
    negative = case.meta is not None and case.meta.generation.mode is schemathesis.GenerationMode.NEGATIVE
    if isinstance(case.body, dict) and not negative:
        places.append(case.body)
    for place in places:
        for name in place:
            known = target.seed.ids.get(name)
            chosen = pick(name, known) if known else None
            if chosen is not None:
                place[name] = chosen


def fits_the_http_layer(case: schemathesis.Case, base_url: str, headers: dict[str, str]) -> bool:
    """aiohttp refuses a request line or a header over 8 KiB with a plain-text 400 before the API sees it
    (as a proxy in front would): that is the HTTP server's limit, not an answer of an operation."""
    kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
    prepared = requests.Request(kwargs["method"], kwargs["url"], headers=kwargs["headers"],
                                params=kwargs.get("params")).prepare()
    lines = [f"{prepared.method} {prepared.path_url} HTTP/1.1".encode("utf-8", "surrogatepass")]
    lines += [name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"))
              for name, value in prepared.headers.items()]
    return all(len(line) < HTTP_LINE_LIMIT for line in lines)


def test_the_served_document_is_the_one_fuzzed(target: FuzzTarget) -> None:
    served = requests.get(f"{target.base_url}/api/openapi.json", timeout=10).json()
    assert served == DOCUMENT
    assert all("/whip" in path or "/whep" in path or path in {op.path for op in _operations()}
               for path in DOCUMENT["paths"]), "an operation is left out of the fuzzing"


def _operations() -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


@schema.parametrize()
@schema.given(data=st.data())
@settings(FUZZ_SETTINGS, max_examples=EXAMPLES)
def test_every_operation_answers_as_documented(case: schemathesis.Case, data: st.DataObject,
                                                target: FuzzTarget) -> None:
    token = data.draw(st.sampled_from(callers(target, case)), label="caller")

    def half_the_time(name: str, known: list[str]) -> str | None:
        return data.draw(st.sampled_from(known), label=name) if data.draw(st.booleans(), label=name) else None

    use_known_ids(case, target, half_the_time)
    assume(fits_the_http_layer(case, target.base_url, bearer(token)))
    case.call_and_validate(base_url=target.base_url, headers=bearer(token), excluded_checks=EXCLUDED)


@boundaries_schema.parametrize()
@settings(FUZZ_SETTINGS, phases=[Phase.explicit])
def test_boundary_values_answer_as_documented(case: schemathesis.Case, target: FuzzTarget) -> None:
    """Each operation's boundary cases, by the caller it is meant for, on things that exist where the body
    names one (the path keeps the generated id: an unknown id must be a clean 404)."""
    use_known_ids(case, target, lambda name, known: known[0] if name not in case.path_parameters else None)
    token = callers(target, case)[0]
    if fits_the_http_layer(case, target.base_url, bearer(token)):
        case.call_and_validate(base_url=target.base_url, headers=bearer(token), excluded_checks=EXCLUDED)


def test_linked_operations_answer_as_documented(target: FuzzTarget) -> None:
    """Sequences along the links: a new show's offers, cards, orders, chat and results, by its merchant.
    A failure is collected rather than raised: the server keeps the state of earlier runs, so Hypothesis
    could not replay a sequence to shrink it, and the first answer that broke the document is the news."""
    failures: list[str] = []
    steps: list[str] = []

    class Workflow(linked_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            use_known_ids(case, target, lambda name, known: known[0] if name not in case.path_parameters else None)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": target.base_url, "headers": bearer(callers(target, case)[0])}

        def validate_response(self, response: Any, case: schemathesis.Case, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            steps.append(f"{case.operation.label} -> {response.status_code}")
            try:
                case.validate_response(response, excluded_checks=EXCLUDED, transport_kwargs=kwargs)
            except FailureGroup as exc:
                failures.append(f"{case.operation.label} -> {response.status_code}: {exc}\n{case.as_curl_command()}")

    def linked() -> list[str]:
        """The path's show id is never a seeded one here, so a success on it means a link from a show made in
        the run."""
        return [step for step in steps if "{show_id}" in step and step.rsplit(" ", 1)[1].startswith("2")]

    for _ in range(STATEFUL_ROUNDS):
        try:
            Workflow.run(settings=settings(FUZZ_SETTINGS, max_examples=STATEFUL_EXAMPLES, stateful_step_count=8,
                                           phases=[Phase.generate]))
        except Flaky:
            pass  # as schemathesis's own runner does: the server's state moved on, so this round is over
        if len(steps) >= STATEFUL_STEPS and linked():  # random sequences: go on (bounded) until one went far
            break
    assert not failures, "\n\n".join(failures[:3])
    assert len(steps) >= STATEFUL_STEPS, f"only {len(steps)} steps ran"
    assert linked(), f"no sequence created a show and went on from it: {sorted(set(steps))}"
