"""The `--help` text of every custsim command, and the config groups it lists.

A help text is: the usage line, what the command does, its main options, the
config groups with their options (read from the `conf` package: one option per
`conf/<group>/<option>.yaml`, defaults from the `defaults` list of
`conf/config.yaml`), three or more examples and notes (where outputs go).
Hydra's own `--help` prints the whole composed config, hundreds of lines; the
Hydra commands print this text instead, before Hydra starts (`exit_on_help`),
and keep Hydra's `--hydra-help`.

Also what every command shares around a run: `fail` (the one-line error and
exit status), `preflight` (compose and check a command line before Hydra starts),
the Hydra override checks, a tool's entry point and job (`tool_main`, `tool_job`),
its header line (`run_header`), and the completion-marker convention
(`write_config` first, the command's marker file last: a directory holding the
marker is complete; the last line printed names it, `results_line`).

Only the standard library and PyYAML are imported here (the engine is imported
inside `preflight` and `write_config`): help must be fast.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from custsim.sim.groups import Group, config_groups
from custsim.sim.rules import cut, shorten_values

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from custsim.sim.config import CustsimConfig

HELP_FLAGS = frozenset({"-h", "--help"})
#: groups only a tool's root takes (conf/finding/: the findings' analysis settings)
TOOL_GROUPS = frozenset({"finding"})
WIDTH = 100
INDENT = "  "
#: what a Hydra-based command accepts besides key=value overrides
HYDRA_FLAGS = (
    ("--cfg job", "print the composed config of these overrides and exit (YAML)"),
    ("--info", "print Hydra's search path, defaults tree and config sources"),
    ("--hydra-help", "Hydra's own help (flags, launcher and sweeper)"),
)


def root_defaults(config_name: str = "config") -> dict[str, Any]:
    """The root values `conf/<config_name>.yaml` sets (seed, steps, ...), read as YAML."""
    text = resources.files("custsim.conf").joinpath(f"{config_name}.yaml").read_text()
    root = yaml.safe_load(text) or {}
    return {k: v for k, v in root.items() if k not in ("defaults", "hydra")}


def _wrap(text: str, indent: str, hanging: str) -> list[str]:
    """Lines of `text` wrapped to WIDTH, the first indented by `indent`, the rest by `hanging`."""
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=hanging, break_on_hyphens=False
    )


def format_groups(groups: Sequence[Group]) -> list[str]:
    """The config groups section: `  policy: composed, hi_lo, ... (default: none)`."""
    lines = ["Config groups (choose an option with group=option, e.g. policy=hi_lo):"]
    for g in groups:
        if g.package:
            how = f"(all in {g.package}.<option>; add your own as {g.package}.<name>)"
        elif g.default is not None:
            how = f"(default: {g.default})"
        elif g.in_defaults:
            how = f"(none by default; {g.name}=<option>)"
        else:
            how = f"(add with +{g.name}=<option>)"
        lines += _wrap(f"{g.name}: {', '.join(g.options)} {how}", INDENT, INDENT * 3)
    return lines


def _table(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Two columns: a term and its explanation (on the next line when the term is long)."""
    width = min(max((len(term) for term, _ in rows), default=0), 30)
    lines = []
    for term, what in rows:
        hanging = INDENT + " " * (width + 2)
        if len(term) > width:
            lines += [INDENT + term, *_wrap(what, hanging, hanging)]
        else:
            lines += _wrap(f"{term.ljust(width)}  {what}", INDENT, hanging)
    return lines


def format_help(
    usage: str,
    description: str,
    options: Sequence[tuple[str, str]],
    examples: Sequence[tuple[str, str]],
    notes: Sequence[str] = (),
    groups: bool = True,
    hydra: bool = True,
) -> str:
    """A command's help text.

    Args:
        usage: the usage line after `usage: `, e.g. `custsim [-m] [KEY=VALUE ...]`.
        description: what the command does (paragraphs separated by blank lines).
        options: (option, what it does) rows: the command's main options.
        examples: (command line, what it does) rows; three or more.
        notes: further paragraphs (where outputs go, exit status).
        groups: list the config groups of the `conf` package and the user config directory.
        hydra: list Hydra's flags (`--cfg job`, `--info`, `--hydra-help`).

    """
    lines = [f"usage: {usage}", ""]
    for paragraph in description.strip().split("\n\n"):
        lines += [*_wrap(" ".join(paragraph.split()), "", ""), ""]
    lines += ["Options:", *_table(options), ""]
    if hydra:
        lines += ["Hydra flags:", *_table(HYDRA_FLAGS), ""]
    if groups:
        shown = [g for g in config_groups(user=True) if g.name not in TOOL_GROUPS]
        lines += [*format_groups(shown), ""]
    lines.append("Examples:")
    for command, what in examples:
        lines += [INDENT + command, *_wrap(what, INDENT * 3, INDENT * 3)]
    for paragraph in notes:
        lines += ["", *_wrap(" ".join(paragraph.split()), "", "")]
    return "\n".join(lines) + "\n"


def wants_help(argv: Sequence[str]) -> bool:
    """Whether the command line asks for help (`-h` or `--help`; not `--hydra-help`)."""
    return any(arg in HELP_FLAGS for arg in argv)


