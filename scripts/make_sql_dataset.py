#!/usr/bin/env python3
"""Generates Graft's quickstart dataset: a synthetic text-to-SQL task over an invented schema.

Usage (from the repository root; Python 3.8+, standard library only):

    python3 scripts/make_sql_dataset.py            # writes data/sql/{train,valid,test}.jsonl
    python3 scripts/make_sql_dataset.py --seed 7 --out /tmp/sql

Every record is {"prompt": ..., "completion": ...}: the prompt is an English question followed
by a compact schema line listing the tables the answer needs; the completion is one canonical
SQL string. The schema (a fictional shipping registry) uses made-up table and column names,
and the SQL follows a fixed house style, so a base model cannot guess the answers, while a
LoRA adapter learns the mapping in a few hundred steps:

  * keywords upper case, single spaces, a final semicolon;
  * ORDER BY always states ASC or DESC;
  * joins alias tables by their initial, without AS (s = vship, d = vdock, h = vhaul),
    the table named first in FROM is the one the question is about, and columns are qualified;
  * text literals in single quotes; numbers bare.

The output is deterministic for a given seed (same seed, same files, byte for byte).
"""
import argparse
import json
import os
import random

# ----------------------------------------------------------------------------------------------
# The invented schema.

SHIP = ("vship", ["sid", "snm", "hcls", "lyr", "dkid", "crw"])
DOCK = ("vdock", ["dkid", "dnm", "zcd", "brt"])
HAUL = ("vhaul", ["hid", "sid", "orig", "tns", "dys"])

DOCK_NAMES = ["Ostrel", "Varnholm", "Quessa", "Brindlemoor", "Kettleby", "Sarrow", "Yndel",
              "Port Amalie", "Dunmerrow", "Halvik", "Tressa Key", "Orrin"]
ZONES = ["N1", "N4", "K2", "K7", "T3", "T9", "W5", "W8"]
HULLS = ["A", "B", "C", "D", "E"]


def schema_line(*tables):
    """'Schema: t(c1 c2); u(...)' for the tables a question needs."""
    return "Schema: " + "; ".join(f"{name}({' '.join(columns)})" for name, columns in tables)


def record(question, tables, sql):
    return {"prompt": f"{question}\n{schema_line(*tables)}", "completion": sql}


# ----------------------------------------------------------------------------------------------
# Conditions on ships: (English phrase, SQL predicate on an unqualified column name).

def ship_condition(rng):
    kind = rng.choice(["after", "before", "in", "since", "crew_gt", "crew_lt", "crew_ge", "hull"])
    year = rng.randint(1952, 2023)
    crew = rng.randint(4, 60)
    hull = rng.choice(HULLS)
    if kind == "after":
        return rng.choice([f"launched after {year}", f"built after {year}"]), f"lyr > {year}"
    if kind == "before":
        return rng.choice([f"launched before {year}", f"built before {year}"]), f"lyr < {year}"
    if kind == "in":
        return rng.choice([f"launched in {year}", f"built in {year}"]), f"lyr = {year}"
    if kind == "since":
        return rng.choice([f"launched in or after {year}", f"launched no earlier than {year}"]), f"lyr >= {year}"
    if kind == "crew_gt":
        return rng.choice([f"with more than {crew} crew", f"crewed by over {crew} people"]), f"crw > {crew}"
    if kind == "crew_lt":
        return rng.choice([f"with fewer than {crew} crew", f"crewed by under {crew} people"]), f"crw < {crew}"
    if kind == "crew_ge":
        return rng.choice([f"with at least {crew} crew", f"with {crew} or more crew"]), f"crw >= {crew}"
    return rng.choice([f"of hull class {hull}", f"with a class {hull} hull"]), f"hcls = '{hull}'"


SHIP_FIELDS = [("names", "snm"), ("launch years", "lyr"), ("crew sizes", "crw"),
               ("hull classes", "hcls"), ("ids", "sid")]


def select_ships(rng):
    noun, column = rng.choice(SHIP_FIELDS)
    phrase, predicate = ship_condition(rng)
    question = rng.choice([
        f"List the {noun} of ships {phrase}.",
        f"Show the {noun} of all ships {phrase}.",
        f"What are the {noun} of the ships {phrase}?",
        f"Give me the {noun} of every ship {phrase}.",
        f"For ships {phrase}, list their {noun}.",
    ])
    return record(question, [SHIP], f"SELECT {column} FROM vship WHERE {predicate};")


def count_ships(rng):
    phrase, predicate = ship_condition(rng)
    question = rng.choice([
        f"How many ships were {phrase.split(' ', 1)[0]} {phrase.split(' ', 1)[1]}?"
        if phrase.startswith(("launched", "built")) else f"How many ships are there {phrase}?",
        f"Count the ships {phrase}.",
        f"What is the number of ships {phrase}?",
        f"Tell me how many ships are {phrase}.",
    ])
    return record(question, [SHIP], f"SELECT COUNT(*) FROM vship WHERE {predicate};")


