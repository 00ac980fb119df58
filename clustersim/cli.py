"""The `clustersim` command line: run a model, validate a config, print parameters.

Every user mistake (a bad config, an unwritable output folder) ends in one line on
stderr, `clustersim: error: ...`, and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import NoReturn

from clustersim.config import ConfigError, load_config
from clustersim.parameters import ParameterError, Parameters, check_integer, check_value

EXIT_USAGE = 2


class UserError(Exception):
    """A problem the user can fix; printed as one line."""


# Error types of the heavier modules, by module: (module, class name).
_MODULE_ERRORS = (
    ("clustersim.experiment.engine", "EngineError"),
    ("clustersim.experiment.sensitivity", "SensitivityError"),
    ("clustersim.experiment.store", "StoreError"),
    ("clustersim.outdir", "OutputError"),
    ("clustersim.resources", "ResourceError"),
)


def _user_errors() -> tuple[type[Exception], ...]:
    """Every exception type that is the user's to fix, printed as one line, no traceback.

    Only modules already imported are asked: an error class whose module was never
    imported cannot have been raised, and importing it here would load Mesa and the
    model just to report a bad config.
    """
    found: list[type[Exception]] = [ConfigError, UserError]
    for module, name in _MODULE_ERRORS:
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


class _Parser(argparse.ArgumentParser):
    """argparse's usage mistakes in the tool's one-line form, without the usage block."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("clustersim").strip()
        where = f"{command}: " if command else ""
        text = " ".join(message.split())
        self.exit(EXIT_USAGE, f"clustersim: error: {where}{text} (see {self.prog} --help)\n")


