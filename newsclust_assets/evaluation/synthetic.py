"""A synthetic but realistic story-labelled news stream. No Dagster imports.

``python -m newsclust_assets.evaluation.synthetic OUT.jsonl [--days 5,3000,40] [--seed 7]``
writes one JSON object per line (headline, short_description, date, link, category,
story), deterministic for a seed. What makes it realistic rather than easy:

- stories of one event type share their vocabulary (two earthquakes, two strikes, two
  mergers in different invented places and firms; at most two of a type start on one
  day), so only the names tell them apart;
- story sizes are heavy-tailed, from 2 articles to several hundred, and a story runs
  over up to 3 consecutive days (within its day on a day of 1,000 or more);
- near-duplicate headlines (wire copies with a prefix, a suffix, a changed case or a
  dropped word) as aggregators carry them;
- off-topic one-off items (service pieces, recipes, oddities): each its own story;
- day volumes as given: e.g. a 5-article day beside a 3,000-article day.

All names, places and events are invented.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

START = dt.date(2025, 1, 6)

PLACES = [
    a + b
    for a in (
        "Harbor",
        "Pine",
        "Cedar",
        "Maple",
        "Stone",
        "River",
        "Lake",
        "North",
        "Ash",
        "Elm",
        "Fox",
        "Iron",
        "Silver",
        "Oak",
        "Bright",
        "Glen",
    )
    for b in ("ton", " Falls", "field", " Valley", "wick", " Bay", "ford", "mouth")
]
FIRST = [
    "Ellen",
    "Marcus",
    "Priya",
    "Tomas",
    "Grace",
    "Omar",
    "Lena",
    "Victor",
    "Hana",
    "Diego",
    "Rosa",
    "Felix",
    "Amara",
    "Jonas",
    "Nadia",
    "Kofi",
]
LAST = [
    "Ward",
    "Castillo",
    "Nair",
    "Okoro",
    "Lindqvist",
    "Brennan",
    "Adeyemi",
    "Moreau",
    "Takeda",
    "Varga",
    "Solberg",
    "Quint",
    "Halloway",
    "Marsh",
    "Duarte",
    "Keane",
]
FIRMS = [
    a + b
    for a in (
        "Meridian",
        "Crestline",
        "Northwind",
        "Bluepeak",
        "Halcyon",
        "Vantor",
        "Orrin",
        "Kestrel",
        "Talon",
        "Sable",
    )
    for b in (" Bank", " Motors", " Pharma", " Energy", " Systems", " Foods")
]

# event type: (category, headline templates, description templates)
EVENTS = {
    "earthquake": (
        "WORLD NEWS",
        [
            "Magnitude {m} Earthquake Strikes {place}",
            "Death Toll Rises After {place} Earthquake",
            "Rescuers Search Rubble In {place} After Quake",
            "{place} Quake: Aftershocks Rattle Survivors",
            "Aid Arrives In Quake-Hit {place}",
            "{person} Visits Earthquake Zone In {place}",
        ],
        [
            "Buildings collapsed across {place} after the magnitude {m} quake.",
            "Rescue teams worked through the night in {place}.",
        ],
    ),
    "strike": (
        "BUSINESS",
        [
            "{firm} Workers Walk Off The Job",
            "Strike At {firm} Enters Day {n}",
            "{firm} Union Rejects Latest Offer",
            "Talks Resume In {firm} Strike",
            "{firm} Strike Halts Production In {place}",
            "{person} Urges End To {firm} Walkout",
        ],
        [
            "Union members at {firm} say pay and pensions remain the sticking points.",
            "The walkout at the {place} plant has idled production lines.",
        ],
    ),
    "merger": (
        "BUSINESS",
        [
            "{firm} Agrees To Buy {firm2} In ${n} Billion Deal",
            "Regulators Review {firm}-{firm2} Merger",
            "{firm2} Shareholders Weigh {firm} Offer",
            "{firm} CEO {person} Defends {firm2} Deal",
            "{firm2} Stock Jumps On {firm} Bid",
            "Consumer Groups Oppose {firm} Takeover Of {firm2}",
        ],
        [
            "The all-stock deal values {firm2} at about ${n} billion.",
            "Antitrust officials will examine the {firm} and {firm2} combination.",
        ],
    ),
    "election": (
        "POLITICS",
        [
            "{person} Leads In {place} Mayoral Race",
            "{place} Mayoral Debate Turns Heated",
            "{person} Concedes {place} Election",
            "Turnout Surges In {place} Vote",
            "{person} Wins {place} Mayor's Race",
            "Recount Ordered In {place} Election",
        ],
        [
            "Polls show {person} ahead among likely voters in {place}.",
            "Election officials in {place} reported long lines at polling stations.",
        ],
    ),
    "trial": (
        "CRIME",
        [
            "Jury Selection Begins In {person} Fraud Trial",
            "{person} Testifies In Own Defense",
            "Prosecutors Rest Case Against {person}",
            "{person} Found Guilty On {n} Counts",
            "Key Witness Recants In {person} Trial",
            "{person} Sentenced To {n} Years",
        ],
        [
            "{person} is accused of defrauding investors in {place}.",
            "The trial in {place} is expected to last several weeks.",
        ],
    ),
    "outbreak": (
        "WELLNESS",
        [
            "Measles Outbreak Spreads In {place}",
            "{place} Health Officials Urge Vaccination",
            "Measles Cases In {place} Climb To {n}",
            "Schools In {place} Exclude Unvaccinated Pupils",
            "{person} Declares Health Emergency In {place}",
            "Free Vaccine Clinics Open In {place}",
        ],
        [
            "Health officials in {place} confirmed {n} cases of measles.",
            "Clinics in {place} extended hours to meet demand for shots.",
        ],
    ),
    "launch": (
        "TECH",
        [
            "{firm} Unveils New Flagship Phone",
            "{firm} Phone Review: Faster But Pricier",
            "{firm} Phone Sells Out In Hours",
            "Hands On With {firm}'s New Device",
            "{firm} Recalls Phones Over Battery Fires",
            "{person} Presents {firm} Phone On Stage",
        ],
        [
            "The new {firm} handset goes on sale on Friday.",
            "Reviewers praised the camera of the {firm} phone but not its price.",
        ],
    ),
    "wildfire": (
        "ENVIRONMENT",
        [
            "Wildfire Forces Evacuations Near {place}",
            "{place} Fire Grows To {n},000 Acres",
            "Firefighters Gain Ground On {place} Blaze",
            "Smoke From {place} Fire Blankets Region",
            "{place} Residents Return To Burned Homes",
            "{place} Wildfire {n} Percent Contained",
        ],
        ["More than {n} homes near {place} were ordered evacuated.", "Crews battled the {place} blaze from the air."],
    ),
    "final": (
        "SPORTS",
        [
            "{place} Rovers Reach Cup Final",
            "{place} Rovers Win Cup In Penalty Shootout",
            "{person} Scores Twice As {place} Rovers Advance",
            "{place} Rovers Fans Celebrate Title",
            "Cup Final Preview: {place} Rovers Favored",
            "{person} Named Cup Final MVP",
        ],
        [
            "{place} Rovers beat their rivals {n}-1 in front of a sold-out crowd.",
            "{person} led {place} Rovers to their first title in decades.",
        ],
    ),
}

ONE_OFFS = [
    ("FOOD & DRINK", "Five {adj} Soups For {time}", "Each recipe takes under {n} minutes."),
    ("TRAVEL", "The Best {adj} Towns For A Road Trip", "Our picks for {time}, from lakes to deserts."),
    ("STYLE", "{adj} Jackets Are Back This {time}", "Stylists share how to wear them."),
    ("PARENTING", "What To Do When Your Toddler Won't {verb}", "Experts offer {n} strategies."),
    ("HOME & LIVING", "{n} Houseplants That Thrive In {adj} Rooms", "They survive even dark corners."),
    ("WEIRD NEWS", "Runaway {animal} Leads Police On Slow Chase", "The {animal} was returned unharmed."),
    ("MONEY", "How To Save ${n} On A Tight Budget", "Planners suggest automating savings."),
    ("WELLNESS", "Why A {n}-Minute Walk Helps Your {organ}", "Researchers found small habits add up."),
    ("ARTS", "Museum Unveils Restored {adj} Painting", "Conservators spent {n} years on it."),
    ("SCIENCE", "Why {animal}s Sleep So Much", "Biologists explain the {adj} habits of {animal}s."),
]
FILL = {
    "adj": ["Cozy", "Easy", "Quiet", "Sunny", "Tiny", "Bold", "Classic", "Bright", "Rustic", "Modern"],
    "time": ["Winter", "Spring", "Summer", "Autumn", "Weeknights", "Weekends"],
    "verb": ["Nap", "Eat", "Share", "Read", "Sleep"],
    "animal": ["Llama", "Goat", "Peacock", "Alpaca", "Emu", "Otter", "Pig", "Tortoise"],
    "organ": ["Heart", "Brain", "Gut", "Back", "Knees"],
}
PER_EVENT_PER_DAY = 2  # at most two stories of one event type start on a day: "two earthquakes this week"
WIRE_PREFIX = ["UPDATE: ", "BREAKING: ", "LIVE: ", "UPDATE 2-"]
WIRE_SUFFIX = [" - Reuters", " | AP", " - report", " (VIDEO)", " - Tribune Wire"]


def _story_sizes(rng: random.Random, total: int) -> list[int]:
    """Heavy-tailed sizes (Pareto, 2 to 400) summing to about ``total``; the scale grows with
    the day's volume, so a 3,000-article day holds tens of stories, not hundreds."""
    scale = max(2.0, total / (3 * PER_EVENT_PER_DAY * len(EVENTS)))
    sizes: list[int] = []
    while sum(sizes) < total:
        sizes.append(int(min(400, max(2, round(scale * rng.paretovariate(1.5))))))
    sizes[-1] = max(2, sizes[-1] - (sum(sizes) - total))
    return sizes


