"""The customers' traits as the config declares them, turned into what the sampler draws.

Each trait is a field of `custsim.sim.config.SegmentConfig` whose metadata holds its
family (gamma, beta, lognormal or constant), the ranges of its mean and sd, and
whether customers.parquet records it (`trait`, `constant_trait`). This module reads
that metadata for the sampler (`population_spec`), the validator (`trait_problems`)
and the results writer (`RECORDED`).

A trait's value in a segment is, in order of precedence:
1. `population.traits.<trait>.mean` / `.sd`, when set (every segment at once);
2. `population.segments.<segment>.<trait>` (the population preset, e.g.
   conf/population/grocery.yaml);
3. the `SegmentConfig` default.
Mean and sd are resolved separately: `population.traits.loss_aversion.mean=2`
sets every segment's mean and keeps each segment's own sd.
"""

from __future__ import annotations

from custsim.agents.population import Moments, PopulationSpec, TraitSpec, family_problem
from custsim.sim.config import TRAIT_FIELDS, Dist, PopulationConfig, SegmentConfig, TraitOverride

#: every trait, in declaration order
TRAITS = tuple(f.name for f in TRAIT_FIELDS)
#: trait -> its distribution family
FAMILY = {f.name: f.metadata["family"] for f in TRAIT_FIELDS}
#: the traits written to customers.parquet, in declaration order
RECORDED = tuple(f.name for f in TRAIT_FIELDS if f.metadata["record"])


def segment_moments(seg: SegmentConfig, name: str, wide: TraitOverride) -> Moments:
    """A trait's mean and sd in one segment, a population-wide value winning over the segment's."""
    own = getattr(seg, name)
    mean, sd = (own.mean, own.sd) if isinstance(own, Dist) else (own, 0.0)
    return Moments(
        float(mean if wide.mean is None else wide.mean), float(sd if wide.sd is None else wide.sd)
    )


def population_spec(pop: PopulationConfig) -> PopulationSpec:
    """The plain spec `custsim.agents.population.draw_population` samples from."""
    segs = tuple(pop.segments.values())
    traits = tuple(
        TraitSpec(
            name,
            FAMILY[name],
            tuple(segment_moments(s, name, getattr(pop.traits, name)) for s in segs),
        )
        for name in TRAITS
    )
    return PopulationSpec(
        segments=tuple(pop.segments),
        shares=tuple(s.share for s in segs),
        taste_sd=tuple(s.taste_sd for s in segs),
        traits=traits,
    )


def trait_problems(pop: PopulationConfig) -> list[str]:
    """Population-wide values a trait cannot take and moments its family cannot draw.

    A constant trait has no sd; a beta trait needs sd^2 < mean (1 - mean)
    (`custsim.agents.population.family_problem`) in every segment, with the
    population-wide values applied. Each line names the key whose value breaks it.
    """
    problems = []
    for name in TRAITS:
        wide = getattr(pop.traits, name)
        if FAMILY[name] == "constant" and wide.sd is not None:
            problems.append(
                f"population.traits.{name}.sd={wide.sd!r}: {name} is the same for every "
                f"customer of a segment; set population.traits.{name}.mean only"
            )
            continue
        for seg_name, seg in pop.segments.items():
            d = segment_moments(seg, name, wide)
            problem = family_problem(FAMILY[name], d)
            if problem is None:
                continue
            where = f"population.segments.{seg_name}" if wide.sd is None else "population.traits"
            given = "" if wide.mean is None else f", with population.traits.{name}.mean={d.mean!r}"
            problems.append(f"{where}.{name}.sd={d.sd!r}: {problem}{given}")
            if wide.sd is not None:
                break  # one line for the population-wide sd
    return problems


def unknown_trait(override: str) -> str | None:
    """The one line for an override of a trait that does not exist, else None.

    'population.traits.loss_avers.mean=2' -> '...: no such trait; traits are: ...'.
    """
    key = override.lstrip("+~").split("=", 1)[0]
    parts = key.split(".")
    if parts[:2] != ["population", "traits"] or len(parts) < 3 or parts[2] in TRAITS:
        return None
    return f"{override.lstrip('+~')}: no such trait; traits are: {', '.join(TRAITS)}"


def population_wide(key: str) -> bool:
    """Whether `key` is a population-wide trait value, `population.traits.<trait>.mean|sd`.

    Such a key is a number that is null (unset) by default: sweeps, sensitivity and
    optimisation may vary it like any other number.
    """
    parts = key.split(".")
    return len(parts) == 4 and parts[:2] == ["population", "traits"] and parts[2] in TRAITS