class _VersionAction(argparse.Action):
    """`--version`: the installed version, read only when asked for (importlib.metadata)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        import clustersim

        print(f"clustersim {clustersim.__version__}")
        parser.exit()


def _positive_int(name: str, most: int | None = None, least: int = 0) -> Callable[[str], int]:
    """An argparse type: a whole number in [least, most], checked by `check_integer`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, got {text!r}"
            ) from None
        try:
            return check_integer(name, value, least, most)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _add_experiment_options(
    parser: argparse.ArgumentParser, kind: str, out: str = "results/<experiment name>"
) -> None:
    """The experiment file, results folder and engine options of every experiment command."""
    parser.add_argument("experiment", type=Path, help=f'experiment file (kind = "{kind}")')
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"results folder (default {out})",
    )
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument(
        "--workers",
        type=_positive_int("--workers", least=1),
        default=None,
        help="local worker processes, at most one per core (default: this machine's cores)",
    )
    engine.add_argument(
        "--serial",
        action="store_true",
        help="run in this process, one run at a time (for debugging)",
    )
    engine.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="an existing Dask distributed scheduler to run on",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: one subcommand per task, each added by its own function."""
    parser = _Parser(  # subcommands' parsers are _Parsers too
        prog="clustersim",
        description="Agent-based simulation of cluster formation: SMEs, knowledge institutions "
        "and government forming partnerships by proximity, culture fit and trust.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(sub)
    _add_validate(sub)
    _add_experiments(sub)
    _add_report(sub)
    _add_sensitivity(sub)
    _add_export(sub)
    _add_discover(sub)
    _add_dashboard(sub)
    _add_validate_model(sub)
    _add_calibrate(sub)
    _add_explain(sub)
    _add_frontier(sub)
    _add_params(sub)
    return parser


def _add_run(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="run one model and write its tables",
        description="Run one model from a config file, print a summary and "
        "write series, partnerships, ties, memberships and organisations as Parquet "
        "plus a manifest.json.",
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


def _add_validate(sub: argparse._SubParsersAction) -> None:
    validate = sub.add_parser(
        "validate",
        help="check a config file without running it",
        description="Check a config file and its bases; exit 0 if valid.",
    )
    validate.add_argument("config", type=Path, help="config file to check")
    validate.set_defaults(handler=_validate)


def _add_experiments(sub: argparse._SubParsersAction) -> None:
    for kind, text, report_after in (
        ("compare", "run every scenario x replication of a comparison, then report", True),
        ("sweep", "run every design point x replication of a parameter sweep", False),
        (
            "robustness",
            "run every scenario x world drawn from a posterior x replication, then report",
            True,
        ),
    ):
        exp = sub.add_parser(
            kind,
            help=text,
            description=f"{text[0].upper()}{text[1:]}. Results go into one folder "
            "(Parquet dataset, manifest.json, status log); re-running the same command "
            "resumes, doing only the missing runs.",
        )
        _add_experiment_options(exp, kind)
        exp.set_defaults(handler=_experiment, kind=kind, report_after=report_after)


def _add_report(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser(
        "report",
        help="tables and plots from a results folder",
        description="Write RESULTS/report/report.md with figures and print "
        "the summary table (survival, formation, causes, log-rank).",
    )
    report.add_argument("results", type=Path, help="results folder of compare, sweep or robustness")
    report.set_defaults(handler=_report)


def _add_sensitivity(sub: argparse._SubParsersAction) -> None:
    sens = sub.add_parser(
        "sensitivity",
        help="Sobol or Morris indices from a sweep",
        description="Compute Sobol (S1, ST with confidence intervals) or "
        "Morris (mu*, sigma) indices from a sobol or morris sweep, averaging "
        "replicates per design point first. Writes RESULTS/sensitivity/.",
    )
    sens.add_argument("results", type=Path, help="results folder of a sobol or morris sweep")
    sens.add_argument(
        "--output",
        action="append",
        default=None,
        dest="outputs",
        help="run-level output to analyse (repeatable; default survival_36, "
        "partnerships_formed, share_collaborated)",
    )
    sens.set_defaults(handler=_sensitivity)


def _add_export(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export",
        help="tidy CSV files for spreadsheets, or results for EMA Workbench",
        description="Export every table of a results folder as CSV (completed runs only), "
        "via DuckDB; or, with --format ema, the runs as EMA Workbench's experiments and "
        "outcomes, in a file ema_workbench.load_results reads.",
    )
    export.add_argument("results", type=Path, help="results folder")
    form = export.add_mutually_exclusive_group(required=True)
    form.add_argument(
        "--csv", action="store_const", const="csv", dest="format", help="export as CSV"
    )
    form.add_argument("--format", choices=("csv", "ema"), help="csv, or ema (EMA Workbench)")
    export.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the CSV files (default RESULTS/csv); "
        "for ema, the .tar.gz file (default RESULTS/ema.tar.gz)",
    )
    export.set_defaults(handler=_export)


def _add_discover(sub: argparse._SubParsersAction) -> None:
    discover = sub.add_parser(
        "discover",
        help="where a policy fails to help, across a robustness experiment's worlds (PRIM)",
        description="PRIM scenario discovery (EMA Workbench) over the worlds of a robustness "
        "experiment: the range of the posterior parameters where a policy fails to raise "
        "S(36) over the reference, as a rule with its coverage and density. Prints it as "
        "Markdown and writes RESULTS/discover-POLICY.md.",
    )
    discover.add_argument("results", type=Path, help="results folder of a robustness experiment")
    discover.add_argument("--policy", required=True, help="a scenario other than the reference")
    discover.add_argument(
        "--min-coverage",
        type=_share("--min-coverage"),
        default=0.5,
        help="the box holds at least this share of the failing worlds (default 0.5); "
        "the densest such box on PRIM's peeling trajectory is chosen",
    )
    discover.set_defaults(handler=_discover)


def _share(name: str) -> Callable[[str], float]:
    """An argparse type: a number in (0, 1]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not 0 < value <= 1:
            raise argparse.ArgumentTypeError(f"{name} must be in (0, 1], got {text}")
        return value

    return parse


def _add_dashboard(sub: argparse._SubParsersAction) -> None:
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
        "--port",
        type=_positive_int("--port", 65535, least=1),
        default=8765,
        help="port (default 8765)",
    )
    dashboard.add_argument(
        "--config",
        type=Path,
        default=None,
        help="config to start from (default configs/baseline.toml defaults)",
    )
    dashboard.set_defaults(handler=_dashboard)


