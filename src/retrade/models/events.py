"""Policy events as treatment definitions: a date, the HS lines and partners a measure touches.

The bundled events table (:func:`retrade.reference.policy_events`) says what
happened and when. A model needs more: which six-digit lines the measure
reaches, which partners it names, when it ends, and how loosely the measure's
own terms (elements, technologies) map to HS lines. :data:`CURATED` holds that
mapping for the events the literature studies; :func:`define_treatment` builds
the same object for any other date.

Timing
------
A treatment's first post-event period depends on the data's frequency and on
``timing``: ``"full"`` (default) takes the first period that starts on or after
the effective date, so every post period is fully treated (the quota abolition
effective 1 Jan 2015 makes 2015 the first post year; the October 2024
regulations make 2025 the first full post year), and models leave out the
partly treated period that contains the date (:func:`straddling`);
``"partial"`` takes the period that contains the date as the first post period
(2024 for the October 2024 regulations, with three treated months out of
twelve).

Examples
--------
>>> t = treatment("2015 quota removal")
>>> t.effective.date().isoformat(), t.hs6
('2015-01-01', ('280530', '284610', '284690'))
>>> first_post(t, "A")
2015
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from retrade import choices
from retrade.errors import ConfigError, SpecificationError, check_choice

Timing = choices.Timing
TIMINGS: tuple[str, ...] = choices.values(Timing)
Direction = choices.Direction

RARE_EARTH_ELEMENTS: tuple[str, ...] = (
    "Sc", "Y", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm",
    "Yb", "Lu",
)
_RE_LINES = ("280530", "284610", "284690")
_CHAIN = ("280530", "284690", "850511")


@dataclass(frozen=True)
class Treatment:
    """One dated policy measure as a model treatment.

    Attributes
    ----------
    name : str
        Short name used to refer to it (``"2025-04 controls"``).
    effective : Timestamp
        Date from which the measure applies.
    announced : Timestamp
        Date of the source row (announcement or publication).
    hs6 : tuple of str
        Six-digit lines the measure reaches (wholly or partly; see ``caveat``).
    elements : tuple of str
        Rare-earth elements the measure names, if any.
    partners : tuple of str
        ISO3 codes of partners the measure names; empty when it applies to all.
    end : Timestamp or None
        Date the measure was lifted or suspended, if it was.
    direction : {"restriction", "liberalization"}
        Whether the measure tightens or loosens trade.
    caveat : str
        How partly the measure maps to HS lines and what else to keep in mind.
    source : str
        The bundled events row it comes from (date, type, description, source).
    """

    name: str
    effective: pd.Timestamp
    announced: pd.Timestamp
    hs6: tuple[str, ...]
    elements: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    end: pd.Timestamp | None = None
    direction: Direction = "restriction"
    caveat: str = ""
    source: str = "user-defined"


@dataclass(frozen=True)
class _Curated:
    """How one bundled events row becomes a treatment."""

    name: str
    row_date: str
    row_type: str
    hs6: tuple[str, ...]
    caveat: str
    effective: str | None = None
    elements: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    end: str | None = None
    direction: Direction = "restriction"


CURATED: tuple[_Curated, ...] = (
    _Curated(
        "2010 quota cut", "2010-07", "quota", _RE_LINES,
        "Quotas were set in tonnes of REO on rare-earth raw materials (oxides, salts, metals, "
        "ores); magnets (850511) were not under quota. Ore lines 253090/261220 are far broader "
        "than rare earths and are left out. Announced early July 2010, exact day not retrieved.",
    ),
    _Curated(
        "2010-09 Japan halt", "2010-09-21", "export_control", _RE_LINES,
        "Unannounced de facto halt of shipments to Japan, about two months (late Sep to late "
        "Nov 2010); the start date is approximate and China denied any ban (Evenett and Fritz "
        "2023 question the embargo narrative). Annual data cannot isolate a two-month episode.",
        partners=("JPN",), end="2010-11-30",
    ),
    _Curated(
        "2015 quota removal", "2014-12-31", "quota", _RE_LINES,
        "Export quotas abolished from 1 Jan 2015 after WTO DS431; an export licence was still "
        "required. Export duties were removed later in 2015 (not in the bundled events table).",
        effective="2015-01-01", direction="liberalization",
    ),
    _Curated(
        "2023-12 technology ban", "2023-12-21", "export_control", _CHAIN,
        "Bans the export of separation, metal-production and magnet-making technology, not of "
        "goods; any effect on these goods flows is indirect.",
    ),
    _Curated(
        "2024-10 regulations", "2024-10-01", "regulation", _RE_LINES,
        "Domestic management regulations (state ownership, total-quantity control, "
        "traceability, import/export rules) rather than an export restriction on named goods.",
    ),
    _Curated(
        "2025-04 controls", "2025-04-04", "export_control", _CHAIN,
        "Dual-use licensing for Sm, Gd, Tb, Dy, Lu, Sc, Y (metals, alloys, oxides, compounds, "
        "magnets containing them): only parts of 280530, 284690 and 850511 are controlled "
        "(national lines such as 2805301910 and 2846901940); La, Ce, Nd and Pr products in the "
        "same HS6 lines are not.",
        elements=("Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"),
    ),
    _Curated(
        "2025-10 controls", "2025-10-09", "export_control", _CHAIN,
        "Adds Ho, Er, Tm, Eu, Yb plus equipment, technology and extraterritorial rules; "
        "suspended on 7 Nov 2025 (to 10 Nov 2026), so it was in force for about one month. "
        "Only parts of the HS6 lines carry these elements.",
        elements=("Ho", "Er", "Tm", "Eu", "Yb"), end="2025-11-07",
    ),
)


def treatments() -> pd.DataFrame:
    """The curated treatments as a table (one row each, oldest first).

    ``date`` is the effective date and ``end`` the end date (NaT when still in
    force), the ``date, name, end`` layout that ``retrade.forecast`` takes as events.

    Examples
    --------
    >>> "2025-04 controls" in treatments()["name"].tolist()
    True
    """
    rows = [
        {"name": t.name, "date": t.effective, "end": t.end,
         "direction": t.direction, "hs6": " ".join(t.hs6), "elements": " ".join(t.elements),
         "partners": " ".join(t.partners), "caveat": t.caveat}
        for t in (_build(c) for c in CURATED)
    ]
    return pd.DataFrame(rows)


def treatment(event: str | Treatment) -> Treatment:
    """The treatment for a curated event name (case-insensitive), or ``event`` itself.

    Raises :class:`~retrade.errors.SpecificationError` listing the known names.
    """
    if isinstance(event, Treatment):
        return event
    for curated in CURATED:
        if curated.name.lower() == str(event).strip().lower():
            return _build(curated)
    names = [c.name for c in CURATED]
    raise SpecificationError(
        f"unknown event {event!r}; curated events are {names}, or build one with define_treatment()"
    )


def define_treatment(
    name: str,
    effective: str | pd.Timestamp,
    *,
    hs6: Sequence[str] = (),
    elements: Sequence[str] = (),
    partners: Sequence[str] = (),
    end: str | pd.Timestamp | None = None,
    direction: Direction = "restriction",
    caveat: str = "",
) -> Treatment:
    """A user-defined treatment (validated like the curated ones).

    Examples
    --------
    >>> t = define_treatment("2012 WTO request", "2012-03-13", hs6=["284690"])
    >>> first_post(t, "M")
    Period('2012-04', 'M')
    """
    date = _timestamp(effective, name)
    built = Treatment(
        name=name, effective=date, announced=date, hs6=tuple(hs6), elements=tuple(elements),
        partners=tuple(partners), end=_timestamp(end, name) if end is not None else None,
        direction=direction, caveat=caveat,
    )
    _validate(built)
    return built


def first_post(t: Treatment, frequency: str, timing: Timing = "full") -> int | pd.Period:
    """The first post-event period: a year (``"A"``) or a monthly :class:`~pandas.Period`."""
    check_choice("timing", timing, TIMINGS)
    freq = {"A": "Y", "M": "M"}.get(frequency)
    if freq is None:
        raise ConfigError(f"frequency must be 'A' or 'M', got {frequency!r}")
    containing = t.effective.to_period(freq)
    starts_on_date = containing.start_time == t.effective.normalize()
    post = containing if (timing == "partial" or starts_on_date) else containing + 1
    return int(post.year) if frequency == "A" else post


def straddling(t: Treatment, frequency: str, timing: Timing = "full") -> int | pd.Period | None:
    """Under ``"full"`` timing, the partly treated period that contains the effective date.

    Models leave it out: it is neither a clean pre-event nor a fully treated
    period. ``None`` when the date starts a period or ``timing="partial"``.
    """
    start = first_post(t, frequency, timing)
    containing = first_post(t, frequency, "partial")
    return containing if start != containing else None


def last_post(t: Treatment, frequency: str) -> int | pd.Period | None:
    """The last period the measure was in force (the one containing ``end``), if it ended."""
    if t.end is None:
        return None
    period = t.end.to_period("Y" if frequency == "A" else "M")
    return int(period.year) if frequency == "A" else period


def check_coverage(
    t: Treatment, periods: Sequence, frequency: str, timing: Timing = "full"
) -> None:
    """Raise unless ``periods`` hold at least one pre-event and one post-event period.

    The checks run in the order a user needs them: an event after the data end,
    a measure shorter than one full period, no post period, no pre period.
    """
    start = first_post(t, frequency, timing)
    containing = first_post(t, frequency, "partial")
    available = sorted(set(periods))
    if not available:
        raise SpecificationError(f"event {t.name!r}: the data have no periods")
    if containing > available[-1]:
        raise SpecificationError(
            f"event {t.name!r} (effective {t.effective.date()}) is outside the data, which end "
            f"in {available[-1]}")
    stop = last_post(t, frequency)
    if stop is not None and stop < start:
        raise SpecificationError(
            f"event {t.name!r} ({t.effective.date()} to {t.end.date()}) does not cover one full "
            f"{'year' if frequency == 'A' else 'month'}; use timing='partial' or finer data")
    mixed = straddling(t, frequency, timing)
    values = [p for p in available if p != mixed]
    span = f"{values[0]}..{values[-1]}" if values else "nothing"
    if mixed is not None and mixed in set(available):
        span += f", leaving out the partly treated {mixed}"
    if not [p for p in values if p >= start]:
        raise SpecificationError(
            f"event {t.name!r} (effective {t.effective.date()}) is outside the data: the first "
            f"full post-event period would be {start}, but the data cover {span} (try "
            "timing='partial' or monthly data)")
    if not [p for p in values if p < start]:
        raise SpecificationError(
            f"event {t.name!r} (effective {t.effective.date()}) has no pre-event period: the "
            f"data ({span}) start at or after its first post-event period, {start}")


def _build(c: _Curated) -> Treatment:
    row = _source_row(c.row_date, c.row_type)
    announced = pd.Timestamp(row["date_start"])
    built = Treatment(
        name=c.name,
        effective=pd.Timestamp(c.effective) if c.effective else announced,
        announced=announced,
        hs6=c.hs6, elements=c.elements, partners=c.partners,
        end=pd.Timestamp(c.end) if c.end else None,
        direction=c.direction, caveat=c.caveat,
        source=f"policy_events {row['date']} {row['event_type']}: {row['description']} "
        f"[{row['source']}]",
    )
    _validate(built)
    return built


def _source_row(date: str, event_type: str) -> pd.Series:
    from retrade.reference import policy_events

    events = policy_events()
    hit = events[(events["date"] == date) & (events["event_type"] == event_type)]
    if len(hit) != 1:
        raise SpecificationError(
            f"the bundled events table has {len(hit)} rows for {date} {event_type}; expected one"
        )
    return hit.iloc[0]


def _timestamp(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise SpecificationError(f"treatment {name!r}: cannot read date {value!r}") from exc


def _validate(t: Treatment) -> None:
    bad_hs = [h for h in t.hs6 if not (len(h) == 6 and h.isdigit())]
    bad_el = [e for e in t.elements if e not in RARE_EARTH_ELEMENTS]
    bad_pa = [p for p in t.partners if not (len(p) == 3 and p.isalnum() and p.isupper())]
    for label, bad in (("HS6 codes", bad_hs), ("elements", bad_el), ("partner codes", bad_pa)):
        if bad:
            raise SpecificationError(f"treatment {t.name!r}: invalid {label} {bad}")
    if t.end is not None and t.end < t.effective:
        raise SpecificationError(f"treatment {t.name!r}: end {t.end.date()} is before it starts")
    check_choice("direction", t.direction, Direction)
