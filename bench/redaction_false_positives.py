"""False positives of the personal-data detector on the seed answers (or prompts).

Usage: python bench/redaction_false_positives.py [--samples N] [--kind KIND]
           [--author model|user] [--prompts]
The seed answers are published benchmark answers with no real personal data in them, so every
find is a false positive (or a public example such as a well-known hotline). They are model
answers, so they are scanned as `author="model"`, as sharing scans answers; `--author user`
scans them with the rules for a person's text. `--prompts` scans the 655 seed prompts instead,
written by people, as `author="user"` unless told otherwise. Prints finds per kind, how many
texts had any, a sample of finds in context, and the time taken; also counts answers that
identify their model (arena.identity), which the seed build already filtered.
"""

import argparse
import collections
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from arena.chats.identity import identifying_phrase  # noqa: E402
from arena.chats.redact import analyzer, find_personal_data  # noqa: E402


def seed_answers() -> list[tuple[str, str, str]]:
    answers = []
    for prompt in seed_prompts():
        for model, text in prompt["answers"].items():
            answers.append((prompt["external_id"], model, text))
    return answers


def seed_prompts() -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((ROOT / "seeds" / "prompts").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5, help="finds shown per kind")
    parser.add_argument("--kind", help="show every find of this kind")
    parser.add_argument("--author", choices=("model", "user"), help="who wrote the texts")
    parser.add_argument("--prompts", action="store_true", help="scan the prompts, not answers")
    args = parser.parse_args()
    author = args.author or ("user" if args.prompts else "model")

    if args.prompts:
        answers = [(p["external_id"], "prompt", p["text"]) for p in seed_prompts()]
    else:
        answers = seed_answers()
    started = time.perf_counter()
    analyzer()
    built = time.perf_counter()
    finds: dict[str, list[str]] = collections.defaultdict(list)
    answers_with_finds, slowest, times = 0, (0.0, ""), []
    for external_id, model, text in answers:
        before = time.perf_counter()
        hits = find_personal_data(text, author)
        times.append(time.perf_counter() - before)
        slowest = max(slowest, (times[-1], f"{external_id} {model}"))
        answers_with_finds += bool(hits)
        for hit in hits:
            context = text[max(0, hit.start - 30) : hit.end + 30].replace("\n", " ")
            finds[hit.kind].append(
                f"{external_id} {model}: ...{context}... -> {text[hit.start : hit.end]!r}"
            )
    finished = time.perf_counter()

    characters = sum(len(text) for _, _, text in answers)
    what = "prompts" if args.prompts else "answers"
    print(f"{len(answers)} seed {what} scanned as author={author!r}, {characters:,} characters")
    print(f"analyzer built in {built - started:.2f} s; scanned in {finished - built:.1f} s")
    times.sort()
    median, p99 = times[len(times) // 2], times[len(times) * 99 // 100]
    print(
        f"per text: mean {sum(times) / len(times) * 1000:.2f} ms, "
        f"median {median * 1000:.2f} ms, p99 {p99 * 1000:.1f} ms"
    )
    print(f"slowest answer: {slowest[0] * 1000:.0f} ms ({slowest[1]})")
    print(f"{what} with any find: {answers_with_finds} ({answers_with_finds / len(answers):.2%})")
    print("finds per kind:", dict(sorted((kind, len(v)) for kind, v in finds.items())) or "none")
    rng = random.Random(0)
    for kind, examples in sorted(finds.items()):
        shown = (
            examples
            if kind == args.kind
            else rng.sample(examples, min(args.samples, len(examples)))
        )
        print(f"\n{kind} ({len(examples)}):")
        for example in shown:
            print("  ", example)
    identifying = [(e, m, identifying_phrase(t)) for e, m, t in answers if identifying_phrase(t)]
    print(f"\nanswers that identify their model: {len(identifying)}")
    for external_id, model, phrase in identifying[: args.samples]:
        print(f"   {external_id} {model}: {phrase!r}")


if __name__ == "__main__":
    main()