def _add_validate_model(sub: argparse._SubParsersAction) -> None:
    validate_model = sub.add_parser(
        "validate-model",
        help="run the validation experiment and write docs/validation.md",
        description='Run a validation experiment (kind = "compare") and write the validation '
        "document: the target split of its [targets] table (fitted or held out, and why), "
        "each pattern against the model (source, range and why, the model's mean with a 95 % "
        "interval, met or not), the held-out patterns in their own table, with the finished "
        "calibration and the Morris screening (run here, resumably) if given.",
    )
    _add_experiment_options(validate_model, "compare")
    validate_model.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="results folder of a finished `clustersim calibrate` to report",
    )
    validate_model.add_argument(
        "--screening",
        type=Path,
        default=None,
        help="screening file (a Morris sweep with a [screening] table) to run and report",
    )
    validate_model.add_argument(
        "--screening-out",
        type=Path,
        default=None,
        help="results folder of the screening (default results/<its name>)",
    )
    validate_model.add_argument(
        "--doc",
        type=Path,
        default=Path("docs") / "validation.md",
        help="where to write the document (default docs/validation.md)",
    )
    validate_model.set_defaults(handler=_validate_model, kind="compare")


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="run the calibration procedure and print the chosen parameter values",
        description='Run the calibration a sweep file declares (kind = "sweep" with a '
        "[calibration] table): its rounds, each ranked by the distance to the calibration "
        "targets of the validation experiment it names and narrowed by the stated rule, then "
        "the confirmation of the closest points with fresh seeds. Writes RESULTS/ (rounds, "
        "calibration.json, chosen.toml) and prints the chosen values as a config fragment. "
        'A file whose [calibration] says method = "abc-smc" runs ABC-SMC (pyabc) instead: '
        "a posterior (RESULTS/posterior.parquet, abc.md) and a predictive check of the "
        "held-out targets. Re-running resumes.",
    )
    _add_experiment_options(calibrate, "sweep")
    calibrate.set_defaults(handler=_calibrate, kind="sweep")


def _add_explain(sub: argparse._SubParsersAction) -> None:
    explain = sub.add_parser(
        "explain",
        help="why each policy works: its effects and the mechanisms that carry them",
        description="Run a comparison as a mechanism ablation (every scenario with all "
        "mechanisms on and with each switched off in turn, the same seeds for all), then "
        "write RESULTS/explain.md and explain.csv: each policy's effect on S(36), "
        "formations and collaboration-months against the reference, with 95 % intervals, "
        "and how much of it remains with each mechanism off. Re-running resumes.",
    )
    _add_experiment_options(explain, "compare", "results/<experiment name>-explain")
    explain.add_argument(
        "--replications",
        type=_positive_int("--replications", least=1),
        default=None,
        help="replications per group (default: the experiment file's); fewer for a quick look",
    )
    explain.add_argument(
        "--mechanisms",
        default=None,
        metavar="NAME[,NAME...]",
        help="mechanisms to switch off, comma-separated (default: all of them)",
    )
    explain.set_defaults(handler=_explain)


def _add_frontier(sub: argparse._SubParsersAction) -> None:
    frontier = sub.add_parser(
        "frontier",
        help="which lever settings buy the most for the least public money",
        description="From a sweep over lever settings (e.g. experiments/frontier.toml), plot "
        "mean policy spending per run against surviving partnerships and collaboration-months "
        "per organisation, mark the efficient settings (no other spends no more and achieves "
        "at least as much) and list them with 95 % intervals. Writes RESULTS/frontier.md and "
        "RESULTS/frontier.png.",
    )
    frontier.add_argument("results", type=Path, help="results folder of a sweep over levers")
    frontier.set_defaults(handler=_frontier)


def _add_params(sub: argparse._SubParsersAction) -> None:
    params = sub.add_parser(
        "params",
        help="print every parameter with default, unit and source",
        description="Print the parameter table (Markdown) or a full baseline config (TOML).",
    )
    params.add_argument("--toml", action="store_true", help="print a full baseline config")
    params.set_defaults(handler=_params)


def _check_out(out: Path) -> None:
    """Refuse a results path that cannot be written before any work is done."""
    from clustersim.outdir import check_writable

    check_writable(out)


def _run(args: argparse.Namespace) -> None:
    from clustersim.experiment.store import check_out_dir
    from clustersim.outdir import check_writable, folder_lock
    from clustersim.run import format_summary, run_config, write_run

    config = load_config(args.config)
    if args.months is not None:
        try:
            check_value("months", args.months)
        except ParameterError as exc:
            raise UserError(f"--months: {exc}") from None
    from clustersim.resources import check_run

    months = {} if args.months is None else {"months": args.months}
    check_run(config.parameters.replace(**months), str(args.config))  # before any work
    out = args.out or Path("results") / f"{config.name}-seed{args.seed}"
    check_writable(out)
    check_out_dir(out)  # before the simulation: refusing after it would waste it
    with folder_lock(out):  # a second run on the same folder is refused, not raced
        result = run_config(config, seed=args.seed, months=args.months)
        print(format_summary(result))
        try:
            written = write_run(result, out)
        except OSError as exc:
            raise UserError(f"--out {out}: cannot write results ({exc.strerror or exc})") from None
    print(f"  results written to           {written}/")