def name_the_job(argv: list[str], name: str) -> None:
    """Name Hydra's job after the command (its log is then `<name>.log`), unless given.

    Hydra names a job after the file of its `@hydra.main` function, `cli` for the
    tools that live in a package's `cli.py`.
    """
    if not any(a.startswith("hydra.job.name=") for a in argv[1:]):
        argv.append(f"hydra.job.name={name}")


def exit_on_help(argv: Sequence[str], text: Callable[[], str]) -> None:
    """Print `text()` and exit 0 when `argv` asks for help; otherwise return."""
    if wants_help(argv):
        sys.stdout.write(text())
        sys.exit(0)


# Checks of the Hydra overrides on a command line: the launcher plugin and the output
# directories. Both would otherwise fail inside Hydra with a traceback: a launcher whose
# plugin is not installed when the sweep starts, an output directory that cannot be
# created when the run starts. Nothing is created here.

#: Hydra launcher options that plugins provide -> (the plugin's module, custsim's extra)
LAUNCHER_PLUGINS = {
    "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "submitit_local": ("hydra_plugins.hydra_submitit_launcher", "slurm"),
    "ray": ("hydra_plugins.hydra_ray_launcher", "ray"),
    "ray_aws": ("hydra_plugins.hydra_ray_launcher", "ray"),
}
OUTPUT_DIRS = ("hydra.run.dir", "hydra.sweep.dir")


def _plugin_option(name: str) -> str:
    """The plugin option a launcher option builds on: the first entry of its defaults list."""
    path = resources.files("custsim.conf").joinpath("hydra", "launcher", f"{name}.yaml")
    if not path.is_file():
        return name  # a plugin's own option, e.g. hydra/launcher=ray
    defaults = (yaml.safe_load(path.read_text()) or {}).get("defaults", [])
    return next((d for d in defaults if isinstance(d, str) and d != "_self_"), name)


def launcher_problem(name: str) -> str | None:
    """'hydra/launcher=NAME: ... pip install ...' when the launcher's plugin is not installed."""
    module, extra = LAUNCHER_PLUGINS.get(_plugin_option(name), (None, None))
    if module is None or importlib.util.find_spec(module) is not None:
        return None
    return (
        f"hydra/launcher={name}: its plugin ({module.split('.')[-1]}) is not installed; "
        f"pip install 'custsim[{extra}]'"
    )


def directory_problem(key: str, value: str) -> str | None:
    """Why the output directory `value` (of `key`) cannot be made, or None.

    An empty path is refused (Hydra would write into the current directory).
    Otherwise the deepest existing ancestor must be a directory, and its first
    missing child must be creatable (tried, then removed) or, when the whole
    path exists, writable. Paths with interpolations (${now:...}) are Hydra's.
    """
    if not value.strip():
        return f"{key}='': must be a directory path (empty writes into the current directory)"
    if "${" in value:
        return None
    path = Path(value)
    base = path
    while not base.exists() and base.parent != base:
        base = base.parent
    if not base.is_dir():
        return f"{key}={cut(value)}: {cut(str(base))} is a file, not a directory"
    if base == path:
        ok = os.access(path, os.W_OK | os.X_OK)
        return None if ok else f"{key}={cut(value)}: the directory is not writable"
    first = base / path.relative_to(base).parts[0]
    try:
        first.mkdir()
        first.rmdir()
    except OSError as err:
        return f"{key}={cut(value)}: cannot create {cut(str(first))} ({err.strerror})"
    return None


def hydra_problems(args: Sequence[str]) -> list[str]:
    """Problems of the launcher and output-directory overrides among `args`, the last given."""
    given: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.lstrip("+~").partition("=")
        if sep and (key == "hydra/launcher" or key in OUTPUT_DIRS):
            given[key] = value
    problems = []
    if "hydra/launcher" in given:
        problems.append(launcher_problem(given.pop("hydra/launcher")))
    problems += [directory_problem(key, value) for key, value in given.items()]
    return [p for p in problems if p is not None]


# What the commands share around a run: the error line, the check before Hydra, the outputs.


def fail(
    err: Exception | str, prog: str = "custsim", what: str = "config error", status: int = 2
) -> NoReturn:
    """Print each line of `err` as '<prog>: <what>: <line>' (long values cut); exit `status`.

    Exit status 2 is bad input (nothing ran), 1 a run or a job that failed.
    """
    prefix = f"{prog}: {what}: " if what else f"{prog}: "
    for line in str(err).splitlines() or [""]:
        print(prefix + shorten_values(line), file=sys.stderr)
    sys.exit(status)


