"""``live serve`` with a probe: every aiortc encoder or decoder this process creates is written to the file
named by ``PROBE_FILE``, so a test can prove that a server process in its own process never codes a frame."""

from __future__ import annotations

import os
import sys
from typing import Any

import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender

from live.cli import main


def _probed(module: Any, name: str) -> None:
    original = getattr(module, name)

    def probe(*args: Any, **kwargs: Any) -> Any:
        with open(os.environ["PROBE_FILE"], "a") as out:
            out.write(f"{name} {args[0] if args else ''}\n")
        return original(*args, **kwargs)

    setattr(module, name, probe)


if __name__ == "__main__":
    _probed(aiortc.rtcrtpsender, "get_encoder")  # every sender's encoder comes from here
    _probed(aiortc.rtcrtpreceiver, "get_decoder")  # and every receiver's decoder
    sys.exit(main(sys.argv[1:]))