def _validate(args: argparse.Namespace) -> None:
    config = load_config(args.config)
    defaults = Parameters().as_dict()
    changed = [k for k, v in config.parameters.as_dict().items() if v != defaults[k]]
    chain = " -> ".join(str(p) for p in config.chain)
    print(
        f"ok: {args.config} is valid ({config.name}; {chain}; "
        f"differs from the defaults in: {', '.join(changed) or 'nothing'})"
    )
    from clustersim.resources import ResourceError, check_run

    try:  # valid, yet too large to run here: say so, the file itself is fine
        check_run(config.parameters, str(args.config))
    except ResourceError as exc:
        print(f"clustersim: warning: {' '.join(str(exc).split())}", file=sys.stderr)


def _experiment(args: argparse.Namespace) -> int:
    _, out = _execute(args)
    if args.report_after:
        from clustersim.experiment.report import build_report

        print(build_report(out))
        print(f"report written to {out / 'report' / 'report.md'}", file=sys.stderr)
    return 0


def _execute(args: argparse.Namespace):
    """Run (or resume) the experiment file of an experiment command; return it and its folder.

    Interrupted, it says how to resume and re-raises; failed runs end in a UserError.
    """
    from clustersim.experiment.spec import load_experiment

    experiment = load_experiment(args.experiment)
    if experiment.kind != args.kind:
        raise UserError(
            f"{args.experiment}: is a {experiment.kind}; run it with clustersim {experiment.kind}"
        )
    out = args.out or Path("results") / experiment.name
    _run_checked(args, experiment, out)
    return experiment, out


def _run_checked(args: argparse.Namespace, experiment, out: Path) -> None:
    """Run (or resume) `experiment` into `out` with workers fitted to memory; say how many
    runs are done, and end in a UserError if any failed."""
    _check_out(out)
    note = ""
    if not args.scheduler:  # a Dask cluster's memory is its own
        from clustersim.resources import experiment_scenarios, fit_workers

        sizes = experiment_scenarios(experiment.scenarios, experiment.points)
        args.workers, note = fit_workers(sizes, str(args.experiment), args.workers, args.serial)
    outcome = _run_experiment_alone(args, experiment, out, note)
    print(
        f"{outcome.already_done + outcome.completed} of {outcome.total} runs done "
        f"({outcome.already_done} from before, {outcome.completed} now)",
        file=sys.stderr,
    )
    if outcome.failed:
        raise UserError(
            f"{len(outcome.failed)} runs failed ({', '.join(outcome.failed[:3])}"
            f"{', ...' if len(outcome.failed) > 3 else ''}); see {out}/status.jsonl; "
            "run the same command again to retry them"
        )


def _run_experiment_alone(args: argparse.Namespace, experiment, out: Path, note: str = ""):
    """Run the experiment holding its folder's lock: a second command on it is refused."""
    from clustersim.experiment.engine import run_experiment
    from clustersim.outdir import folder_lock

    with folder_lock(out), _engine(args) as engine:
        print(
            f"{experiment.name}: {len(experiment.runs())} runs on {engine.label}{note} -> {out}",
            file=sys.stderr,
        )
        try:
            return run_experiment(experiment, out, engine, progress=not args.no_progress)
        except KeyboardInterrupt:
            print(
                f"clustersim: interrupted; finished runs are kept in {out}; run the same "
                "command again to resume",
                file=sys.stderr,
            )
            raise


def _engine(args: argparse.Namespace) -> AbstractContextManager:
    """The engine the options ask for: a Dask scheduler, this process, or local workers."""
    from clustersim.experiment.engine import Engine

    if args.scheduler:
        return Engine.dask(args.scheduler)
    if args.serial:
        return Engine.serial()
    return Engine.local(args.workers)


