"""Generate `deliveries.csv`: a synthetic, hourly, binary-classification table (fixed seed).

The story: one food-delivery depot, January to June 2024. Each row is one hour. The depot
promises delivery within 30 minutes; an hour counts as `late` (1) when more than 20 % of the
orders placed in it arrived late. Whether that happens depends on how many orders arrive per
courier on shift, rain, traffic and promotions, plus noise nobody observes.

Built-in drift: demand grows by about half over the six months while the courier roster is
planned from January's demand with a single 15 % raise in April, so couriers lag behind orders,
the load per courier creeps up and the share of late hours rises from about 20 % in January to
about 29 % in June (with a dip in April, after the raise).
Spring also brings warmer, drier weather, so `temp` and `rain` shift too.

Run `python tests/datasets/make_deliveries.py` from the repository root to rewrite the CSV;
tests/data/test_deliveries_dataset.py checks that the committed file is exactly what this
script writes. Only numpy's PCG64 generator and fixed-width formatting are used, so the bytes
do not depend on pandas' float printing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SEED = 7
START = np.datetime64("2024-01-01")
DAYS = 182  # 2024-01-01 .. 2024-06-30
OUT = Path(__file__).with_name("deliveries.csv")
HEADER = "date,hour,orders,couriers,rain,temp,traffic,promo,late_share,late"
LATE_SHARE = 0.2  # an hour is late when more than this share of its orders was late

# Orders per hour over a day (relative): lunch and dinner peaks, quiet nights.
PROFILE = np.array(
    [0.3, 0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.5, 0.6, 0.6, 0.7, 1.0,
     1.5, 1.3, 0.8, 0.7, 0.8, 1.1, 1.6, 1.8, 1.4, 1.0, 0.7, 0.5]
)  # fmt: skip


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _weather(rng: np.random.Generator, day: np.ndarray, hour: np.ndarray) -> tuple:
    """Hourly rain flag and temperature (°C): wetter, colder winter; drier, warmer June."""
    season = day / DAYS  # 0 in January, 1 at the end of June
    wet_day = rng.random(DAYS) < 0.4 - 0.2 * np.linspace(0, 1, DAYS)
    rain = (wet_day[day] & (rng.random(day.size) < 0.6)).astype(int)
    daily = 2 + 22 * season + rng.normal(0, 3, DAYS)[day]
    temp = daily + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 1, day.size) - 2 * rain
    return rain, np.round(np.clip(temp, -15, 40), 1)


def _demand(rng: np.random.Generator, day: np.ndarray, hour: np.ndarray, rain: np.ndarray):  # type: ignore[no-untyped-def]
    """Orders per hour: profile x weekend x growth x promotion x rain, Poisson noise."""
    weekday = (day + 0) % 7  # 2024-01-01 is a Monday (0)
    weekend = np.where(weekday >= 5, 1.25, 1.0)
    growth = 1 + 0.5 * day / DAYS
    promo_day = rng.random(DAYS) < 0.12
    promo = promo_day[day].astype(int)
    rate = 14 * PROFILE[hour] * weekend * growth * (1 + 0.4 * promo) * (1 + 0.25 * rain)
    return rng.poisson(rate), promo, weekend * PROFILE[hour]


def _couriers(rng: np.random.Generator, day: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """The roster is planned for January's demand and raised only once, by 15 %, in April."""
    planned_growth = 1 + 0.15 * (day >= 91)
    plan = 14 * expected * planned_growth / 3.2  # one courier handles ~3 orders an hour
    return np.clip(np.round(plan + rng.normal(0, 0.8, day.size)), 1, None).astype(int)


def _traffic(rng: np.random.Generator, hour: np.ndarray, rain: np.ndarray) -> np.ndarray:
    """1 light, 2 normal, 3 heavy: heavier at rush hours and in the rain."""
    rush = np.isin(hour, [7, 8, 9, 16, 17, 18, 19]).astype(float)
    score = rush + 0.8 * rain + rng.normal(0, 0.6, hour.size)
    return 1 + (score > 0.5).astype(int) + (score > 1.4).astype(int)


def build(seed: int = SEED) -> list[str]:
    """The table as CSV lines (header first)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(DAYS * 24)
    day, hour = idx // 24, idx % 24
    rain, temp = _weather(rng, day, hour)
    orders, promo, expected = _demand(rng, day, hour, rain)
    couriers = _couriers(rng, day, expected)
    traffic = _traffic(rng, hour, rain)
    load = orders / (3.0 * couriers)
    logit = (
        -4.2
        + 2.6 * (load - 1)
        + 0.9 * rain
        + 0.55 * (traffic - 1)
        + 0.4 * promo
        + 0.03 * np.abs(temp - 15)
        + rng.normal(0, 0.9, idx.size)
    )
    late_orders = rng.binomial(orders, _sigmoid(logit))
    share = np.where(orders > 0, late_orders / np.maximum(orders, 1), 0.0)
    late = (share > LATE_SHARE).astype(int)
    dates = (START + day.astype("timedelta64[D]")).astype(str)
    rows = zip(dates, hour, orders, couriers, rain, temp, traffic, promo, share, late, strict=True)
    lines = [HEADER]
    for d, h, o, c, r, t, tr, p, s, lt in rows:
        lines.append(f"{d},{h},{o},{c},{r},{t:.1f},{tr},{p},{s:.3f},{lt}")
    return lines


def main() -> None:
    """Write the CSV (to --out, default next to this script)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.write_text("\n".join(build()) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
