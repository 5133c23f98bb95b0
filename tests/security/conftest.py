"""The media and socket fixtures of tests/streams and tests/realtime, for the security tests."""

from tests.realtime.conftest import sockets  # noqa: F401
from tests.streams.conftest import base_url, closing, http, live_show, media  # noqa: F401
