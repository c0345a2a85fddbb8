"""The dashboard's controls and how their values become the CLI's Hydra overrides.

A classroom moves a handful of sliders; the engine is configured by Hydra
overrides. `Settings` holds one value per control, `CONTROLS` describes each
control (`sidebar.ControlInputs` draws them; `value_label` gives a slider's
value and unit), and `to_overrides` turns the values into the overrides
`custsim` itself would take, so the dashboard composes, validates
and builds exactly the model the command line would. The commands are printable
(`cli_command`) so a run seen in class can be repeated from a terminal.

Two controls reach the experience chain (`custsim.sim.config.ExperienceConfig`): firm A's
service failure rate (`market.firms.A.service.failure_rate`; above 0 it switches the chain
on) and the habit weight w_H (`population.experience.habit_weight`). Their overrides are
emitted only when they differ from the engine's defaults, so a run without them is the
run (and the printed command) the dashboard gave before the chain existed.

Population traits are per segment (`conf/population/*.yaml`); a trait slider sets
that trait's mean for the whole population, `population.traits.<trait>.mean` (each
segment keeps its spread, the sd).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from custsim.policies.hi_lo import HiLoConfig
from custsim.policies.loyalty_points import LoyaltyPointsConfig
from custsim.policies.registry import registered
from custsim.policies.stamp_card import StampCardConfig
from custsim.sim import market, network
from custsim.sim.config import ExperienceConfig, ServiceConfig

# the policies whose main knobs have controls (`policy_knobs`), the default first
KNOBBED = ("hi_lo", "edlp", "limited_offer", "loyalty_points", "stamp_card")
# registered policies a focal firm A cannot run with their defaults: reactive watches firm A
RIVALS_ONLY = ("reactive",)
# every registered policy (`custsim.policies.registry`): those with knobs, then the rest with
# their own defaults (retention, value_allocation, ...); the default first in each list
POLICIES = (
    *KNOBBED,
    *(name for name in registered() if name not in KNOBBED and name not in RIVALS_ONLY),
)
NETWORKS = ("watts_strogatz", *(k for k in network.KINDS if k != "watts_strogatz"))
FRAMES = ("percent_off", *(f for f in market.FRAMES if f != "percent_off"))


@dataclass(frozen=True)
class Settings:
    """One value per dashboard control.

    Defaults are the CLI's, except a classroom-sized population and a hi-lo
    promotion calendar for firm A, so that pressing play shows something at once.
    The policy knobs' defaults are the policies' own (`HiLoConfig`, `LoyaltyPointsConfig`,
    `StampCardConfig`) and the chain's the engine's (`ServiceConfig`, `ExperienceConfig`):
    declared there, never here.
    """

    seed: int = 0
    days: int = 365
    size: int = 2000
    network: str = "watts_strogatz"
    loss_aversion: float = 2.25
    curvature: float = 0.88
    memory: float = 0.2
    social_weight: float = 0.5
    policy: str = "hi_lo"
    depth: float = HiLoConfig.depth
    every: int = HiLoConfig.every
    duration: int = HiLoConfig.duration
    frame: str = HiLoConfig.frame
    earn_rate: float = LoyaltyPointsConfig.earn_rate
    threshold: float = LoyaltyPointsConfig.threshold
    slots: int = StampCardConfig.slots
    failure_rate: float = ServiceConfig.failure_rate
    habit_weight: float = ExperienceConfig.habit_weight

    @classmethod
    def from_controls(cls, values: dict[str, Any]) -> Settings:
        """Settings from raw control values (as SolaraViz passes them), typed and rounded.

        Raises:
            TypeError: for a name that is not a control.

        """
        typed: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in values:
                continue
            kind = type(f.default)
            value = values[f.name]
            typed[f.name] = round(float(value), 4) if kind is float else kind(value)
        unknown = set(values) - set(typed)
        if unknown:
            raise TypeError(f"unknown dashboard controls: {', '.join(sorted(unknown))}")
        return cls(**typed)


def slider(label: str, lo: float, hi: float, step: float, shown: str = "{:g}") -> dict[str, Any]:
    """A SolaraViz slider spec (int or float by the type of its numbers).

    `shown` formats the value (with its unit) next to the label (`value_label`).
    """
    is_int = all(isinstance(v, int) for v in (lo, hi, step))
    kind = "SliderInt" if is_int else "SliderFloat"
    return {"type": kind, "label": label, "min": lo, "max": hi, "step": step, "shown": shown}


def select(label: str, values: tuple[str, ...]) -> dict[str, Any]:
    """A SolaraViz drop-down spec."""
    return {"type": "Select", "label": label, "values": list(values)}


CONTROLS: dict[str, dict[str, Any]] = {
    "seed": slider("Seed", 0, 99, 1),
    "days": slider("Run length", 30, 730, 1, "{:d} days"),
    "size": slider("Customers", 200, 20_000, 200, "{:,d}"),
    "network": select("Social network", NETWORKS),
    "loss_aversion": slider("Loss aversion λ", 0.5, 4.0, 0.05, "{:.2f}×"),
    "curvature": slider("Curvature α=β", 0.3, 1.0, 0.01, "{:.2f}"),
    "memory": slider("Memory θ", 0.02, 0.9, 0.01, "{:.2f}"),
    "social_weight": slider("Social weight", 0.0, 12.0, 0.1, "{:.1f}"),
    "policy": select("Firm A's policy", POLICIES),
    "depth": slider("Discount depth", 0.05, 0.6, 0.01, "{:.0%} off"),
    "every": slider("Promo every", 7, 91, 1, "{:d} days"),
    "duration": slider("Offer length", 1, 28, 1, "{:d} days"),
    "frame": select("Discount frame", FRAMES),
    "earn_rate": slider("Points per 1 spent", 0.0, 5.0, 0.1, "{:.1f} points"),
    "threshold": slider("Points per reward", 10.0, 200.0, 5.0, "{:.0f} points"),
    "slots": slider("Stamps per reward", 2, 20, 1, "{:d} stamps"),
    "failure_rate": slider("Firm A's service failures", 0.0, 0.3, 0.01, "{:.0%} of purchases"),
    "habit_weight": slider("Habit weight", 0.0, 3.0, 0.1, "{:.1f}"),
}


def value_label(name: str, value: Any) -> str:
    """Control `name`'s label with its current value and unit, e.g. 'Discount depth: 25% off'.

    A drop-down shows its value itself: its label stays as it is.
    """
    spec = CONTROLS[name]
    if "shown" not in spec:
        return spec["label"]
    number = round(value) if spec["type"] == "SliderInt" else float(value)
    return f"{spec['label']}: {spec['shown'].format(number)}"


def num(value: float) -> str:
    """A number as a short Hydra override value (no float noise such as 0.30000000000000004)."""
    return f"{value:.6g}"


def trait_overrides(s: Settings) -> list[str]:
    """Set each behavioural trait slider for the whole population (every segment keeps its sd)."""
    key = "population.traits"
    return [
        f"{key}.loss_aversion.mean={num(s.loss_aversion)}",
        f"{key}.gain_curvature.mean={num(s.curvature)}",
        f"{key}.loss_curvature.mean={num(s.curvature)}",
        f"{key}.memory.mean={num(s.memory)}",
        f"{key}.social_weight.mean={num(s.social_weight)}",
    ]


def policy_knobs(s: Settings) -> dict[str, str]:
    """The knobs of the focal firm's chosen policy, as override values (none for most).

    A policy without controls (not in `KNOBBED`) runs with its own defaults.
    """
    knobs: dict[str, dict[str, str]] = {
        "edlp": {},
        "hi_lo": {"depth": num(s.depth), "every": str(s.every), "duration": str(s.duration)},
        "limited_offer": {"depth": num(s.depth), "duration": str(s.duration)},
        "loyalty_points": {"earn_rate": num(s.earn_rate), "threshold": num(s.threshold)},
        "stamp_card": {"slots": str(s.slots)},
    }
    if s.policy not in POLICIES:
        raise ValueError(f"policy={s.policy!r}: must be one of: {', '.join(POLICIES)}")
    chosen = dict(knobs.get(s.policy, {}))
    if s.policy in ("hi_lo", "limited_offer"):
        chosen["frame"] = s.frame
    return chosen


def policy_overrides(s: Settings) -> list[str]:
    """The focal firm's policy and the knobs that apply to it."""
    return [f"policy={s.policy}", *(f"policy.{k}={v}" for k, v in policy_knobs(s).items())]


def chain_overrides(s: Settings) -> list[str]:
    """Firm A's service failure rate and the habit weight, each only if not the engine's default.

    A failure rate above 0 switches the experience chain on (`custsim.sim.config.chain_enabled`);
    the habit weight w_H weighs habit H_ij in the brand utility (it acts only with the chain).
    """
    out = []
    if s.failure_rate != ServiceConfig.failure_rate:
        out.append(f"market.firms.A.service.failure_rate={num(s.failure_rate)}")
    if s.habit_weight != ExperienceConfig.habit_weight:
        out.append(f"population.experience.habit_weight={num(s.habit_weight)}")
    return out


def to_overrides(s: Settings) -> list[str]:
    """The Hydra overrides for `s`, as `custsim` takes them on the command line."""
    run = [
        f"seed={s.seed}",
        f"steps={s.days}",
        f"population.size={s.size}",
        f"network={s.network}",
        "progress=off",
    ]
    return run + policy_overrides(s) + trait_overrides(s) + chain_overrides(s)


def cli_command(s: Settings) -> str:
    """The `custsim` command that runs the same simulation from a terminal."""
    return " ".join(["custsim", *(o for o in to_overrides(s) if o != "progress=off")])