def preflight(
    args: list[str],
    prog: str = "custsim",
    check: Callable[[CustsimConfig, list[str]], object] | None = None,
    config_name: str = "config",
) -> None:
    """Compose and validate a plain single run's overrides before Hydra starts.

    First, for every command line, the launcher's plugin and the output
    directories (`hydra_problems`). Runs with Hydra flags (-m, --cfg, -cn ...)
    and named sweeps (`sweep=...`) then go straight to Hydra; the custsim
    sweeper plans and checks every job. `config_name` is the command's root
    config (`conf/<config_name>.yaml`). `check(cfg, overrides)`, if given, is a
    command's own further check; it raises ConfigError like the rest.
    """
    from custsim.policies.registry import alias_notices
    from custsim.sim.config import ConfigError

    for line in alias_notices(args):  # policy=none is an alias of policy=edlp
        print(f"{prog}: {line}", file=sys.stderr)
    problems = hydra_problems(args)
    if problems:
        fail("\n".join(problems), prog)
    if any(a.startswith("-") or a.lstrip("+").startswith("sweep=") for a in args):
        return  # Hydra flags and named sweeps: Hydra and the sweeper check each job
    from custsim.sim.compose import compose_config  # the engine: on running, not for --help
    from custsim.sim.runner import make_policies

    overrides = [a for a in args if not a.lstrip("+~").startswith("hydra")]
    try:
        cfg = compose_config(overrides, config_name)
        make_policies(cfg)
        if check is not None:
            check(cfg, overrides)
    except ConfigError as err:
        fail(err, prog)


def write_config(cfg: CustsimConfig, out: Path) -> None:
    """`out/config.yaml`: the command's validated root config, the first file it writes.

    Every command writes its marker file (its `COMPLETE_MARKER`) last, so a directory
    holding the marker is complete.
    """
    from omegaconf import OmegaConf

    from custsim.sim import results

    results.write_text(OmegaConf.to_yaml(OmegaConf.structured(cfg)), out / "config.yaml")


def run_hydra(config_name: str, task: Callable[[DictConfig], Any]) -> None:
    """Run `task` as the Hydra app of root `config_name` (`conf/<config_name>.yaml`).

    The schemas are registered first: the run's and the policies'
    (`register_configs`) and a tool root's (`custsim.experiments.roots`).
    """
    import hydra

    from custsim.experiments.roots import register_root
    from custsim.sim.config import register_configs

    register_configs()
    register_root(config_name)
    hydra.main(version_base="1.3", config_path="pkg://custsim.conf", config_name=config_name)(
        task
    )()


def tool_main(
    prog: str, help_text: Callable[[], str], config_name: str, job: str, check: str | None = None
) -> None:
    """A tool's console-script entry point: help, one-line config errors, then its Hydra app.

    `job` is the module that runs the tool (its `run(cfg)` is the Hydra task),
    imported only after `--help`; `check` names its function `check(cfg,
    overrides)`, the tool's own check before anything runs (`preflight`).
    Hydra's job is named after the root (its log is `<config_name>.log`).
    """
    exit_on_help(sys.argv[1:], help_text)
    from importlib import import_module

    module = import_module(job)
    preflight(sys.argv[1:], prog, getattr(module, check) if check else None, config_name)
    name_the_job(sys.argv, config_name)
    run_hydra(config_name, module.run)


@dataclass(frozen=True)
class ToolJob:
    """A tool's Hydra job: its validated root config, the command line and where it writes."""

    cfg: Any  # the tool's root config (CustsimConfig plus the tool's block)
    composed: DictConfig  # the composition it was validated from (for `batch.Base`)
    overrides: list[str]  # the command's overrides, as Hydra parsed them
    choices: dict[str, str]  # config group -> chosen option (e.g. policy -> hi_lo)
    out: Path  # hydra.run.dir


def tool_job(
    cfg: DictConfig, prog: str, check: Callable[[Any, list[str]], object] | None = None
) -> ToolJob:
    """Inside a tool's `@hydra.main` app: validate `cfg` and `check(typed, overrides)`.

    A ConfigError exits 2 with one line per problem (`fail`). The tool's log
    (`<prog>.log`) starts with the command's overrides and config choices (its runs
    log only their warnings: `custsim.experiments.batch`).
    """
    from hydra.core.hydra_config import HydraConfig

    from custsim.sim.config import ConfigError
    from custsim.sim.runner import hydra_job_lines, log
    from custsim.sim.validation import validate

    for line in hydra_job_lines():
        log.info(line)
    hc = HydraConfig.get()
    overrides = list(hc.overrides.task)
    try:
        typed = validate(cfg)
        if check is not None:
            check(typed, overrides)
    except ConfigError as err:
        fail(err, prog)
    choices = {k: str(v) for k, v in hc.runtime.choices.items() if v is not None}
    return ToolJob(typed, cfg, overrides, choices, Path(hc.runtime.output_dir))


def seeds_text(seed: int, n: int) -> str:
    """'seeds 3-7' for the n seeds seed, ..., seed + n - 1 ('seed 3' for one)."""
    return f"seed {seed}" if n == 1 else f"seeds {seed}-{seed + n - 1}"


def run_header(prog: str, what: str, cfg: CustsimConfig, seconds: float) -> str:
    """A tool's first line: '<prog>: <what>; N customers; D days (S s)'."""
    return f"{prog}: {what}; {cfg.population.size:,} customers; {cfg.steps} days ({seconds:.1f} s)"


def results_line(out: Path) -> str:
    """A command's last line: where its (complete) results are."""
    return f"results: {out}"