def _validate_model(args: argparse.Namespace) -> None:
    from clustersim.experiment.screening import load_screening
    from clustersim.experiment.validation_doc import write_validation_doc

    if args.calibration is not None and not (args.calibration / "calibration.json").is_file():
        raise UserError(
            f"--calibration {args.calibration}: not a finished calibration (no calibration.json); "
            "run clustersim calibrate first"
        )
    screening = load_screening(args.screening) if args.screening else None  # before any run
    experiment, out = _execute(args)
    screened = None
    if screening is not None:
        screened = args.screening_out or Path("results") / screening.design.name
        _check_out(screened)
        note = ""
        if not args.scheduler:  # a Dask cluster's memory is its own
            from clustersim.resources import experiment_scenarios, fit_workers

            sizes = experiment_scenarios(
                screening.experiment.scenarios, screening.experiment.points
            )
            args.workers, note = fit_workers(sizes, str(args.screening), args.workers, args.serial)
        outcome = _run_experiment_alone(args, screening.experiment, screened, note)
        if outcome.failed:
            raise UserError(
                f"{len(outcome.failed)} screening runs failed; see {screened}/status.jsonl; "
                "run the same command again to retry them"
            )
    summary = write_validation_doc(
        args.doc,
        experiment,
        out,
        calibration=args.calibration,
        screening=(screening, screened) if screening is not None else None,
    )
    print(summary)
    print(f"validation written to {args.doc}", file=sys.stderr)


def _calibrate(args: argparse.Namespace) -> None:
    from clustersim.experiment.abc_plan import is_abc
    from clustersim.experiment.calibration import CHOSEN, run_calibration
    from clustersim.experiment.spec import Experiment, load_experiment

    if is_abc(args.experiment):  # [calibration] method = "abc-smc": pyabc, not LHS rounds
        return _calibrate_abc(args)

    def run(path: Path, folder: Path, kind: str) -> tuple[Experiment, Path]:
        return _execute(
            argparse.Namespace(**{**vars(args), "experiment": path, "out": folder, "kind": kind})
        )

    out = args.out or Path("results") / load_experiment(args.experiment).name
    _check_out(out)
    print(run_calibration(args.experiment, out, run), end="")
    print(f"calibration written to {out}/ (the chosen values: {out / CHOSEN})", file=sys.stderr)


def _calibrate_abc(args: argparse.Namespace) -> None:
    """ABC-SMC calibration: resumable; the posterior in OUT/posterior.parquet."""
    from clustersim.experiment.abc import quiet_pyabc, sample_posterior
    from clustersim.experiment.abc_plan import read_abc_plan
    from clustersim.experiment.abc_report import PAGE, POSTERIOR, write_results
    from clustersim.outdir import folder_lock

    plan = read_abc_plan(args.experiment)
    out = args.out or Path("results") / plan.name
    _check_out(out)
    quiet_pyabc()
    with folder_lock(out), _engine(args) as engine:
        print(f"{plan.name}: ABC-SMC on {engine.label} -> {out}", file=sys.stderr)
        try:
            history = sample_posterior(plan, out, engine)
            print(write_results(plan, out, history, engine, not args.no_progress), end="")
        except KeyboardInterrupt:
            print(
                f"clustersim: interrupted; finished generations are kept in {out}; run the "
                "same command again to resume",
                file=sys.stderr,
            )
            raise
    print(f"posterior written to {out / POSTERIOR} (diagnostics: {out / PAGE})", file=sys.stderr)


def _explain(args: argparse.Namespace) -> None:
    """Run (or resume) a comparison's mechanism ablation and write its explanation."""
    from clustersim.experiment.explain import ExplainError, load_ablation, write_explanation

    try:
        plan = load_ablation(args.experiment, args.mechanisms, args.replications)
    except ExplainError as exc:
        raise UserError(str(exc)) from None
    experiment = plan.experiment
    out = args.out or Path("results") / experiment.name
    _run_checked(args, experiment, out)
    print(write_explanation(out, plan))
    print(f"explanation written to {out / 'explain.md'} and explain.csv", file=sys.stderr)


def _report(args: argparse.Namespace) -> None:
    from clustersim.experiment.report import build_report
    from clustersim.experiment.store import ResultStore

    store = ResultStore.existing(args.results)
    _require_done(store, args.results)
    print(build_report(args.results))
    print(f"report written to {args.results / 'report' / 'report.md'}", file=sys.stderr)
    _warn_missing(store, "reported")


def _require_done(store, folder: Path) -> None:
    """Refuse a folder with no finished run: a report or export of nothing is no result."""
    if not store.completed():
        raise UserError(
            f"{folder}: none of its {len(store.runs)} runs is done (per {store.status_path.name} "
            "and data/); run the same experiment command to do them"
        )


