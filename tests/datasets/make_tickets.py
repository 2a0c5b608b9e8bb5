"""Generate `tickets.csv`: a synthetic, event-level, binary-classification table (fixed seed).

The story: the customer-support desk of a software company in Berlin, January to June 2024.
Each row is one ticket, stamped with the minute it was created (local time with its UTC offset;
Germany moves from +01:00 to +02:00 on 31 March). A ticket is `breached` (1) when it was not
resolved within the SLA of the customer's tier (enterprise 4 h, pro 8 h, free 24 h).
Whether that happens depends on how long the team's queue is, the channel (phone tickets are
often solved on the call), the product (API questions are hard), the tier, attachments, new
customers, tickets created late on Friday or at the weekend, and noise nobody observes.

Many tickets share a timestamp: e-mails are fetched by a poller every 15 minutes and all get
the poll's time, and a dozen outages send bursts of 40-80 tickets within 40 minutes. About a
third of the tickets share their minute with another one, up to 18 in one minute.

Gaps: `product` is empty for e-mails sent straight to the support address (no form), about
8 % of rows; `customer_tenure_days` for guests without an account, about 14 %; `queue_length`
when the queue snapshot timed out, about 3 %.

Built-in drift: tickets per day grow by about 40 % from January to June (a chat widget in the
mobile app, more mobile customers) while staffing is planned for January with a single 20 %
raise in April. Chat's share goes from ~18 % to ~38 %, mobile's from ~21 % to ~36 %; the share
of breached tickets rises from about 13 % in January to about 27 % in March, dips to 20 %
after the raise and climbs to about 31 % in June. Teams come and go: `mobile` takes over from
`apps` on 4 March and `payments` splits off `billing` on 13 May, so later months hold team
names that earlier months never saw.

Run `python tests/datasets/make_tickets.py` from the repository root to rewrite the CSV;
tests/data/test_tickets_dataset.py checks that the committed file is exactly what this script
writes. Bigger variants for benchmarks (never committed): `--volume 16` multiplies the ticket
volume (a desk 16 times the size, ~300,000 rows), `--wide` adds four columns a bigger desk's
form would collect (priority, language, message_chars, sentiment; definition in
benchmarks/tickets_wide.yaml), drawn from a generator of their own so every other column stays
as it is without the flag. Only numpy's PCG64 generator, numpy's datetime64 and fixed-width
formatting are used, so the bytes do not depend on pandas.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SEED = 11
START = np.datetime64("2024-01-01T00:00", "m")  # a Monday
DAYS = 182  # 2024-01-01 .. 2024-06-30
DST = (90, 2)  # day 90 is 2024-03-31: clocks jump from 02:00 to 03:00 (CET -> CEST)
OUT = Path(__file__).with_name("tickets.csv")
HEADER = (
    "ticket_id,created_at,channel,product,tier,team,queue_length,customer_tenure_days,"
    "has_attachment,resolution_minutes,breached"
)
WIDE = "priority,language,message_chars,sentiment"  # --wide: before resolution_minutes
CHANNELS = np.array(["email", "chat", "phone"])
PRODUCTS = np.array(["web", "mobile", "api", ""])  # "" = not given
TIERS = np.array(["free", "pro", "enterprise"])
SLA_MINUTES = np.array([1440, 480, 240])  # by tier
MOBILE_TEAM_DAY, PAYMENTS_DAY, RAISE_DAY = 63, 133, 91  # 4 March, 13 May, 1 April
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
LANGUAGES = np.array(["de", "en", "fr", "nl", "pl"])  # Polish from 1 April (RAISE_DAY)
WEEKDAY_TICKETS = 95  # tickets on a January weekday

# Tickets per local hour over a weekday (relative): office hours, a dip at lunch.
PROFILE = np.array(
    [0.05, 0.03, 0.02, 0.02, 0.03, 0.05, 0.15, 0.4, 0.9, 1.3, 1.4, 1.3,
     1.0, 1.1, 1.3, 1.2, 1.0, 0.8, 0.5, 0.35, 0.25, 0.2, 0.12, 0.08]
)  # fmt: skip


def _pick(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One category index per row, from per-row probabilities (rows x categories)."""
    return (rng.random(len(p))[:, None] > np.cumsum(p, axis=1)).sum(axis=1)


