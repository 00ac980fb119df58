"""The `clustersim` command line: run a model, validate a config, print parameters.

Every user mistake (a bad config, an unwritable output folder) ends in one line on
stderr, `clustersim: error: ...`, and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from clustersim import __version__
from clustersim.config import ConfigError, load_config
from clustersim.parameters import ParameterError, Parameters, check_value

EXIT_USAGE = 2


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


def _positive_int(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be 0 or more, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clustersim",
        description="Agent-based simulation of cluster formation: SMEs, knowledge institutions "
        "and government forming partnerships by proximity, culture fit and trust.",
    )
    parser.add_argument("--version", action="version", version=f"clustersim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run one model and write its tables",
        description="Run one model from a config file, print a summary and "
        "write series, partnerships, ties and memberships as Parquet plus a "
        "manifest.json.",
    )
    run.add_argument("config", type=Path, help="config file, e.g. configs/baseline.toml")
    run.add_argument(
        "--seed",
        type=_positive_int("--seed"),
        default=1,
        help="random seed (default 1); the same seed gives the same results",
    )
    run.add_argument(
        "--months",
        type=_positive_int("--months"),
        default=None,
        help="horizon in months (default: the config's `months`)",
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default results/<config name>-seed<seed>)",
    )
    run.set_defaults(handler=_run)

    validate = sub.add_parser(
        "validate",
        help="check a config file without running it",
        description="Check a config file and its bases; exit 0 if valid.",
    )
    validate.add_argument("config", type=Path, help="config file to check")
    validate.set_defaults(handler=_validate)

    dashboard = sub.add_parser(
        "dashboard",
        help="open the live browser dashboard",
        description="Serve the Solara dashboard: the region map, live plots, policy "
        "controls and an event feed. Binds to 127.0.0.1 unless told otherwise.",
    )
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    dashboard.add_argument(
        "--port", type=_positive_int("--port"), default=8765, help="port (default 8765)"
    )
    dashboard.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config to start from (default configs/baseline.toml defaults)",
    )
    dashboard.set_defaults(handler=_dashboard)

    params = sub.add_parser(
        "params",
        help="print every parameter with default, unit and source",
        description="Print the parameter table (Markdown) or a full baseline config (TOML).",
    )
    params.add_argument("--toml", action="store_true", help="print a full baseline config")
    params.set_defaults(handler=_params)
    return parser


def _run(args: argparse.Namespace) -> None:
    from clustersim.run import format_summary, run_config, write_run

    config = load_config(args.config)
    if args.months is not None:
        try:
            check_value("months", args.months)
        except ParameterError as exc:
            raise UserError(f"--months: {exc}") from None
    out = args.out or Path("results") / f"{config.name}-seed{args.seed}"
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: exists and is not a folder; choose another path")
    result = run_config(config, seed=args.seed, months=args.months)
    print(format_summary(result))
    try:
        written = write_run(result, out)
    except OSError as exc:
        raise UserError(f"--out {out}: cannot write results ({exc.strerror or exc})") from None
    print(f"  results written to          {written}/")


def _validate(args: argparse.Namespace) -> None:
    config = load_config(args.config)
    defaults = Parameters().as_dict()
    changed = [k for k, v in config.parameters.as_dict().items() if v != defaults[k]]
    chain = " -> ".join(str(p) for p in config.chain)
    print(
        f"ok: {args.config} is valid ({config.name}; {chain}; "
        f"differs from the defaults in: {', '.join(changed) or 'nothing'})"
    )


def _dashboard(args: argparse.Namespace) -> None:
    from clustersim.dashboard.server import serve

    if args.config is not None:
        load_config(args.config)  # refuse a bad config before starting a server
    serve(config=args.config, host=args.host, port=args.port)


def _params(args: argparse.Namespace) -> None:
    from clustersim.parameter_docs import baseline_toml, markdown_table

    print(baseline_toml() if args.toml else markdown_table(), end="")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (ConfigError, UserError) as exc:
        print(f"clustersim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("clustersim: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
