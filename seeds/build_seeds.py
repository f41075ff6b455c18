#!/usr/bin/env python3
"""Build the Crowd Arena seed data from public benchmark datasets.

Standalone maintenance script (Python 3.11, standard library only).

    python seeds/build_seeds.py [--source PATH]

Reads the read-only source datasets (default: ``<project root>/../shared/datasets``)
and (re)writes, beside this script:

    models.json                    every model that appears in any source
    communities.json               the four communities (general, coding, medical, legal)
    prompts/mt_bench.jsonl         MT-Bench turn-1 questions + turn-1 answers
    prompts/arena_hard.jsonl       Arena-Hard-Auto v0.1 prompts + 3 models' answers
    prompts/vicuna80.jsonl         Vicuna-80 questions + 9 models' answers
    votes/vicuna80_human.jsonl     real human pairwise votes on the Vicuna-80 answers
    README.md                      provenance, licences, transformations, counts

Output is deterministic: same sources -> byte-identical files.
See README.md (generated) for the rules applied.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = SEEDS_DIR.parent
DEFAULT_SOURCE = PROJECT_ROOT.parent / "shared" / "datasets"

# Total budget for the seeds/ folder; Arena-Hard prompts are trimmed (from the end,
# in file order) if the output would exceed it.
SIZE_BUDGET_BYTES = 12 * 1024 * 1024

# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

# slug -> (display name, organization). Organizations are best knowledge.
MODEL_INFO: dict[str, tuple[str, str]] = {
    # MT-Bench (LMSYS pre-generated answers, 32 models)
    "alpaca-13b": ("Alpaca 13B", "Stanford"),
    "baize-v2-13b": ("Baize v2 13B", "UCSD"),
    "chatglm-6b": ("ChatGLM 6B", "Tsinghua University"),
    "claude-instant-v1": ("Claude Instant v1", "Anthropic"),
    "claude-v1": ("Claude v1", "Anthropic"),
    "dolly-v2-12b": ("Dolly v2 12B", "Databricks"),
    "falcon-40b-instruct": ("Falcon 40B Instruct", "TII"),
    "fastchat-t5-3b": ("FastChat-T5 3B", "LMSYS"),
    "gpt-3.5-turbo": ("GPT-3.5 Turbo", "OpenAI"),
    "gpt-4": ("GPT-4", "OpenAI"),
    "gpt4all-13b-snoozy": ("GPT4All 13B Snoozy", "Nomic AI"),
    "guanaco-33b": ("Guanaco 33B", "University of Washington"),
    "guanaco-65b": ("Guanaco 65B", "University of Washington"),
    "h2ogpt-oasst-open-llama-13b": ("h2oGPT OASST Open LLaMA 13B", "H2O.ai"),
    "koala-13b": ("Koala 13B", "UC Berkeley"),
    "lima-whole-13b": ("LIMA 13B", "Community"),
    "llama-13b": ("LLaMA 13B", "Meta"),
    "mpt-30b-chat": ("MPT-30B Chat", "MosaicML"),
    "mpt-30b-instruct": ("MPT-30B Instruct", "MosaicML"),
    "mpt-7b-chat": ("MPT-7B Chat", "MosaicML"),
    "nous-hermes-13b": ("Nous Hermes 13B", "Nous Research"),
    "oasst-sft-4-pythia-12b": ("OpenAssistant SFT-4 Pythia 12B", "LAION / OpenAssistant"),
    "oasst-sft-7-llama-30b": ("OpenAssistant SFT-7 LLaMA 30B", "LAION / OpenAssistant"),
    "palm-2-chat-bison-001": ("PaLM 2 Chat Bison", "Google"),
    "rwkv-4-raven-14b": ("RWKV-4 Raven 14B", "RWKV (BlinkDL)"),
    "stablelm-tuned-alpha-7b": ("StableLM Tuned Alpha 7B", "Stability AI"),
    "tulu-30b": ("Tulu 30B", "Allen Institute for AI"),
    "vicuna-13b-v1.3": ("Vicuna 13B v1.3", "LMSYS"),
    "vicuna-33b-v1.3": ("Vicuna 33B v1.3", "LMSYS"),
    "vicuna-7b-v1.3": ("Vicuna 7B v1.3", "LMSYS"),
    "wizardlm-13b": ("WizardLM 13B", "Microsoft"),
    "wizardlm-30b": ("WizardLM 30B", "Microsoft"),
    # Vicuna-80 (PRD / QLoRA human study) - gpt-4, gpt-3.5-turbo, claude-v1,
    # guanaco-33b/65b are shared with MT-Bench above.
    "bard": ("Bard", "Google"),
    "vicuna-13b": ("Vicuna 13B", "LMSYS"),
    "guanaco-7b": ("Guanaco 7B", "University of Washington"),
    "guanaco-13b": ("Guanaco 13B", "University of Washington"),
    # Arena-Hard-Auto v0.1
    "gpt-3.5-turbo-0125": ("GPT-3.5 Turbo (0125)", "OpenAI"),
    "gpt-4-0314": ("GPT-4 (0314)", "OpenAI"),
    "gpt-4-0613": ("GPT-4 (0613)", "OpenAI"),
}

# Vicuna-80 model names (ratings file names / generation files) -> slug.
VICUNA_MODEL_SLUGS = {
    "gpt4": "gpt-4",
    "gpt35": "gpt-3.5-turbo",
    "claude": "claude-v1",
    "bard": "bard",
    "vicuna-13b": "vicuna-13b",
    "guanaco-7b": "guanaco-7b",
    "guanaco-13b": "guanaco-13b",
    "guanaco-33b": "guanaco-33b",
    "guanaco-65b": "guanaco-65b",
}
# QLoRA generation files: size prefix -> slug (file "30b-..." is guanaco-33b).
QLORA_GENERATION_FILES = {
    "7b": "guanaco-7b",
    "13b": "guanaco-13b",
    "30b": "guanaco-33b",
    "65b": "guanaco-65b",
}
PRD_GENERATION_FILES = {
    "gpt4": "gpt-4",
    "gpt35": "gpt-3.5-turbo",
    "bard": "bard",
    "claude": "claude-v1",
    "vicuna-13b": "vicuna-13b",
}

# ---------------------------------------------------------------------------
# Communities
# ---------------------------------------------------------------------------

COMMUNITIES = [
    {
        "slug": "general",
        "name": "General",
        "description": "Everyday questions, writing, reasoning, maths, role-play and "
        "knowledge prompts. The default home for anything that is not "
        "specialised.",
    },
    {
        "slug": "coding",
        "name": "Coding",
        "description": "Programming, debugging, scripts, SQL, web and data tooling. "
        "Judge answers on correctness first, then clarity.",
    },
    {
        "slug": "medical",
        "name": "Medical",
        "description": "Health and medicine questions. Starts small with a handful "
        "of seed prompts; answers are not medical advice - vote on "
        "accuracy, safety and clarity.",
    },
    {
        "slug": "legal",
        "name": "Legal",
        "description": "Law, regulation, contracts and intellectual property. Starts "
        "small with a handful of seed prompts; answers are not legal "
        "advice - vote on accuracy, caveats and clarity.",
    },
]

# Arena-Hard clusters whose NAME matches this (case-insensitive, word boundaries)
# are treated as programming. Chosen by reading the 250 cluster names.
CODING_CLUSTER_WORDS = [
    "programming",
    "python",
    "code",
    "coding",
    "sql",
    "javascript",
    "typescript",
    "software",
    "development",
    "algorithms?",
    "excel",
    "vba",
    "web",
    "apis?",
    "linux",
    "shell",
    "scripting",
    "scripts?",
    "rust",
    "c\\+\\+",
    "kotlin",
    "swift",
    "php",
    "django",
    "flask",
    "react",
    "node\\.js",
    "css",
    "docker",
    "dockerizing",
    "kubernetes",
    "pandas",
    "matplotlib",
    "pytorch",
    "cuda",
    "hlsl",
    "hdl",
    "regex",
    "awk",
    "sed",
    "grep",
    "tkinter",
    "wpf",
    "gradio",
    "streamlit",
    "shiny",
    "laravel",
    "symfony",
    "doctrine",
    "tidyverse",
    "nix",
    "nixos",
    "assembly",
    "linked list",
    "string reversal",
    "testing",
    "mocking",
    "concurrency",
    "sockets",
    "webhooks",
    "cron",
    "deobfuscation",
    "jax",
    "monads",
    "ffmpeg",
    "odoo",
    "roblox",
    "bot",
    "chatbot",
    "extensions",
    "android",
    "game development",
    "fibonacci",
    "json",
    "csv",
    "svg",
    "yolo",
    "tailwind",
    "next\\.js",
    "caldav",
    "scim",
    "cors",
    "reverse engineering",
    "vb6",
    "databricks",
    "spark",
    "huggingface",
    "rnn",
    "autoencoder",
    "ray tracing",
    "array",
    "character indexing",
    "word position in string",
    "prime number validation",
    "kernel",
    "package management",
    "terminal",
    "gis",
    "pdf processing",
    "redis",
]
CODING_CLUSTER_RE = re.compile(
    r"(?<![\w])(?:" + "|".join(CODING_CLUSTER_WORDS) + r")(?![\w])", re.IGNORECASE
)

# Prompt-text keyword rules (case-insensitive, word boundaries). Deliberately narrow:
# bare "health", "hospital", "drug", "patient(s)" alone were checked and produced
# false matches (an RPG "health" stat, a riddle about a hospital, a SAS format named
# $Drug), so only clearly medical terms are used.
MEDICAL_WORDS = [
    "medical",
    "medicine",
    "medications?",
    "patients?",
    "symptoms?",
    "diseases?",
    "diagnos(?:is|es|e|ed|ing|tic)",
    "doctors?",
    "physicians?",
    "clinical",
    "clinics?",
    "healthcare",
    "health care",
    "vaccines?",
    "vaccinations?",
    "illness(?:es)?",
    "surgery",
    "surgeon",
    "nurses?",
    "sepsis",
    "infectious",
    "pharmaceuticals?",
    "prescriptions?",
    "blood pressure",
    "mental health",
]
MEDICAL_RE = re.compile(r"(?<![\w])(?:" + "|".join(MEDICAL_WORDS) + r")(?![\w])", re.IGNORECASE)

LEGAL_WORDS = [
    # "law" but not "Law School" and not scientific laws ("Newton's law", "law of ...")
    r"(?<!'s )laws?(?! school)(?! of\b)",
    "legal",
    "lawyers?",
    "attorneys?",
    "courts?",
    "lawsuits?",
    "copyright",
    "regulations?",
    "regulatory",
    "gdpr",
    "hipaa",
    "liability",
    "legislation",
    "statutes?",
    "jurisdictions?",
    "plaintiffs?",
    "defendants?",
    "patents?",
    "intellectual property",
    "antitrust",
    # "contract" but not blockchain "smart contract"
    r"(?<!smart )contracts?",
]
# Arena-Hard clusters are noisy (e.g. a Solidity audit sits in "Multisig Wallet
# Transactions", a Java GCD program in "Prime and Perfect Number Calculations"), so an
# Arena-Hard prompt is also `coding` when its TEXT is clearly code: it names a
# programming language / code library, asks for or shows code, or contains code syntax.
# Generic words ("function", "algorithm", "script", "program", "scheme") are NOT used
# alone: they matched maths proofs, exam mark schemes and film scripts.
CODE_LANGUAGE_WORDS = [
    "python(?! dictionary)",
    "javascript",
    "typescript",
    "java",
    "c\\+\\+",
    "c#",
    "golang",
    "kotlin",
    "php",
    "sql",
    "mysql",
    "postgresql",
    "sqlite3?",
    "bash",
    "powershell",
    "vba",
    "vbs",
    "vb\\.net",
    "vb6",
    "matlab",
    "solidity",
    "html",
    "css",
    "regex",
    "numpy",
    "pandas",
    "pytorch",
    "tensorflow",
    "keras",
    "django",
    "flask",
    "node\\.?js",
    "perl",
    "ruby",
    "haskell",
    "lisp",
    "gensim",
    "networkx",
    "pyside6",
    "pyqt\\d?",
    "arduino",
    "codeql",
    "r code",
    "rust code",
    "program in rust",
    "scheme program",
    "gams",
    "ocaml",
    "swiftui",
    "jetpack compose",
    "flutter",
    "c code",
    "assembly language",
]
CODE_PHRASES = [
    "source code",
    "code snippet",
    "this code",
    "my code",
    "following code",
    "the code",
    "some code",
    "me code",
    "me the code",
    "a code",
    "python code",
    "write (?:a |an |me a |me an )?(?:small |simple |short )?(?:function|program|script)"
    "(?= (?:in|to|that|which|for|using))",
]
CODE_TEXT_RE = re.compile(
    r"(?<![\w./])(?:" + "|".join(CODE_LANGUAGE_WORDS + CODE_PHRASES) + r")(?![\w])",
    re.IGNORECASE,
)
CODE_SYNTAX_RE = re.compile(
    r"```|^\s*(?:def \w+\(|class \w+[:(]|import \w+|from \w+ import|#include\b|"
    r"public (?:static |class )|function \w*\s*\(|const \w+ =|let \w+ =|SELECT\b.*\bFROM\b)"
    r"|console\.log\(|System\.out\.print",
    re.MULTILINE,
)

LEGAL_RE = re.compile(r"(?<![\w])(?:" + "|".join(LEGAL_WORDS) + r")(?![\w])", re.IGNORECASE)


def is_clearly_code(text: str) -> bool:
    return bool(CODE_TEXT_RE.search(text) or CODE_SYNTAX_RE.search(text))


def assign_community(source: str, category: str, text: str) -> str:
    """Deterministic community rule, in priority order: coding > medical > legal > general."""
    if source in ("mt_bench", "vicuna80"):
        if category == "coding":
            return "coding"
    elif source == "arena_hard":
        if CODING_CLUSTER_RE.search(category) or is_clearly_code(text):
            return "coding"
    med = len({m.group(0).lower() for m in MEDICAL_RE.finditer(text)})
    leg = len({m.group(0).lower() for m in LEGAL_RE.finditer(text)})
    if med and med >= leg:
        return "medical"
    if leg:
        return "legal"
    return "general"


# ---------------------------------------------------------------------------
# Blindness filter
# ---------------------------------------------------------------------------

# Self-identifying vendor / model-family terms. Matched case-insensitively; left
# boundary = not preceded by a letter/digit, right boundary = not followed by a
# letter (so "GPT4", "llama2", "claude2" are caught too).
VENDOR_TERMS = [
    "OpenAI",
    "GPT",
    "ChatGPT",
    "Anthropic",
    "Claude",
    "Bard",
    "Google",
    "LaMDA",
    "PaLM",
    "Vicuna",
    "LMSYS",
    "LLaMA",
    "Alpaca",
    "Guanaco",
    "Koala",
    "Falcon",
    "MosaicML",
    "MPT",
    "Dolly",
    "Databricks",
    "StableLM",
    "Stability AI",
    "WizardLM",
    "Tulu",
    "Baize",
    "ChatGLM",
    "RWKV",
    "Open Assistant",
    "OpenAssistant",
    "oasst",
    "h2oGPT",
    "Nous",
    "Hermes",
    "LIMA",
    "GPT4All",
    "FastChat",
]


def _flex(name: str) -> str:
    """Regex for a model name where '-', '_', ' ' separators are interchangeable/optional."""
    parts = re.split(r"[-_\s]+", name.strip())
    return r"[-_\s]?".join(re.escape(p) for p in parts if p)


def build_name_regex(models: dict[str, tuple[str, str]]) -> re.Pattern[str]:
    """Any model slug or display name from models.json (whole word, case-insensitive)."""
    alts = set()
    for slug, (name, _org) in models.items():
        alts.add(_flex(slug))
        alts.add(_flex(name))
    # Longest first so the reported match is the most specific one.
    ordered = sorted(alts, key=lambda s: (-len(s), s))
    return re.compile(r"(?<![\w])(?:" + "|".join(ordered) + r")(?![\w])", re.IGNORECASE)


def build_vendor_regex() -> re.Pattern[str]:
    ordered = sorted((_flex(t) for t in VENDOR_TERMS), key=lambda s: (-len(s), s))
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(ordered) + r")(?![A-Za-z])", re.IGNORECASE)


ERROR_RE = re.compile(r"^\s*(?:\$ERROR\$|error:|api error|\[error\])", re.IGNORECASE)

# QLoRA (Guanaco) generations were sampled with the "### Human: ... ### Assistant:"
# template and often run on into an invented next user turn. That tail is a strong
# give-away of the model family, so it is cut at the first role marker.
ROLE_MARKER_RE = re.compile(r"###\s*(?:Human|Assistant)\s*:")


class AnswerFilter:
    def __init__(self, models: dict[str, tuple[str, str]]):
        self.name_re = build_name_regex(models)
        self.vendor_re = build_vendor_regex()
        self.dropped_blind = 0
        self.dropped_empty = 0
        self.dropped_error = 0
        self.term_counts: Counter[str] = Counter()
        self.dropped_by_model: Counter[str] = Counter()
        self.dropped_by_source: Counter[str] = Counter()

    def check(self, source: str, model: str, text: str | None) -> str | None:
        """Return the cleaned answer text, or None if the answer must be dropped."""
        text = (text or "").strip()
        if not text:
            self.dropped_empty += 1
            return None
        if ERROR_RE.search(text):
            self.dropped_error += 1
            return None
        m = self.name_re.search(text) or self.vendor_re.search(text)
        if m:
            self.dropped_blind += 1
            self.term_counts[m.group(0).lower()] += 1
            self.dropped_by_model[model] += 1
            self.dropped_by_source[source] += 1
            return None
        return text


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def dumps_line(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(dumps_line(row) + "\n")


def write_pretty(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def jsonl_size(rows: list[dict]) -> int:
    return sum(len((dumps_line(r) + "\n").encode("utf-8")) for r in rows)


def read_source_md(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip() if path.exists() else "(SOURCE.md missing)"


# ---------------------------------------------------------------------------
# Loaders (raw, before filtering)
# ---------------------------------------------------------------------------


def load_mt_bench(src: Path) -> tuple[list[dict], list[str]]:
    base = src / "mt_bench"
    questions = read_jsonl(base / "question.jsonl")
    answers: dict[int, dict[str, str]] = {}
    models = []
    for f in sorted((base / "model_answer").glob("*.jsonl")):
        slug = f.stem  # file name is the model id (model_id inside can differ)
        models.append(slug)
        for row in read_jsonl(f):
            turns = row["choices"][0]["turns"]
            answers.setdefault(row["question_id"], {})[slug] = turns[0] if turns else ""
    prompts = []
    for q in questions:
        prompts.append(
            {
                "external_id": f"mt_bench:{q['question_id']}",
                "category": q["category"],
                "text": q["turns"][0],
                "raw_answers": answers.get(q["question_id"], {}),
            }
        )
    return prompts, models


def load_arena_hard(src: Path) -> tuple[list[dict], list[str]]:
    base = src / "arena_hard_auto" / "data" / "arena-hard-v0.1"
    questions = read_jsonl(base / "question.jsonl")
    answers: dict[str, dict[str, str]] = {}
    models = []
    for f in sorted((base / "model_answer").glob("*.jsonl")):
        slug = f.stem
        models.append(slug)
        for row in read_jsonl(f):
            content = row["messages"][1]["content"]
            ans = content.get("answer") if isinstance(content, dict) else content
            answers.setdefault(row["uid"], {})[slug] = ans
    prompts = []
    for q in questions:
        prompts.append(
            {
                "external_id": f"arena_hard:{q['uid']}",
                "category": q["cluster"],
                "text": q["prompt"],
                "raw_answers": answers.get(q["uid"], {}),
            }
        )
    return prompts, models


def load_vicuna80(src: Path) -> tuple[list[dict], list[str], int]:
    base = src / "vicuna80_human_pairwise"
    questions = read_jsonl(base / "prompts" / "vicuna_questions.jsonl")
    answers: dict[int, dict[str, str]] = {}
    truncated = 0
    for prefix, slug in sorted(QLORA_GENERATION_FILES.items()):
        f = base / "generations" / f"{prefix}-guanaco-vicuna-generations-topp0.9-temp0.7.jsonl"
        for row in read_jsonl(f):
            text = row["generation"]
            m = ROLE_MARKER_RE.search(text)
            if m:
                text = text[: m.start()]
                truncated += 1
            answers.setdefault(row["question_id"], {})[slug] = text
    for name, slug in sorted(PRD_GENERATION_FILES.items()):
        f = base / "generations" / f"answer_{name}.jsonl"
        for row in read_jsonl(f):
            answers.setdefault(row["question_id"], {})[slug] = row["text"]
    prompts = []
    for q in questions:
        prompts.append(
            {
                "external_id": f"vicuna80:{q['question_id']}",
                "category": q["category"],
                "text": q["text"],
                "raw_answers": answers.get(q["question_id"], {}),
            }
        )
    models = sorted(set(QLORA_GENERATION_FILES.values()) | set(PRD_GENERATION_FILES.values()))
    return prompts, models, truncated


RATING_FILE_RE = re.compile(
    r"^answer_(?P<a>.+?)-vs-answer_(?P<b>.+?)-human-reviewer_threeclass\.jsonl$"
)
SCORE_TO_CHOICE = {1: "a", 2: "b", 3: "tie"}


def load_vicuna_votes(src: Path, question_texts: dict[int, str]) -> list[dict]:
    base = src / "vicuna80_human_pairwise" / "ratings-human"
    votes = []
    for f in sorted(base.glob("*.jsonl"), key=lambda p: p.name):
        m = RATING_FILE_RE.match(f.name)
        if not m:
            raise SystemExit(f"unexpected ratings file name: {f.name}")
        a_raw, b_raw = m.group("a"), m.group("b")
        a, b = VICUNA_MODEL_SLUGS[a_raw], VICUNA_MODEL_SLUGS[b_raw]
        # Claude files were added by the PRD authors; everything else is the QLoRA study.
        judge = "prd-human" if "claude" in (a_raw, b_raw) else "qlora-human"
        for row in read_jsonl(f):
            qid = row["question_id"]
            if question_texts.get(qid, "").strip() != row.get("text", "").strip():
                raise SystemExit(f"{f.name}: question {qid} text does not match prompts file")
            votes.append(
                {
                    "prompt": f"vicuna80:{qid}",
                    "a": a,
                    "b": b,
                    "choice": SCORE_TO_CHOICE[int(row["score"])],
                    "judge": judge,
                }
            )
    return votes


# ---------------------------------------------------------------------------
# Main build
# ---------------------------------------------------------------------------


def finalize_prompts(
    source: str, raw_prompts: list[dict], filt: AnswerFilter, stats: dict
) -> list[dict]:
    out = []
    for p in raw_prompts:
        if filt.name_re.search(p["text"]):
            stats["prompts_dropped_model_name_in_text"] += 1
            stats["prompt_drop_ids"].append(p["external_id"])
            continue
        kept = {}
        for slug in sorted(p["raw_answers"]):
            text = filt.check(source, slug, p["raw_answers"][slug])
            if text is not None:
                kept[slug] = text
        if len(kept) < 2:
            stats["prompts_dropped_too_few_answers"] += 1
            stats["prompt_drop_ids"].append(p["external_id"])
            continue
        out.append(
            {
                "external_id": p["external_id"],
                "community": assign_community(source, p["category"], p["text"]),
                "category": p["category"],
                "text": p["text"],
                "answers": kept,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help=f"datasets folder (default: {DEFAULT_SOURCE})",
    )
    args = ap.parse_args(argv)
    src: Path = args.source.resolve()
    if not src.is_dir():
        print(f"source folder not found: {src}", file=sys.stderr)
        return 2

    mt_raw, mt_models = load_mt_bench(src)
    ah_raw, ah_models = load_arena_hard(src)
    v_raw, v_models, v_truncated = load_vicuna80(src)

    # models.json: every model that appears anywhere, with the sources it appears in.
    model_sources: dict[str, set[str]] = {}
    for source, models in (
        ("mt_bench", mt_models),
        ("arena_hard", ah_models),
        ("vicuna80", v_models),
    ):
        for slug in models:
            model_sources.setdefault(slug, set()).add(source)
    unknown = sorted(set(model_sources) - set(MODEL_INFO))
    if unknown:
        raise SystemExit(f"models without display info: {unknown}")
    models_json = [
        {
            "slug": slug,
            "name": MODEL_INFO[slug][0],
            "organization": MODEL_INFO[slug][1],
            "source": ",".join(sorted(model_sources[slug])),
        }
        for slug in sorted(model_sources)
    ]
    models_used = {slug: MODEL_INFO[slug] for slug in model_sources}

    filt = AnswerFilter(models_used)
    stats = {
        "prompts_dropped_model_name_in_text": 0,
        "prompts_dropped_too_few_answers": 0,
        "prompt_drop_ids": [],
    }
    answers_in = {}
    results = {}
    for source, raw in (("mt_bench", mt_raw), ("arena_hard", ah_raw), ("vicuna80", v_raw)):
        answers_in[source] = sum(len(p["raw_answers"]) for p in raw)
        results[source] = finalize_prompts(source, raw, filt, stats)

    # Size budget: trim Arena-Hard prompts (from the end, file order) if needed.
    ah_trimmed = 0
    fixed = (
        jsonl_size(results["mt_bench"]) + jsonl_size(results["vicuna80"]) + 200_000
    )  # headroom for models/communities/votes/README
    while results["arena_hard"] and fixed + jsonl_size(results["arena_hard"]) > SIZE_BUDGET_BYTES:
        results["arena_hard"].pop()
        ah_trimmed += 1

    # Votes: keep only those whose prompt and both answers survived.
    v_questions = {int(p["external_id"].split(":")[1]): p["text"] for p in v_raw}
    all_votes = load_vicuna_votes(src, v_questions)
    v_answers = {p["external_id"]: p["answers"] for p in results["vicuna80"]}
    votes, vote_drops = [], Counter()
    for v in all_votes:
        ans = v_answers.get(v["prompt"])
        if ans is None:
            vote_drops["prompt dropped"] += 1
        elif v["a"] not in ans or v["b"] not in ans:
            vote_drops["answer filtered"] += 1
        else:
            votes.append(v)

    # Write outputs.
    write_pretty(SEEDS_DIR / "models.json", models_json)
    write_pretty(SEEDS_DIR / "communities.json", COMMUNITIES)
    write_jsonl(SEEDS_DIR / "prompts" / "mt_bench.jsonl", results["mt_bench"])
    write_jsonl(SEEDS_DIR / "prompts" / "arena_hard.jsonl", results["arena_hard"])
    write_jsonl(SEEDS_DIR / "prompts" / "vicuna80.jsonl", results["vicuna80"])
    write_jsonl(SEEDS_DIR / "votes" / "vicuna80_human.jsonl", votes)

    # Summary.
    community_counts = {s: Counter(p["community"] for p in results[s]) for s in results}
    total_comm = Counter()
    for c in community_counts.values():
        total_comm.update(c)
    answers_out = {s: sum(len(p["answers"]) for p in results[s]) for s in results}
    summary = {
        "models": len(models_json),
        "prompts": {s: len(results[s]) for s in results},
        "answers_in": answers_in,
        "answers_out": answers_out,
        "community_counts": {s: dict(sorted(c.items())) for s, c in community_counts.items()},
        "community_total": dict(sorted(total_comm.items())),
        "answers_dropped_blindness": filt.dropped_blind,
        "answers_dropped_blindness_by_source": dict(sorted(filt.dropped_by_source.items())),
        "answers_dropped_empty": filt.dropped_empty,
        "answers_dropped_error": filt.dropped_error,
        "blindness_first_match_terms": dict(filt.term_counts.most_common()),
        "blindness_drops_by_model": dict(sorted(filt.dropped_by_model.items())),
        "guanaco_answers_truncated_at_role_marker": v_truncated,
        "prompts_dropped_model_name_in_text": stats["prompts_dropped_model_name_in_text"],
        "prompts_dropped_too_few_answers": stats["prompts_dropped_too_few_answers"],
        "prompt_drop_ids": stats["prompt_drop_ids"],
        "arena_hard_trimmed_for_size": ah_trimmed,
        "arena_hard_coding_by_text_only": sum(
            1
            for p in results["arena_hard"]
            if p["community"] == "coding" and not CODING_CLUSTER_RE.search(p["category"])
        ),
        "votes_in": len(all_votes),
        "votes_kept": len(votes),
        "votes_dropped": dict(sorted(vote_drops.items())),
        "votes_by_judge": dict(sorted(Counter(v["judge"] for v in votes).items())),
        "votes_by_choice": dict(sorted(Counter(v["choice"] for v in votes).items())),
    }
    write_readme(src, summary, models_json)

    sizes = {
        str(p.relative_to(SEEDS_DIR)): p.stat().st_size
        for p in sorted(SEEDS_DIR.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    total = sum(sizes.values())
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    print("file sizes (bytes):")
    for name, size in sizes.items():
        print(f"  {size:>10}  {name}")
    print(f"  {total:>10}  TOTAL ({total / 1024 / 1024:.2f} MiB)")
    if total > SIZE_BUDGET_BYTES:
        print("WARNING: seeds/ exceeds the 12 MiB budget", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------


def _table(counter: dict, header: tuple[str, str]) -> str:
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in counter.items()]
    return "\n".join(lines)


def write_readme(src: Path, s: dict, models_json: list[dict]) -> None:
    def source_block(folder: str) -> str:
        text = read_source_md(src / folder / "SOURCE.md")
        return "\n".join("> " + line if line else ">" for line in text.splitlines())

    comm_rows = [
        "| file | general | coding | medical | legal | total |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("mt_bench", "arena_hard", "vicuna80"):
        c = s["community_counts"][name]
        comm_rows.append(
            f"| prompts/{name}.jsonl | {c.get('general', 0)} | {c.get('coding', 0)} | "
            f"{c.get('medical', 0)} | {c.get('legal', 0)} | {s['prompts'][name]} |"
        )
    t = s["community_total"]
    comm_rows.append(
        f"| **all** | {t.get('general', 0)} | {t.get('coding', 0)} | "
        f"{t.get('medical', 0)} | {t.get('legal', 0)} | {sum(s['prompts'].values())} |"
    )

    vendor_terms = ", ".join(VENDOR_TERMS)
    med_words = ", ".join(f"`{w}`" for w in MEDICAL_WORDS)
    leg_words = ", ".join(f"`{w}`" for w in LEGAL_WORDS)
    cluster_words = ", ".join(f"`{w}`" for w in CODING_CLUSTER_WORDS)
    code_langs = ", ".join(f"`{w}`" for w in CODE_LANGUAGE_WORDS)
    code_phrases = ", ".join(f"`{w}`" for w in CODE_PHRASES)
    ah_code_text = s["community_counts"]["arena_hard"].get("coding", 0)
    ah_code_text_only = s["arena_hard_coding_by_text_only"]
    drop_ids = ", ".join(f"`{i}`" for i in s["prompt_drop_ids"]) or "none"
    terms = ", ".join(f"{k} {v}" for k, v in s["blindness_first_match_terms"].items())
    by_model = ", ".join(f"{k} {v}" for k, v in s["blindness_drops_by_model"].items())
    trimmed = (
        f"**{s['arena_hard_trimmed_for_size']} Arena-Hard prompts were dropped from the end "
        "(file order) to stay under 12 MiB.**"
        if s["arena_hard_trimmed_for_size"]
        else "No trimming was needed (all files fit well under the 12 MiB budget)."
    )

    readme = f"""# Crowd Arena seed data