def _near_duplicate(rng: random.Random, headline: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(WIRE_PREFIX) + headline
    if kind == 1:
        return headline + rng.choice(WIRE_SUFFIX)
    if kind == 2:
        return headline.upper() if rng.random() < 0.3 else headline.lower().capitalize()
    words = headline.split()
    if len(words) > 4:
        del words[rng.randrange(1, len(words) - 1)]
    return " ".join(words)


def generate(day_volumes: list[int], seed: int = 7, noise_share: float = 0.1) -> list[dict]:
    """Rows over ``len(day_volumes)`` consecutive days, about ``day_volumes[d]`` on day d."""
    rng = random.Random(seed)
    rows: list[dict] = []
    used: set[tuple] = set()
    story_no = 0
    for day, volume in enumerate(day_volumes):
        date = (START + dt.timedelta(days=day)).isoformat()
        n_noise = int(round(volume * noise_share)) if volume >= 10 else (1 if volume >= 5 else 0)
        slots = sorted(EVENTS) * PER_EVENT_PER_DAY
        rng.shuffle(slots)
        sizes = _story_sizes(rng, max(volume - n_noise, 2))
        while len(sizes) > len(slots):  # more stories than slots: fold the smallest into the others
            sizes.sort(reverse=True)
            extra = sizes.pop()
            sizes[-1] += extra
        for size, event in zip(sizes, slots):
            story_no += 1
            category, heads, descs = EVENTS[event]
            while True:  # a new story: a new combination of names for its event type
                ents = {
                    "place": rng.choice(PLACES),
                    "person": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    "firm": rng.choice(FIRMS),
                    "firm2": rng.choice(FIRMS),
                }
                key = (event, ents["place"], ents["person"], ents["firm"])
                if key not in used and ents["firm"] != ents["firm2"]:
                    used.add(key)
                    break
            story = f"{event}-{story_no}"
            # a story runs over up to 3 days; on a day of 1,000+ articles it stays within the day,
            # so the day really holds its volume
            days_long = 1 if size < 6 or volume >= 1000 else rng.randint(1, 3)
            written: list[str] = []
            for i in range(size):
                values = {**ents, "m": f"{rng.randint(50, 79) / 10:.1f}", "n": str(rng.randint(2, 40))}
                if written and rng.random() < 0.2:
                    head = _near_duplicate(rng, rng.choice(written))
                else:
                    head = rng.choice(heads).format(**values)
                written.append(head)
                d = min(day + (i * days_long) // size, len(day_volumes) - 1)
                rows.append(
                    _row(
                        rows,
                        head,
                        rng.choice(descs).format(**values) if rng.random() < 0.5 else "",
                        (START + dt.timedelta(days=d)).isoformat(),
                        category,
                        story,
                    )
                )
        for _ in range(n_noise):
            category, head, desc = rng.choice(ONE_OFFS)
            values = {k: rng.choice(v) for k, v in FILL.items()} | {"n": str(rng.randint(3, 90))}
            story_no += 1
            rows.append(_row(rows, head.format(**values), desc.format(**values), date, category, f"one-off-{story_no}"))
    return rows


def _row(rows: list[dict], headline: str, description: str, date: str, category: str, story: str) -> dict:
    return {
        "link": f"https://synthetic.example.com/{date}/{story}/{len(rows)}",
        "headline": headline,
        "short_description": description,
        "date": date,
        "category": category,
        "story": story,
    }


def write(path: str | Path, rows: list[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="JSON-lines file to write")
    parser.add_argument(
        "--days",
        default="5,3000,40,5,300",
        help="comma-separated article counts, one per day (default: 5,3000,40,5,300)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = generate([int(x) for x in args.days.split(",")], args.seed)
    write(args.out, rows)
    stories = {r["story"] for r in rows}
    print(f"wrote {len(rows)} articles in {len(stories)} stories over {len(args.days.split(','))} days to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
