"""House rules of the pages' code that a reviewer would otherwise have to remember: elements are found by id,
role or label (``data-testid`` is the tests' hook, so a renamed test id cannot break a page), and every
request goes through static/js/api.js (one place that checks the answer and turns errors into ApiError)."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
PAGE_CODE = sorted([*STATIC.glob("js/*.js"), *STATIC.glob("*.js")])


def offending(pattern: str, skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    found = {}
    for path in PAGE_CODE:
        if path.name in skip:
            continue
        lines = [line.strip() for line in path.read_text().splitlines()
                 if re.search(pattern, line) and not line.strip().startswith("//")]
        if lines:
            found[path.name] = lines
    return found


def test_no_page_selects_an_element_by_its_test_id() -> None:
    assert offending(r"\[data-testid[=\]]|dataset\.testid\s*[=!]==|getByTestId") == {}


def test_every_request_goes_through_api_js() -> None:
    assert offending(r"\bfetch\(|XMLHttpRequest|navigator\.sendBeacon", skip=frozenset({"api.js"})) == {}