Generated by `seeds/build_seeds.py` (Python 3.11, standard library only) from public,
openly licensed benchmark data. **Do not edit the data files by hand**; rebuild instead:

```
python seeds/build_seeds.py                    # source defaults to ../shared/datasets (beside the project root)
python seeds/build_seeds.py --source /path/to/datasets
```

The build is deterministic (sorted keys, stable order): the same sources give
byte-identical files. JSONL files hold one compact JSON object per line
(`ensure_ascii=False`, separators `,` and `:`).

## Files

| file | content |
|---|---|
| `models.json` | {s["models"]} models: `{{"slug","name","organization","source"}}`; `source` = comma-separated datasets the model appears in (`arena_hard`, `mt_bench`, `vicuna80`). Organizations are best knowledge (`Community` where unsure). |
| `communities.json` | the 4 communities: `general`, `coding`, `medical`, `legal` (`{{"slug","name","description"}}`). |
| `prompts/mt_bench.jsonl` | {s["prompts"]["mt_bench"]} MT-Bench questions (turn 1 only) with {s["answers_out"]["mt_bench"]} answers. |
| `prompts/arena_hard.jsonl` | {s["prompts"]["arena_hard"]} Arena-Hard-Auto v0.1 prompts with {s["answers_out"]["arena_hard"]} answers. |
| `prompts/vicuna80.jsonl` | {s["prompts"]["vicuna80"]} Vicuna-80 questions with {s["answers_out"]["vicuna80"]} answers. |
| `votes/vicuna80_human.jsonl` | {s["votes_kept"]} real human pairwise votes on the Vicuna-80 answers. |
| `build_seeds.py` | the build script. |

