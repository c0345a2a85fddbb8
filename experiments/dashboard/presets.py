"""Things to try: guided classroom experiments drawn from the findings custsim reproduces.

Each preset sets every control (its `changes` on top of the `Settings`
defaults, so a preset always gives the same run), says what to look for in the
charts, and suggests the one change to make next (then press Reset and play
again) to see the effect switch on or off.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

from custsim.experiments.dashboard.controls import Settings


@dataclass(frozen=True)
class Preset:
    """A guided experiment: the controls it sets, what to look for, and what to change next."""

    key: str
    title: str
    finding: str  # the published result behind it
    look_for: str
    then: str
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        """The defaults with this experiment's changes."""
        return replace(Settings(), **self.changes)


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="loss_aversion",
        title="Loss aversion on and off",
        finding="Kalyanaram & Winer 1995: paying more than the reference price hurts more "
        "than paying less pleases",
        look_for="Firm A runs 40% off for two weeks every six weeks; customers are strongly "
        "loss averse (λ = 4) and update their reference price quickly (θ = 0.5). During a "
        "deal the reference price for A slides down, so when the deal ends the regular "
        "price feels like a loss. Watch *week after a deal vs week before* in the numbers "
        "line: by the end of the year A sells about 32% less in the week after a deal "
        "than in the week before it (the post-promotion dip).",
        then="Set loss aversion λ to 1 (a loss weighs as much as a gain), press Reset and "
        "play: the dip is about 20% (the customers who stocked up), a third shallower.",
        changes={
            "policy": "hi_lo",
            "depth": 0.4,
            "every": 42,
            "duration": 14,
            "memory": 0.5,
            "loss_aversion": 4.0,
        },
    ),
    Preset(
        key="erosion",
        title="Promotion erosion",
        finding="Kopalle, Rao & Assunção 1996: deep, frequent deals erode the reference price",
        look_for="40% off one week in every two, customers who update their reference "
        "quickly (θ = 0.3). In *Shelf price vs average reference price* the dashed "
        "reference line for A drifts from 8.00 down to about 7.10 and stays there: the "
        "deal price no longer looks like much of a bargain. In *Sales and share* each deal "
        "lifts sales less: the first sells 270 packs on its best day, later ones about 160.",
        then="Set 'Discount depth' to 10% and 'Promo every' to 56 days, Reset and "
        "play: A's reference price (numbers line) stays near 7.90.",
        changes={"policy": "hi_lo", "depth": 0.4, "every": 14, "duration": 7, "memory": 0.3},
    ),
    Preset(
        key="goal_gradient",
        title="Goal gradient with a stamp card",
        finding="Kivetz, Urminsky & Zheng 2006: purchases speed up as a card nears its reward",
        look_for="Firm A hands out a buy-10-get-one-free stamp card. In *Points earned and "
        "redeemed* stamps pile up on the cards (dotted line) until the first free units "
        "are redeemed after one to three months (numbers line: first reward); then "
        "redemptions keep coming as cards fill. Customers close to a reward shop sooner and "
        "pick A: A's unit share ends the year well above the 37% it gets with no card.",
        then="Set 'Stamps per reward' to 20 (a far-away goal), Reset and play: the first "
        "reward comes months later and A gains less share.",
        changes={"policy": "stamp_card", "slots": 10},
    ),
    Preset(
        key="herding",
        title="Herding with strong social influence",
        finding="Salganik, Dodds & Watts 2006: social influence makes market shares more "
        "unequal and less predictable",
        look_for="No promotions; customers weigh what their neighbours bought very heavily "
        "(social weight 10) on a small-world network. In the *Network* view whole "
        "neighbourhoods turn one colour. In *Sales and share* the leader pulls away, and "
        "it is not always the best brand: with seed 0, B outsells A.",
        then="Change the seed (another world, same rules) and Reset: over seeds 0-3 A ends "
        "the year with 42%, 63%, 72% and 63% of unit sales. Then set social weight to 0.5 "
        "(the default): colours mix and A's share is 36-37% whatever the seed.",
        changes={"policy": "edlp", "social_weight": 10.0, "network": "watts_strogatz"},
    ),
    Preset(
        key="limited_offer",
        title="A time-limited offer",
        finding="Inman & McAlister 1994: redemptions peak when an offer drops and again "
        "just before it expires",
        look_for="Firm A runs 25% off for 14 days from day 30, with a countdown. In *Sales "
        "and share*, A's sales jump five-fold on the first days, sag in the middle, rise "
        "again on the last days before the deadline, and then dip: in the week after the "
        "offer A sells about 22% less than in the week before it (customers stocked up).",
        then="Set 'Offer length' to 3 days, Reset and play: one short, sharp spike and "
        "a smaller dip after it (about 12%).",
        changes={"policy": "limited_offer", "depth": 0.25, "duration": 14},
    ),
    Preset(
        key="framing",
        title="Framing a discount",
        finding="Diamond & Campbell 1989: a cut framed as a deal against the regular "
        "price is read as temporary, not as a new price, and kept out of the reference price",
        look_for="30% off one week in three, each cut shown as 'was 8.00, now 5.60'. "
        "Customers file much of a framed cut as a deal rather than a new price, so in "
        "*Shelf price vs average reference price* (and the numbers line) A's reference "
        "price only slips to about 7.60 by the end of the year.",
        then="Set the discount frame to 'none' (a silent price cut), Reset and play: the "
        "reference price slides further, to about 7.30.",
        changes={"policy": "hi_lo", "depth": 0.3, "every": 21, "frame": "was_now"},
    ),
    Preset(
        key="rfm_classes",
        title="RFM classes vs the truth",
        finding="Hughes 1994: rank customers by recency, frequency and monetary value; "
        "a CRM sees only purchases, the simulation also knows who each customer is",
        look_for="Firm A's CRM sorts its 3,000-customer base into four RFM classes from its "
        "own purchase records (the *CRM view* line); beside each class the simulation adds "
        "what no CRM sees: the share that has really left, and the persona most "
        "over-represented. By the end of the year A has 979 high-value customers, only 3% of "
        "them gone and 27% brand-loyal (20% of the base); of its 383 important-to-retain "
        "customers (frequent, but silent lately) 23% have left, of its 1,282 low-value ones "
        "18%. The classes are not the personas: every class mixes all four.",
        then="Set Firm A's policy to 'retention' (a discount to customers silent for 30 "
        "days), Reset and play: churn among the low-value customers falls to about 10%, and "
        "2,703 customers are still active instead of 2,588.",
        changes={"policy": "edlp", "size": 3000},
    ),
    Preset(
        key="satisfied_leave",
        title="Why satisfied customers still leave",
        finding="Jones & Sasser 1995 (HBR 73(6): 88): where competitors are a click away, "
        "merely satisfied customers defect; only switching costs keep them",
        look_for="No promotions; firm A's service fails on 5% of purchases (662 times over "
        "the year), the experience chain is on. In *Satisfaction, trust and why customers "
        "go* A's buyers stay close to neutral (satisfaction about -0.07, B and C 0.00; trust "
        "0.68 against B's 0.73), few complain (206 complaints) and nobody leaves the category "
        "over it: all 296 exits are natural. Yet A's shoppers switch to B or C 6,472 times, "
        "and 1,348 of those switches (21%) are put down to service (the *Why customers go* "
        "line).",
        then="Set 'Habit weight' to 3 (habit as a switching cost), Reset and play: A's "
        "service still fails on 5% of purchases, but switches away from A fall to 4,642 "
        "(978 of them for service). Or, at habit 1, set Firm A's policy to "
        "'complaint_handling': all 227 complaints are answered, A's buyers' satisfaction "
        "rises to -0.02 and the switches put down to service fall to 979, yet A's shoppers "
        "still switch away 6,476 times.",
        changes={"policy": "edlp", "failure_rate": 0.05},
    ),
)

PRESETS_BY_KEY: dict[str, Preset] = {p.key: p for p in PRESETS}


def preset_key(search: str | None) -> str:
    """The experiment key in a page's query string (`preset=<key>`); "" if there is none."""
    return parse_qs(search or "").get("preset", [""])[0]


def preset_from_query(search: str | None) -> Preset | None:
    """The experiment named in a page's query string (`preset=<key>`), None if none or unknown."""
    return PRESETS_BY_KEY.get(preset_key(search))


def unknown_preset_message(search: str | None) -> str | None:
    """What the page says when its query names no experiment custsim has; None otherwise.

    It names the unknown key, says the page shows the defaults instead, and lists
    the experiments (key: title).
    """
    key = preset_key(search)
    if not key or key in PRESETS_BY_KEY:
        return None
    shown = key if len(key) <= 40 else key[:39] + "…"
    known = "; ".join(f"{p.key} ({p.title})" for p in PRESETS)
    return (
        f"There is no experiment called '{shown}' (?preset={shown}): the page shows the "
        f"defaults instead. The experiments are: {known}."
    )