def _regular(rng: np.random.Generator, volume: int) -> tuple[np.ndarray, np.ndarray]:
    """Day and local minute-of-day of everyday tickets: Poisson counts per hour."""
    day, hour = np.divmod(np.arange(DAYS * 24), 24)
    weekend = np.where(day % 7 >= 5, 0.35, 1.0)
    growth = 1 + 0.6 * day / DAYS
    rate = volume * WEEKDAY_TICKETS * PROFILE[hour] / PROFILE.sum() * weekend * growth
    rate[(day == DST[0]) & (hour == DST[1])] = 0  # that hour does not exist in Berlin
    counts = rng.poisson(rate)
    day, hour = np.repeat(day, counts), np.repeat(hour, counts)
    return day, hour * 60 + rng.integers(0, 60, day.size)


def _outages(rng: np.random.Generator, volume: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, minute-of-day and product of the tickets a dozen outages send within 40 minutes."""
    weekdays = np.flatnonzero(np.arange(DAYS) % 7 < 5)
    days = np.sort(rng.choice(weekdays, size=12, replace=False))
    starts = rng.integers(9 * 60, 16 * 60, days.size)
    products = rng.integers(0, 3, days.size)
    sizes = rng.integers(40, 81, days.size) * volume  # a bigger desk: more customers hit
    day, start, product = (np.repeat(a, sizes) for a in (days, starts, products))
    return day, start + rng.integers(0, 40, day.size), product


def _attributes(
    rng: np.random.Generator, day: np.ndarray, outage: np.ndarray
) -> dict[str, np.ndarray]:
    """Channel, product, tier, attachment and tenure per ticket; the mix drifts with `day`."""
    n, season = day.size, day / DAYS
    chat, phone = 0.15 + 0.25 * season, 0.35 - 0.15 * season
    channel = _pick(rng, np.column_stack([1 - chat - phone, chat, phone]))
    channel = np.where(outage, _pick(rng, np.tile([0.35, 0.5, 0.15], (n, 1))), channel)
    mobile = 0.2 + 0.2 * season
    product = _pick(rng, np.column_stack([0.8 - mobile, mobile, np.full(n, 0.2)]))
    product = np.where((channel == 0) & (rng.random(n) < 0.2), 3, product)  # no form, no product
    tier = _pick(rng, np.tile([0.6, 0.3, 0.1], (n, 1)))
    attach = np.where(channel == 0, rng.random(n) < 0.35, (channel == 1) & (rng.random(n) < 0.1))
    guest = rng.random(n) < np.where(tier == 0, 0.2, 0.05)
    tenure = np.minimum(rng.exponential(400, n).astype(int), 5000)
    return {"channel": channel, "product": product, "tier": tier, "attach": attach,
            "tenure": np.where(guest, -1, tenure)}  # fmt: skip


def _team(rng: np.random.Generator, day: np.ndarray, product: np.ndarray) -> np.ndarray:
    """Routing: billing questions to billing (or payments), the rest by product."""
    by_product = np.array(["web", "apps", "platform", "triage"], dtype=object)[product]
    by_product[(product == 1) & (day >= MOBILE_TEAM_DAY)] = "mobile"
    billing = rng.random(day.size) < 0.22
    payments = billing & (day >= PAYMENTS_DAY) & (rng.random(day.size) < 0.5)
    return np.where(payments, "payments", np.where(billing, "billing", by_product))


def _risk(a: dict[str, np.ndarray], day: np.ndarray, minute: np.ndarray, team: np.ndarray,
          queue: np.ndarray, load: np.ndarray, outage: np.ndarray) -> np.ndarray:  # fmt: skip
    """Log-odds of a breach, before the noise nobody observes."""
    hour, weekday = minute // 60, day % 7
    late_week = (weekday >= 5) | ((weekday == 4) & (hour >= 15))  # waits for Monday
    mobile_ramp = np.clip(1 - (day - MOBILE_TEAM_DAY) / 28, 0, 1) * (team == "mobile")
    return (
        -2.8
        + 0.18 * (queue - 6)
        + 3.0 * (load - 1)
        + np.array([0.0, 0.5, -1.1])[a["channel"]]
        + np.array([0.0, 0.5, 1.1, 0.7])[a["product"]]
        + np.array([-0.6, 0.2, 1.0])[a["tier"]]
        - 0.6 * a["attach"]
        + 0.7 * ((a["tenure"] >= 0) & (a["tenure"] < 60))
        + 1.6 * late_week
        + 0.8 * ((hour < 7) | (hour >= 20))
        + 1.0 * mobile_ramp
        + 1.0 * (team == "payments")
        + 0.8 * outage
    )


def _wide(seed: int, day: np.ndarray, a: dict[str, np.ndarray], queue: np.ndarray,
          outage: np.ndarray) -> list[np.ndarray]:  # fmt: skip
    """The --wide columns as text: priority, language, message length (empty for phone calls)
    and the first message's sentiment in [-1, 1]."""
    rng = np.random.default_rng([seed, 1])  # a stream of its own: the other columns stay put
    n = day.size
    urgent = 0.03 + 0.07 * a["tier"] + 0.4 * outage  # enterprise and outages escalate
    priority = _pick(rng, np.column_stack([np.full(n, 0.2), 0.6 - urgent, np.full(n, 0.2)]))
    polish = 0.05 * (day >= RAISE_DAY)
    language = _pick(rng, np.column_stack([np.full(n, 0.55), np.full(n, 0.3), np.full(n, 0.07),
                                           0.08 - polish]))  # fmt: skip
    length = rng.lognormal(np.where(a["channel"] == 0, 6.3, 5.0) + 0.4 * a["attach"], 0.8)
    chars = np.clip(length.astype(int), 1, 20000).astype(str)
    mood = 0.3 - 0.06 * (queue - 6) - 0.6 * outage + rng.normal(0, 0.5, n)
    return [PRIORITIES[priority], LANGUAGES[language], np.where(a["channel"] == 2, "", chars),
            np.char.mod("%.3f", np.tanh(mood))]  # fmt: skip


def _stamp(day: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """Local wall-clock time with its UTC offset, e.g. 2024-03-31T03:05:00+02:00."""
    local = START + (day * 1440 + minute).astype("timedelta64[m]")
    summer = (day > DST[0]) | ((day == DST[0]) & (minute >= (DST[1] + 1) * 60))
    offset = np.where(summer, ":00+02:00", ":00+01:00")
    return np.char.add(np.datetime_as_string(local, unit="m"), offset)


def build(seed: int = SEED, volume: int = 1, wide: bool = False) -> list[str]:
    """The table as CSV lines (header first), one ticket per line in time order; `volume`
    times the tickets, and the four --wide columns when `wide`."""
    rng = np.random.default_rng(seed)
    day, minute = _regular(rng, volume)
    o_day, o_minute, o_product = _outages(rng, volume)
    outage = np.r_[np.zeros(day.size, bool), np.ones(o_day.size, bool)]
    day, minute = np.r_[day, o_day], np.r_[minute, o_minute]
    a = _attributes(rng, day, outage)
    a["product"] = np.where(outage, np.r_[np.zeros(outage.size - o_day.size, int), o_product],
                            a["product"])  # fmt: skip
    minute = np.where(a["channel"] == 0, minute - minute % 15, minute)  # the mail poller
    team = _team(rng, day, a["product"])
    load = (1 + 0.6 * day / DAYS) / (1 + 0.2 * (day >= RAISE_DAY))
    busy = 0.5 + 0.5 * PROFILE[minute // 60] / PROFILE.max()
    queue = rng.poisson(6 * load * busy + 15 * outage)
    risk = _risk(a, day, minute, team, queue, load, outage) + rng.logistic(0, 1, day.size)
    sla = SLA_MINUTES[a["tier"]]
    resolution = np.maximum(1, np.round(sla * np.exp(risk / 1.5))).astype(int)
    breached = (resolution > sla).astype(int)
    queue_text = np.where(rng.random(day.size) < 0.03, "", queue.astype(str))
    tenure_text = np.where(a["tenure"] < 0, "", a["tenure"].astype(str))
    order = np.argsort(day * 1440 + minute, kind="stable")
    columns = [
        _stamp(day, minute), CHANNELS[a["channel"]], PRODUCTS[a["product"]], TIERS[a["tier"]],
        team, queue_text, tenure_text, np.where(a["attach"], "true", "false"),
    ]  # fmt: skip
    header = HEADER
    if wide:
        columns += _wide(seed, day, a, queue, outage)
        header = HEADER.replace(",resolution_minutes", f",{WIDE},resolution_minutes")
    columns += [resolution, breached]
    lines = [header]
    for i, row in enumerate(zip(*(c[order] for c in columns), strict=True)):
        lines.append(f"T{i + 1:06d}," + ",".join(str(v) for v in row))
    return lines


def main() -> None:
    """Write the CSV (to --out, default next to this script)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--volume", type=int, default=1, help="times the tickets (default 1)")
    parser.add_argument("--wide", action="store_true", help=f"add the columns {WIDE}")
    args = parser.parse_args()
    lines = build(volume=args.volume, wide=args.wide)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