Prompt line format:
`{{"external_id": "mt_bench:81" | "arena_hard:<uid>" | "vicuna80:<question_id>", "community": slug, "category": str, "text": str, "answers": {{model_slug: answer_text}}}}`.
`category` is MT-Bench `category`, Vicuna-80 `category`, or the Arena-Hard `cluster`.

Vote line format:
`{{"prompt": "vicuna80:<question_id>", "a": slug, "b": slug, "choice": "a" | "b" | "tie", "judge": "qlora-human" | "prd-human"}}`.
Order: ratings files sorted by name, lines in file order. `a` is the first model in the
ratings file name, `b` the second; source score 1 -> `a`, 2 -> `b`, 3 -> `tie`.
No annotator ids exist in the source, so `judge` is a pseudonym for the study:
`qlora-human` for the QLoRA paper's human study (guanaco / gpt4 / gpt35 / bard / vicuna-13b
files), `prd-human` for the files involving claude (added by the PRD authors).

## Origin and licences

| dataset | licence | used for |
|---|---|---|
| MT-Bench (LMSYS, FastChat `llm_judge`) | Apache License 2.0 | `prompts/mt_bench.jsonl`, models |
| Arena-Hard-Auto v0.1 (LMSYS / lmarena) | Apache License 2.0 | `prompts/arena_hard.jsonl`, models |
| Vicuna-80 human pairwise (PRD repo + QLoRA repo) | MIT License | `prompts/vicuna80.jsonl`, `votes/vicuna80_human.jsonl`, models |