AGGREGATES = [("average", "AVG"), ("mean", "AVG"), ("largest", "MAX"), ("maximum", "MAX"),
              ("smallest", "MIN"), ("minimum", "MIN"), ("total", "SUM")]


def aggregate_hauls(rng):
    word, function = rng.choice(AGGREGATES)
    measure, column = rng.choice([("cargo", "tns"), ("cargo tonnage", "tns"),
                                  ("trip length in days", "dys"), ("number of days out", "dys")])
    limit = rng.randint(3, 90)
    other = "dys" if column == "tns" else "tns"
    if other == "dys":
        phrase, predicate = rng.choice([(f"that lasted more than {limit} days", f"dys > {limit}"),
                                        (f"shorter than {limit} days", f"dys < {limit}")])
    else:
        tons = limit * 100
        phrase, predicate = rng.choice([(f"carrying over {tons} tons", f"tns > {tons}"),
                                        (f"carrying under {tons} tons", f"tns < {tons}")])
    question = rng.choice([
        f"What is the {word} {measure} of hauls {phrase}?",
        f"Find the {word} {measure} across hauls {phrase}.",
        f"For hauls {phrase}, what is the {word} {measure}?",
    ])
    return record(question, [HAUL], f"SELECT {function}({column}) FROM vhaul WHERE {predicate};")


def aggregate_ships(rng):
    word, function = rng.choice(AGGREGATES)
    measure, column = rng.choice([("crew size", "crw"), ("launch year", "lyr")])
    hull = rng.choice(HULLS)
    question = rng.choice([
        f"What is the {word} {measure} of class {hull} ships?",
        f"Compute the {word} {measure} for ships of hull class {hull}.",
        f"Among ships with a class {hull} hull, what is the {word} {measure}?",
    ])
    return record(question, [SHIP], f"SELECT {function}({column}) FROM vship WHERE hcls = '{hull}';")


GROUPINGS = [
    # (question variants, table, SQL)
    (["How many ships are there in each hull class?", "Count the ships per hull class.",
      "Give the number of ships for every hull class."],
     SHIP, "SELECT hcls, COUNT(*) FROM vship GROUP BY hcls;"),
    (["What is the total cargo carried by each ship?", "Sum the cargo tonnage per ship.",
      "For every ship id, give the total tons of cargo hauled."],
     HAUL, "SELECT sid, SUM(tns) FROM vhaul GROUP BY sid;"),
    (["How many berths does each zone have in total?", "Total the berths per zone.",
      "For each zone code, what is the sum of berths?"],
     DOCK, "SELECT zcd, SUM(brt) FROM vdock GROUP BY zcd;"),
    (["What is the average crew size for each hull class?", "Average crew per hull class, please.",
      "Show the mean crew size grouped by hull class."],
     SHIP, "SELECT hcls, AVG(crw) FROM vship GROUP BY hcls;"),
    (["How many hauls left from each origin dock?", "Count hauls per origin dock.",
      "Give the number of hauls for every origin dock id."],
     HAUL, "SELECT orig, COUNT(*) FROM vhaul GROUP BY orig;"),
    (["What is the longest haul in days for each ship?", "Show the maximum days out per ship.",
      "For each ship id, give its longest trip in days."],
     HAUL, "SELECT sid, MAX(dys) FROM vhaul GROUP BY sid;"),
]


def grouped(rng):
    questions, table, sql = rng.choice(GROUPINGS)
    question = rng.choice(questions)
    # A threshold variant keeps this family from being a small closed set.
    if rng.random() < 0.6 and table is SHIP:
        year = rng.randint(1952, 2023)
        question = question.rstrip(".?") + f", counting only ships launched after {year}" + question[-1]
        sql = sql.replace(" GROUP BY", f" WHERE lyr > {year} GROUP BY")
    elif rng.random() < 0.6 and table is HAUL:
        days = rng.randint(3, 90)
        question = question.rstrip(".?") + f", using only hauls longer than {days} days" + question[-1]
        sql = sql.replace(" GROUP BY", f" WHERE dys > {days} GROUP BY")
    elif table is DOCK and rng.random() < 0.6:
        berths = rng.randint(2, 40)
        question = question.rstrip(".?") + f", counting only docks with more than {berths} berths" + question[-1]
        sql = sql.replace(" GROUP BY", f" WHERE brt > {berths} GROUP BY")
    return record(question, [table], sql)


