"""`custsim-dashboard`: the classroom dashboard in the browser (Mesa SolaraViz on a Solara server).

    custsim-dashboard                     # serves http://localhost:8765 and opens a browser
    custsim-dashboard --help              # options, examples, the guided experiments
    custsim-dashboard --port 9000 --no-open
    custsim-dashboard --host 0.0.0.0      # reachable from the students' machines

The server runs the page `custsim.experiments.dashboard.app` (the same `CustsimModel` as the
`custsim` command). Solara's usage telemetry and its version check are off, and
its browser assets come from the installed `solara-assets` package, so the
dashboard works without internet access. Each browser tab is its own session
with its own model; a closed tab's session is freed after 10 minutes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

APP = "custsim.experiments.dashboard.app"
SERVER_ENV = {  # defaults; a value already in the environment wins
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",  # no usage reports from a classroom
    # a closed tab's session (and its model) is freed after 10 minutes, not Solara's 24 h:
    # every "Things to try" link opens a new session
    "SOLARA_KERNEL_CULL_TIMEOUT": "10m",
}


EXAMPLES = (
    ("custsim-dashboard", "serve http://localhost:8765 and open it in a browser"),
    ("custsim-dashboard --port 9000 --no-open", "another port, no browser"),
    ("custsim-dashboard --host 0.0.0.0", "reachable from the students' machines"),
)


def epilog() -> str:
    """Examples, and the guided experiments with the address that opens each one."""
    from custsim.experiments.dashboard.presets import PRESETS

    width = max(len(cmd) for cmd, _ in EXAMPLES) + 2
    lines = ["examples:", *(f"  {cmd:<{width}}{what}" for cmd, what in EXAMPLES)]
    lines += ["", "guided experiments (the page's 'Things to try'; open one directly):"]
    keys = max(len(p.key) for p in PRESETS)
    lines += [f"  http://HOST:PORT/?preset={p.key:<{keys}} {p.title}" for p in PRESETS]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line: host, port, whether to open a browser."""
    parser = argparse.ArgumentParser(
        prog="custsim-dashboard",
        description="custsim in the browser: sliders, live charts and guided experiments.\n"
        "Each browser tab runs its own model; every control shows its value and unit.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="localhost", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument(
        "--open",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="open the dashboard in a web browser",
    )
    return parser.parse_args(argv)


def solara_args(args: argparse.Namespace) -> list[str]:
    """The `solara run` arguments for the parsed command line."""
    return [
        "run",
        APP,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--production",
        "--no-check-version",
        "--open" if args.open else "--no-open",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the dashboard until interrupted (Ctrl-C)."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for key, value in SERVER_ENV.items():
        os.environ.setdefault(key, value)
    from solara.__main__ import cli  # after the environment: solara reads it on import

    cli(solara_args(args), prog_name="custsim-dashboard")


if __name__ == "__main__":
    main()