Licence notes: redistribution of the Apache-2.0 data requires keeping the Apache License 2.0
notice and stating changes (the transformations below are those changes); the MIT data
requires keeping the MIT License copyright and permission notice of `bcdnlp/PRD` and
`artidoro/qlora`. Full licence texts are in the upstream repositories named below and
are not copied here. The answer texts are model outputs; the model providers' own terms
may apply to them.

The exact origin, copied from each source folder's `SOURCE.md`:

### MT-Bench (`mt_bench/SOURCE.md`)

{source_block("mt_bench")}

### Arena-Hard-Auto (`arena_hard_auto/SOURCE.md`)

{source_block("arena_hard_auto")}

### Vicuna-80 human pairwise (`vicuna80_human_pairwise/SOURCE.md`)

{source_block("vicuna80_human_pairwise")}

## Transformations

1. **MT-Bench: turn 1 only.** Only the first-turn question and each model's first-turn
   answer are used; turn-2 answers depend on each model's own first answer, so they
   cannot form a shared prompt. Model slug = answer file name (not `model_id` inside).
2. **Arena-Hard:** prompt = `prompt`, answer = `messages[1].content.answer`, category = `cluster`.
3. **Vicuna-80:** model names mapped `gpt4`->`gpt-4`, `gpt35`->`gpt-3.5-turbo`,
   `claude`->`claude-v1`, `bard`->`bard`, `vicuna-13b`->`vicuna-13b` (not MT-Bench's
   `vicuna-13b-v1.3`), QLoRA files `7b/13b/30b/65b` -> `guanaco-7b/13b/33b/65b`
   (the `30b` file is the model called guanaco-33b; it shares the slug with MT-Bench's
   guanaco-33b, as does guanaco-65b). {s["guanaco_answers_truncated_at_role_marker"]} Guanaco
   generations ran on past the answer into an invented next turn (`### Human: ...`); they
   were cut at the first `### Human:` / `### Assistant:` marker (a give-away of the model's
   prompt template).