def top_k(rng):
    k = rng.randint(2, 9)
    choice = rng.choice([
        (["Which {k} ships have the largest crews? Give their names.", "Name the {k} ships with the biggest crews.",
          "List the names of the top {k} ships by crew size."],
         SHIP, "SELECT snm FROM vship ORDER BY crw DESC LIMIT {k};"),
        (["Name the {k} oldest ships.", "Which {k} ships were launched earliest? Names only.",
          "List the names of the {k} ships with the earliest launch years."],
         SHIP, "SELECT snm FROM vship ORDER BY lyr ASC LIMIT {k};"),
        (["Name the {k} newest ships.", "Which {k} ships were launched most recently? Names only.",
          "List the names of the {k} most recently launched ships."],
         SHIP, "SELECT snm FROM vship ORDER BY lyr DESC LIMIT {k};"),
        (["Which {k} hauls lasted longest? Give their ids.", "Show the ids of the {k} longest hauls.",
          "List the top {k} hauls by days out (ids only)."],
         HAUL, "SELECT hid FROM vhaul ORDER BY dys DESC LIMIT {k};"),
        (["Which {k} hauls carried the most cargo? Give their ids.", "Show the ids of the {k} heaviest hauls.",
          "List the {k} hauls with the highest cargo tonnage (ids only)."],
         HAUL, "SELECT hid FROM vhaul ORDER BY tns DESC LIMIT {k};"),
        (["Which {k} docks have the fewest berths? Give their names.", "Name the {k} smallest docks by berths.",
          "List the names of the {k} docks with the fewest berths."],
         DOCK, "SELECT dnm FROM vdock ORDER BY brt ASC LIMIT {k};"),
    ])
    questions, table, sql = choice
    return record(rng.choice(questions).format(k=k), [table], sql.format(k=k))


def join_ship_dock(rng):
    if rng.random() < 0.5:
        zone = rng.choice(ZONES)
        phrase, predicate = rng.choice([
            (f"based at docks in zone {zone}", f"d.zcd = '{zone}'"),
            (f"whose home dock lies in zone {zone}", f"d.zcd = '{zone}'"),
        ])
    else:
        dock = rng.choice(DOCK_NAMES)
        phrase, predicate = rng.choice([
            (f"based at {dock}", f"d.dnm = '{dock}'"),
            (f"whose home dock is {dock}", f"d.dnm = '{dock}'"),
        ])
    noun, column = rng.choice([("names", "snm"), ("launch years", "lyr"), ("crew sizes", "crw")])
    question = rng.choice([
        f"List the {noun} of ships {phrase}.",
        f"What are the {noun} of the ships {phrase}?",
        f"Show the {noun} of every ship {phrase}.",
    ])
    sql = f"SELECT s.{column} FROM vship s JOIN vdock d ON s.dkid = d.dkid WHERE {predicate};"
    return record(question, [SHIP, DOCK], sql)


def join_haul_ship(rng):
    days = rng.randint(3, 90)
    hull = rng.choice(HULLS)
    phrase, predicate = rng.choice([
        (f"that lasted more than {days} days", f"h.dys > {days}"),
        (f"made by class {hull} ships", f"s.hcls = '{hull}'"),
    ])
    question = rng.choice([
        f"For hauls {phrase}, list the ship name and cargo.",
        f"Show ship names with cargo tonnage for hauls {phrase}.",
        f"Which ships ran hauls {phrase}? Name and cargo.",
    ])
    sql = (f"SELECT s.snm, h.tns FROM vhaul h JOIN vship s ON h.sid = s.sid "
           f"WHERE {predicate};")
    return record(question, [HAUL, SHIP], sql)


def select_docks(rng):
    berths = rng.randint(2, 40)
    zone = rng.choice(ZONES)
    phrase, predicate = rng.choice([
        (f"with more than {berths} berths", f"brt > {berths}"),
        (f"with at most {berths} berths", f"brt <= {berths}"),
        (f"in zone {zone}", f"zcd = '{zone}'"),
    ])
    noun, column = rng.choice([("names", "dnm"), ("ids", "dkid"), ("berth counts", "brt")])
    question = rng.choice([
        f"List the {noun} of docks {phrase}.",
        f"What are the {noun} of all docks {phrase}?",
        f"Give the {noun} of docks {phrase}.",
    ])
    return record(question, [DOCK], f"SELECT {column} FROM vdock WHERE {predicate};")


FAMILIES = [(select_ships, 4), (count_ships, 3), (aggregate_hauls, 2), (aggregate_ships, 2),
            (grouped, 2), (top_k, 3), (join_ship_dock, 3), (join_haul_ship, 2), (select_docks, 2)]


def generate(seed, total):
    rng = random.Random(seed)
    generators = [g for g, weight in FAMILIES for _ in range(weight)]
    records, seen = [], set()
    attempts = 0
    while len(records) < total:
        attempts += 1
        if attempts > total * 200:
            raise SystemExit(f"could not find {total} distinct questions")
        item = rng.choice(generators)(rng)
        if item["prompt"] in seen:
            continue
        seen.add(item["prompt"])
        records.append(item)
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                      "data", "sql"))
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--valid", type=int, default=100)
    parser.add_argument("--test", type=int, default=100)
    args = parser.parse_args()
    records = generate(args.seed, args.train + args.valid + args.test)
    splits = {"train": records[:args.train],
              "valid": records[args.train:args.train + args.valid],
              "test": records[args.train + args.valid:]}
    os.makedirs(args.out, exist_ok=True)
    for name, items in splits.items():
        with open(os.path.join(args.out, f"{name}.jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"{name}: {len(items)} records")


if __name__ == "__main__":
    main()
