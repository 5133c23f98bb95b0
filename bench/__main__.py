"""`make bench`: run every benchmark (or those named: `python -m bench orders fanout`)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["orders", "fanout", "relay"]


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or BENCHMARKS
    flags = [a for a in argv if a.startswith("-")]
    for name in names:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f'{{"bench": "{name}", "skipped": "not written yet"}}', flush=True)
                continue
            raise
        code = module.main(flags)
        if code:
            return int(code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