4. All answers are whitespace-stripped.
5. **Blindness filter (per answer).** An answer is dropped (the prompt is kept) if it
   is empty ({s["answers_dropped_empty"]} dropped), is an error marker such as `$ERROR$`
   ({s["answers_dropped_error"]} dropped), or mentions (case-insensitive, whole word) any model slug or
   display name from `models.json` (`-`, `_` and space separators interchangeable) or any of these
   self-identifying vendor/model terms (a trailing digit still counts as a match, e.g. `GPT4`, `llama2`):
   {vendor_terms}.
   **{s["answers_dropped_blindness"]} answers were dropped by this filter** (per source:
   {", ".join(f"{k} {v}" for k, v in s["answers_dropped_blindness_by_source"].items())}).
   This is deliberately strict: common words such as "Google" (search, Maps, Pixel),
   "Claude" (Monet), "Falcon", "llama" (the animal) or French "nous" also trigger it; most
   drops here are such incidental mentions (e.g. `mt_bench:138` asks to rate the latest
   "Google Pixel", so only the few answers that avoid the name survive), while a few are
   real self-identification ("I am Claude, an AI assistant created by Anthropic", "As an
   AI developed by OpenAI"). First matching term per dropped answer:
   {terms}. Per model: {by_model}.
6. **Prompt filters.** A prompt whose own text mentions a model slug or display name from
   `models.json` is dropped ({s["prompts_dropped_model_name_in_text"]} prompts), because the
   battle page must not show model names. Prompts left with fewer than 2 answers are
   dropped ({s["prompts_dropped_too_few_answers"]} prompts). Dropped prompts: {drop_ids}.
   Prompts mentioning other vendor terms (e.g. "ChatGPT") are kept.
7. **Votes** are kept only if the prompt and both models' answers survived in
   `prompts/vicuna80.jsonl`: {s["votes_in"]} source votes, {s["votes_kept"]} kept,
   dropped: {", ".join(f"{k} {v}" for k, v in s["votes_dropped"].items()) or "none"}.
   Kept by judge: {", ".join(f"{k} {v}" for k, v in s["votes_by_judge"].items())};
   by choice: {", ".join(f"{k} {v}" for k, v in s["votes_by_choice"].items())}.
8. **Size.** {trimmed}

## Community rules

Applied in priority order; the first rule that matches wins. All matching is
case-insensitive on whole words.

1. `coding`: MT-Bench category `coding`; Vicuna-80 category `coding`; Arena-Hard prompts
   whose **cluster name** contains one of: {cluster_words}.
   Arena-Hard clusters are noisy (a Solidity audit sits in "Multisig Wallet Transactions",
   a Java GCD program in "Prime and Perfect Number Calculations"), so an Arena-Hard prompt is
   also `coding` when its **text** is clearly code: it names a language or code library
   ({code_langs}), uses a code phrase ({code_phrases}), or contains code syntax (a ``` fence,
   or a line starting with `def f(`, `class X:`, `import x`, `from x import`, `#include`,
   `public static`/`public class`, `function f(`, `const x =`, `let x =`, `SELECT ... FROM`;
   or `console.log(`, `System.out.print`). Generic words ("function", "algorithm",
   "script", "program", "scheme") are not used alone: they matched maths proofs, exam
   mark schemes and film scripts. Of the {ah_code_text} Arena-Hard `coding` prompts,
   {ah_code_text_only} are there only because of the text rule.
2. `medical`: prompt **text** contains one of: {med_words}
   (if it also contains legal terms, it is `medical` only when it has at least as many
   distinct medical terms as legal ones). Bare "health", "hospital", "drug" were tried
   and rejected: they matched an RPG health stat, a hospital riddle and a SAS format.
3. `legal`: prompt **text** contains one of: {leg_words}
   ("law" excludes "X's law", "law of ..." and "Law School"; "contract" excludes "smart contract").
4. `general`: everything else.

{chr(10).join(comm_rows)}

The medical and legal communities deliberately start small: the source benchmarks
contain few prompts in those domains.
"""
    (SEEDS_DIR / "README.md").write_text(readme, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    sys.exit(main())
