"""Write the shipped sample: made-up but realistic news over 14 days.

Run ``python -m newsclust_assets.ingest.sample_data.generate_sample`` to regenerate
``sample_news.jsonl`` (deterministic: the same file every time). Twelve multi-day
stories, each told through several headline and description templates, plus a
stream of one-off items, so that real clusters and real noise exist. Every row carries
its ``story`` (the story's name; a one-off feature is a story of its own), so the
sample is scored like any story-labelled file. All names,
places and events are invented.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

START = dt.date(2024, 3, 1)
DAYS = 14
OUT = Path(__file__).with_name("sample_news.jsonl")

# story: (category, first day offset, last day offset, headlines, descriptions, fillers)
STORIES = {
    "transit_strike": (
        "U.S. NEWS",
        0,
        9,
        [
            "Harbor City Transit Workers Walk Off The Job Over {issue}",
            "Subway Strike In Harbor City Enters Day {n} As Talks Stall",
            "Harbor City Commuters Scramble As Bus And Subway Strike Drags On",
            "Transit Union Rejects Harbor City's Latest Offer On {issue}",
            "Mayor Urges Transit Union Back To Bargaining Table",
            "Harbor City Transit Strike: What Riders Need To Know",
            "Striking Subway Drivers Rally Outside Harbor City Hall",
            "Harbor City Transit Talks Resume With Mediator Present",
        ],
        [
            "The union representing {count} bus and subway workers says {issue} remain the sticking point.",
            "Commuters faced long lines for ferries and rideshares as the transit strike continued.",
            "City officials said emergency shuttle buses would run on the busiest routes during the strike.",
            "Negotiators for the transit authority and the union met for {hours} hours without a deal.",
        ],
        {
            "issue": ["Wages", "Pensions", "Overtime Rules", "Safety Staffing"],
            "count": ["38,000", "41,000"],
            "hours": ["six", "eleven", "fourteen"],
        },
    ),
    "bank_merger": (
        "BUSINESS",
        1,
        12,
        [
            "Meridian Bank Agrees To Buy Crestline Financial In ${amount} Billion Deal",
            "Regulators Open Review Of Meridian-Crestline Bank Merger",
            "Crestline Shareholders Weigh Meridian Takeover Offer",
            "Meridian Bank CEO Defends Crestline Deal Before Lawmakers",
            "Meridian-Crestline Merger Would Create Nation's Fifth-Largest Lender",
            "Consumer Groups Warn Meridian Takeover Could Close Branches",
            "Crestline Stock Jumps {pct} Percent On Meridian Bid",
        ],
        [
            "The all-stock deal values Crestline Financial at about ${amount} billion, a premium of {pct} percent.",
            "Antitrust officials will examine whether the combined bank would dominate lending in several states.",
            "Meridian says the merger will save $1.1 billion a year, partly by closing overlapping branches.",
        ],
        {"amount": ["14.2", "14.5"], "pct": ["18", "22", "24"]},
    ),
    "wildfire": (
        "ENVIRONMENT",
        2,
        8,
        [
            "Wildfire Forces Evacuations Near Pine Valley",
            "Pine Valley Fire Grows To {acres} Acres As Winds Pick Up",
            "Firefighters Gain Ground On Pine Valley Blaze",
            "Pine Valley Residents Return To Find Homes Reduced To Ash",
            "Smoke From Pine Valley Wildfire Blankets Neighboring Towns",
            "Pine Valley Fire {pct} Percent Contained, Officials Say",
        ],
        [
            "More than {homes} homes were ordered evacuated as the wildfire jumped a highway overnight.",
            "Crews battled the blaze from the air with water drops as gusts reached 50 miles per hour.",
            "Air quality alerts were issued for the county as smoke drifted east.",
        ],
        {"acres": ["12,000", "18,500", "23,000"], "pct": ["35", "60", "85"], "homes": ["2,000", "3,400"]},
    ),
    "mars_lander": (
        "SCIENCE",
        3,
        13,
        [
            "Aurora Lander Touches Down Safely On Mars",
            "Aurora Mars Lander Sends Back First Color Panorama",
            "Scientists Thrilled As Aurora Lander Drills Into Martian Soil",
            "Aurora Lander Detects Signs Of Ancient Water On Mars",
            "Mars Lander Aurora Hits Snag With Robotic Arm",
            "Engineers Fix Aurora Lander's Arm From {miles} Million Miles Away",
        ],
        [
            "The space agency's Aurora mission landed in Jezero-like crater terrain after a seven-month cruise.",
            "Mission scientists say the first soil samples contain clay minerals that form in water.",
            "The lander's robotic arm stalled mid-motion, and engineers uploaded a software patch.",
        ],
        {"miles": ["140", "150"]},
    ),
    "election": (
        "POLITICS",
        0,
        13,
        [
            "Governor Ellen Ward Leads Rival In New {state} Poll",
            "Ward And Castillo Clash Over Taxes In First Governor Debate",
            "Castillo Campaign Launches Ad Attacking Ward On Housing",
            "{state} Governor's Race Tightens With Two Weeks To Go",
            "Early Voting Turnout Breaks Records In {state} Governor Race",
            "Ward Picks Up Teachers Union Endorsement",
            "Castillo Raises Record Sum In Governor Bid",
        ],
        [
            "Incumbent Governor Ellen Ward leads challenger Mark Castillo by {pts} points among likely voters.",
            "The candidates sparred over property taxes, school funding and the state's housing shortage.",
            "Both campaigns are pouring money into television ads in the suburbs around the capital.",
        ],
        {"state": ["Westmarch", "Westmarch"], "pts": ["3", "5", "2"]},
    ),
    "chip_exports": (
        "TECH",
        4,
        12,
        [
            "Commerce Department Tightens Rules On AI Chip Exports",
            "Chipmakers Warn New Export Limits Will Cost Billions",
            "Silicon Forge Shares Slide After Export Rule Announcement",
            "Lawmakers Push To Close Loopholes In AI Chip Export Curbs",
            "Allies Asked To Match New US Semiconductor Export Controls",
        ],
        [
            "The rules bar sales of advanced AI accelerators and chipmaking tools to several countries.",
            "Industry groups say the semiconductor export limits could cut annual revenue by {bn} billion dollars.",
            "Officials argue the controls protect national security without hurting consumer electronics.",
        ],
        {"bn": ["$6", "$9"]},
    ),
    "cup_final": (
        "SPORTS",
        5,
        11,
        [
            "Riverside Rovers Reach National Cup Final",
            "Rovers Striker Amara Diallo Fit For Cup Final",
            "Rovers And Northgate United Set For Cup Final Showdown",
            "Riverside Rovers Win National Cup On Penalties",
            "Rovers Fans Flood Streets To Celebrate First Cup Title",
            "Northgate Coach Says Cup Final Loss 'Hurts Deeply'",
        ],
        [
            "Riverside Rovers beat Northgate United {score} on penalties after a goalless draw.",
            "Striker Amara Diallo returned from a hamstring injury in time for the final.",
            "Tens of thousands of fans lined the parade route for the Rovers' victory celebration.",
        ],
        {"score": ["4-3", "5-4"]},
    ),
    "measles": (
        "WELLNESS",
        2,
        13,
        [
            "Measles Outbreak Spreads To {n} Counties",
            "Health Officials Urge Vaccination As Measles Cases Climb",
            "Schools Exclude Unvaccinated Students Amid Measles Outbreak",
            "Measles Case Count Tops {cases} In Growing Outbreak",
            "Pediatricians See Surge In Measles Vaccine Appointments",
        ],
        [
            "State health officials confirmed {cases} measles cases, most in unvaccinated children.",
            "Free MMR vaccine clinics are opening in libraries and community centers this weekend.",
            "Doctors warn measles is highly contagious and can cause serious complications in infants.",
        ],
        {"n": ["four", "six", "seven"], "cases": ["80", "120", "150"]},
    ),
    "hurricane": (
        "WEATHER",
        6,
        12,
        [
            "Hurricane Delia Strengthens To Category {cat} In Gulf",
            "Coastal Towns Order Evacuations Ahead Of Hurricane Delia",
            "Hurricane Delia Makes Landfall With {mph} Mph Winds",
            "Delia Leaves Hundreds Of Thousands Without Power",
            "Cleanup Begins After Hurricane Delia Floods Coastal Towns",
        ],
        [
            "Forecasters expect Hurricane Delia to bring a storm surge of up to {surge} feet.",
            "Utility crews from neighboring states are helping restore power after the hurricane.",
            "Residents waded through flooded streets as Delia weakened into a tropical storm.",
        ],
        {"cat": ["3", "4"], "mph": ["130", "140"], "surge": ["10", "12"]},
    ),
    "rate_decision": (
        "BUSINESS",
        7,
        10,
        [
            "Central Bank Holds Interest Rates Steady, Signals Cut Later This Year",
            "Markets Rally After Central Bank Hints At Rate Cuts",
            "Mortgage Rates Dip Following Central Bank Decision",
            "Central Bank Chair Says Inflation Fight Is 'Not Over'",
        ],
        [
            "Policymakers left the benchmark interest rate unchanged at {rate} percent for a fifth meeting.",
            "Stocks and bonds rose as investors priced in a rate cut by the summer.",
            "The chair said inflation has cooled but remains above the bank's 2 percent target.",
        ],
        {"rate": ["5.25", "5.25"]},
    ),
    "film_festival": (
        "ENTERTAINMENT",
        8,
        13,
        [
            "Lakeshore Film Festival Opens With Star-Studded Premiere",
            "Director Nadia Okafor's Drama Wins Top Prize At Lakeshore Festival",
            "Lakeshore Festival Crowd Gives {mins}-Minute Ovation To Indie Thriller",
            "Streaming Giants Battle For Lakeshore Festival Hits",
        ],
        [
            "The ten-day Lakeshore Film Festival features {films} films from 60 countries.",
            "Nadia Okafor's family drama took the festival's Golden Reed award.",
            "Distributors paid record sums for the festival's buzziest premieres.",
        ],
        {"mins": ["eight", "twelve"], "films": ["220", "240"]},
    ),
    "bridge_collapse": (
        "U.S. NEWS",
        9,
        13,
        [
            "Old Mill Bridge Collapses Into Carver River, {n} Injured",
            "Investigators Probe Cause Of Old Mill Bridge Collapse",
            "Inspection Reports Flagged Old Mill Bridge Corrosion Years Ago",
            "Detours Snarl Traffic After Carver River Bridge Collapse",
        ],
        [
            "Part of the Old Mill Bridge fell into the Carver River during the morning commute.",
            "Federal safety investigators are examining corroded steel supports recovered from the river.",
            "Engineers say rebuilding the bridge could take two years and cost $300 million.",
        ],
        {"n": ["seven", "nine"]},
    ),
}

ONE_OFFS = [
    (
        "FOOD & DRINK",
        "The Secret To Fluffier Pancakes Is In Your Fridge",
        "A splash of seltzer makes a lighter batter, cooks say.",
    ),
    (
        "TRAVEL",
        "The Best Small Towns For A Spring Road Trip",
        "From lakeside villages to desert outposts, here are our picks.",
    ),
    (
        "STYLE",
        "Wide-Leg Jeans Are Back, And Here's How To Wear Them",
        "Stylists share tips for pairing the return of a 90s staple.",
    ),
    ("PARENTING", "What To Do When Your Toddler Refuses To Nap", "Sleep experts offer strategies for tired parents."),
    (
        "HOME & LIVING",
        "Houseplants That Thrive In Low Light",
        "These leafy picks survive even the darkest apartment corners.",
    ),
    (
        "COMEDY",
        "Late-Night Hosts Roast The Week's Strangest Headlines",
        "The monologues took aim at a runaway llama and a lost wedding ring.",
    ),
    (
        "WEIRD NEWS",
        "Runaway Llama Leads Police On Slow-Speed Chase",
        "The llama was returned to its farm unharmed after a two-hour pursuit.",
    ),
    (
        "GREEN",
        "City Plants 10,000 Trees To Cool Hot Neighborhoods",
        "The urban forestry program targets blocks with the least shade.",
    ),
    (
        "ARTS & CULTURE",
        "Museum Unveils Restored Renaissance Altarpiece",
        "Conservators spent six years removing centuries of grime.",
    ),
    (
        "HEALTHY LIVING",
        "Why A 10-Minute Walk After Dinner Helps Your Blood Sugar",
        "Researchers found short walks blunt glucose spikes.",
    ),
    (
        "EDUCATION",
        "School District Adds Coding Classes For Every Grade",
        "The curriculum starts with block-based games in kindergarten.",
    ),
    (
        "RELIGION",
        "Interfaith Group Opens Food Pantry In Former Church",
        "Volunteers from five congregations staff the pantry.",
    ),
    (
        "FOOD & DRINK",
        "Five Easy Weeknight Soups For Chilly Evenings",
        "Each recipe takes under 30 minutes and uses pantry staples.",
    ),
    (
        "TRAVEL",
        "Airlines Add Direct Flights To Island Destinations",
        "New routes launch in June with introductory fares.",
    ),
    (
        "MONEY",
        "How To Build An Emergency Fund On A Tight Budget",
        "Financial planners suggest starting with $500 and automating savings.",
    ),
    (
        "QUEER VOICES",
        "Community Center Celebrates 30 Years Of Support",
        "The center began as a weekly meeting in a bookstore basement.",
    ),
    (
        "IMPACT",
        "Teen Raises $50,000 For Classmate's Cancer Treatment",
        "The fundraiser began with a lemonade stand and went viral.",
    ),
    (
        "TASTE",
        "Bakery's Sourdough Starter Turns 100 Years Old",
        "Owners fed the starter daily through four generations.",
    ),
]


def _fill(template: str, fillers: dict, rng: random.Random, day_n: int) -> str:
    values = {k: rng.choice(v) for k, v in fillers.items()}
    values.setdefault("n", str(day_n))
    return template.format(**values)


def generate(seed: int = 20240301) -> list[dict]:
    rng = random.Random(seed)
    rows: list[dict] = []
    for day in range(DAYS):
        date = (START + dt.timedelta(days=day)).isoformat()
        for name, (category, first, last, heads, descs, fillers) in STORIES.items():
            if not first <= day <= last:
                continue
            for _ in range(rng.choice([1, 2, 2])):
                head = _fill(rng.choice(heads), fillers, rng, day - first + 1)
                desc = _fill(rng.choice(descs), fillers, rng, day - first + 1)
                slug = "-".join(head.lower().replace("'", "").replace("$", "").split()[:8])
                rows.append(
                    {
                        "link": f"https://news.example.com/{date}/{name}/{slug}-{len(rows)}",
                        "headline": head,
                        "short_description": desc,
                        "category": category,
                        "authors": rng.choice(["Dana Reyes", "Sam Whitfield", "Priya Nair", "Tom Okoro", "Staff"]),
                        "date": date,
                        "story": name,
                    }
                )
        for category, head, desc in rng.sample(ONE_OFFS, 3):
            rows.append(
                {
                    "link": f"https://news.example.com/{date}/features/{len(rows)}",
                    "headline": head,
                    "short_description": desc,
                    "category": category,
                    "authors": "Features Desk",
                    "date": date,
                    # a one-off feature is a story of its own; a feature re-run on another day is the same story
                    "story": "feature-" + "-".join(head.lower().split()[:6]),
                }
            )
    rows.sort(key=lambda r: r["date"], reverse=True)  # newest first, like real feeds
    return rows


def main() -> None:
    rows = generate()
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} articles over {DAYS} days to {OUT}")


if __name__ == "__main__":
    main()
