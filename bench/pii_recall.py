"""Recall per kind and false alarms of the personal-data detector on the labelled corpus.

Usage: python bench/pii_recall.py [--misses]
The corpus (tests/data/pii_corpus.jsonl, written by tests/data/build_pii_corpus.py) holds
person- and model-written texts with every kind and disguise of the privacy issue (#11) and
clean look-alikes. An instance counts as caught when every letter and digit of it is redacted.
Prints a Markdown table for all cases and for the held-out ones (written after tuning), the
look-alikes flagged, and the time per text. tests/test_pii_corpus.py asserts the targets.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.pii_corpus import CONTEXTUAL, STRUCTURED, load, score  # noqa: E402


def table(title: str, cases: list[dict]) -> None:
    result = score(cases)
    print(f"\n{title}: {len(cases)} texts, {sum(result.instances.values())} instances\n")
    print("| kind | instances | caught | recall | named right |")
    print("|---|---|---|---|---|")
    for kind in STRUCTURED + CONTEXTUAL:
        if result.instances[kind]:
            print(
                f"| {kind} | {result.instances[kind]} | {result.caught[kind]} | "
                f"{result.recall(kind):.3f} | {result.right_kind[kind]} |"
            )
    print(
        f"\nclean look-alikes flagged: {result.clean_texts_flagged} of {result.clean_texts}; "
        f"false alarms in all texts: {len(result.false_alarms)}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    cases = load()
    started = time.perf_counter()
    result = table("All cases", cases)
    elapsed = time.perf_counter() - started
    table("Held out", [c for c in cases if c["note"].startswith("held-out")])
    print(f"\n{elapsed / len(cases) * 1000:.2f} ms per text (scoring included)")
    if args.misses:
        for miss in result.missed:
            print("missed:", miss)
        for alarm in result.false_alarms:
            print("false alarm:", alarm)


if __name__ == "__main__":
    main()
