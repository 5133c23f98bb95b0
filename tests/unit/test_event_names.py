"""The pages' socket.io event names (static/js/events.js) are the server's: a renamed or new event on one side
only would leave a page deaf to it or sending what the server refuses as 'unknown_event'."""

from __future__ import annotations

import re
from pathlib import Path

from live.realtime import namespace, protocol

EVENTS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "events.js"
NOT_EVENT_NAMES = {"NAMESPACE", "SHOW_ROOM_PREFIX"}


def js_names(group: str) -> set[str]:
    """The values of `export const <group> = Object.freeze({KEY: "name", ...})` in events.js."""
    block = re.search(rf"export const {group} = Object\.freeze\(\{{(.*?)\}}\);", EVENTS_JS.read_text(), re.S)
    assert block, f"events.js has no {group} block"
    return set(re.findall(r'^\s*[A-Z_]+: "([a-z_]+)",', block.group(1), re.M))


def handled_events() -> set[str]:
    """The events a client may send: the keys of the room's handler table (built with no services, since
    only the table's keys are read)."""
    return set(namespace.RoomEvents(None, None, None, None).handlers)  # type: ignore[arg-type]


def python_names() -> set[str]:
    """Every event name the server knows: protocol.py's constants and the names the socket handlers accept."""
    constants = {
        value for name, value in vars(protocol).items()
        if name.isupper() and isinstance(value, str) and name not in NOT_EVENT_NAMES
    }
    return constants | handled_events()


def test_the_js_module_lists_the_server_s_event_names() -> None:
    assert js_names("SERVER") | js_names("CLIENT") == python_names()


def test_every_client_event_of_the_pages_has_a_handler() -> None:
    assert js_names("CLIENT") == handled_events()


def test_no_page_spells_an_event_name_outside_the_module() -> None:
    """A quoted event name as a call's argument or a list item (emit("push_card", ...)): the pages take it
    from events.js. Names that are also plain words (show, card, chat, ...) are left out of the search."""
    plain_words = {"show", "card", "stock", "chat", "order", "viewers", "answering"}
    names = "|".join(sorted(python_names() - plain_words))
    spelled = {
        path.name: found for path in sorted(EVENTS_JS.parent.glob("*.js"))
        if path != EVENTS_JS and (found := re.findall(rf"[(\[,]\s*[\"'`]({names})[\"'`]", path.read_text()))
    }
    assert spelled == {}