def _warn_missing(store, verb: str) -> None:
    """One warning line when some designed runs are not done: partial must not pass for whole."""
    done, logged = store.completed(), store.logged_done()
    missing = [run.run_id for run in store.runs if run.run_id not in done]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        damaged = [run_id for run_id in missing if run_id in logged]
        why = f", {len(damaged)} logged done but with files missing or damaged" if damaged else ""
        print(
            f"clustersim: warning: {verb} {len(done)} of {len(store.runs)} designed runs; "
            f"{len(missing)} not done ({shown}){why}; run the same experiment command "
            f"to do them, then {verb.removesuffix('ed')} again",
            file=sys.stderr,
        )


def _sensitivity(args: argparse.Namespace) -> None:
    from clustersim.experiment.sensitivity import (
        DEFAULT_OUTPUTS,
        analyse,
        format_results,
        write_sensitivity,
    )

    results = analyse(args.results, tuple(args.outputs or DEFAULT_OUTPUTS))
    folder = write_sensitivity(args.results, results)
    print(format_results(results))
    print(f"tables and plots written to {folder}/", file=sys.stderr)


def _export(args: argparse.Namespace) -> None:
    from clustersim.experiment.export import export_csv
    from clustersim.experiment.store import ResultStore

    store = ResultStore.existing(args.results)
    _require_done(store, args.results)
    if args.format == "ema":
        _export_ema(args, store)
        return
    out = args.out or args.results / "csv"
    counts = export_csv(store, out)
    for table, rows in counts.items():
        print(f"{out / (table + '.csv')}: {rows} rows")
    _warn_missing(store, "exported")


def _export_ema(args: argparse.Namespace, store) -> None:
    from clustersim.ema import save_ema

    out = args.out or args.results / "ema.tar.gz"
    experiments, outcomes = save_ema(args.results, out)
    print(f"{out}: {experiments} experiments, {outcomes} outcomes (ema_workbench.load_results)")
    _warn_missing(store, "exported")


def _discover(args: argparse.Namespace) -> None:
    from clustersim.experiment.discovery import discover_results
    from clustersim.experiment.store import ResultStore

    store = ResultStore.existing(args.results)
    _require_done(store, args.results)
    text, path = discover_results(args.results, args.policy, args.min_coverage)
    print(text)
    print(f"written to {path}", file=sys.stderr)
    _warn_missing(store, "read")


def _dashboard(args: argparse.Namespace) -> None:
    from clustersim.dashboard.server import serve

    if args.config is not None:  # refuse a bad or oversized config before starting a server
        from clustersim.resources import check_dashboard

        check_dashboard(load_config(args.config).parameters)
    _check_address(args.host, args.port)
    serve(config=args.config, host=args.host, port=args.port)


def _check_address(host: str, port: int) -> None:
    """Refuse an address the server could not listen on, before Solara starts on it."""
    import socket

    if not host.strip():
        raise UserError("--host: empty; give an address to listen on, e.g. 127.0.0.1")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, UnicodeError) as exc:
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UserError(f"--host {host} --port {port}: cannot listen there ({what})") from None


def _frontier(args: argparse.Namespace) -> None:
    from clustersim.experiment.frontier import FrontierError, write_frontier
    from clustersim.experiment.store import ResultStore

    store = ResultStore.existing(args.results)
    _require_done(store, args.results)
    try:
        print(write_frontier(args.results))
    except FrontierError as exc:
        raise UserError(str(exc)) from None
    print(f"frontier written to {args.results / 'frontier.md'} and frontier.png", file=sys.stderr)
    _warn_missing(store, "reported")


def _params(args: argparse.Namespace) -> None:
    from clustersim.parameter_docs import baseline_toml, markdown_table

    print(baseline_toml() if args.toml else markdown_table(), end="")


def _stop_on_terminate(signum: int, frame: object) -> None:
    """`kill` (SIGTERM) stops like Ctrl-C: finished runs kept, workers shut down."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    try:
        status = args.handler(args)
    except _user_errors() as exc:
        print(f"clustersim: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a folder not writable, a disk full: the user's to fix too
        where = f"{exc.filename}: " if exc.filename else ""
        what = " ".join(str(exc.strerror or exc).split())  # one line, whatever the library
        print(f"clustersim: error: {where}{what}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("clustersim: interrupted", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
