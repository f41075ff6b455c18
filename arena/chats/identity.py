"""Does an answer say which model wrote it? Such answers would break a blind battle.

Phrase patterns, not a name search: "I am Claude", "As ChatGPT, I ...", "I'm an AI developed by
OpenAI", "my creators at Google" count; mere mentions ("ChatGPT is popular", "Claude Monet's
water lilies", "As ChatGPT becomes common, ...") do not. Model and vendor names are matched
case-sensitively so the animal in "I am a llama farmer" or the star sign in "I'm a Gemini" stay
ordinary words.
"""

import re

MODEL_NAMES = (
    "ChatGPT|Chat GPT|GPT|Claude|Gemini|Bard|LaMDA|PaLM|Gemma|LLaMA|Llama|Code Llama|Mistral|"
    "Mixtral|Codestral|Qwen|QwQ|Tongyi Qianwen|DeepSeek|Deepseek|Grok|Copilot|Bing Chat|Bing|Phi|"
    "Command R|Aya|Falcon|Yi|Vicuna|Alpaca|Koala|Guanaco|Baize|ChatGLM|GLM|Baichuan|ERNIE|Kimi|"
    "Zephyr|OpenChat|WizardLM|Orca|Dolphin|Hermes|Nemotron|Granite|OLMo|Tulu|Jamba|InternLM|"
    "MiniMax|Hunyuan|Doubao|StarCoder|Starling|SmolLM|TinyLlama|Solar|StableLM|Dolly|"
    "Open Assistant|OpenAssistant|Pi"
)
VENDORS = (
    "OpenAI|Anthropic|Google DeepMind|Google AI|Google|DeepMind|Meta AI|Meta|Facebook AI|Facebook|"
    "Microsoft|Mistral AI|Mistral|Alibaba Cloud|Alibaba Group|Alibaba|the Qwen Team|Qwen Team|"
    "DeepSeek|xAI|Cohere|LMSYS|IBM|NVIDIA|Nvidia|AI21 Labs|AI21|Hugging Face|Stability AI|"
    "Databricks|Zhipu AI|Zhipu|Tsinghua University|Baidu|01\\.AI|Moonshot AI|Inflection AI|"
    "Inflection|the Allen Institute for AI|Allen Institute for AI|AI2|Nous Research|Tencent|"
    "ByteDance|Amazon|TII|the Technology Innovation Institute|Technology Innovation Institute|"
    "MiniMax|Upstage|Stanford|UC Berkeley|Berkeley"
)
# Words that may follow a model name and still belong to it ("Gemini Advanced", "Claude 3 Opus").
NAME_TAILS = (
    "Pro|Ultra|Flash|Nano|Opus|Sonnet|Haiku|Plus|Turbo|Instant|Chat|Coder|Large|Small|Medium|"
    "Mini|Max|Code|Vision|Instruct|Bot|AI|Assistant|Advanced|Next|Lite|Reasoner|Team"
)
NAME = rf"(?<![\w-])(?:{MODEL_NAMES})(?![a-z])(?!['’]s\b)(?!\s+(?!(?:{NAME_TAILS})\b)[A-Z][a-z]+)"
VENDOR = rf"(?<![\w-])(?:{VENDORS})(?![a-z])"
MAKERS = (
    "developed|created|trained|built|made|designed|programmed|engineered|fine-tuned|released|"
    "produced|pre-trained|pretrained"
)
MODEL_NOUNS = r"(?:model|AI|assistant|chatbot|chat bot|language model|LLM|product|system)\b"
FIRST_PERSON = r"\b(?:I|I['’]m|me|my)\b"
I_AM = r"\b(?:I\s+am|I['’]?m)"
# "I am sure the Pixel was made by Google" talks about something else: these words open a clause.
NOT_ABOUT_ME = (
    r"(?!(?:not|sure|afraid|glad|happy|aware|certain|told|thinking|using|reading|looking|talking|"
    r"asking|wondering|going|trying|saying|that|the|this|it|was|is)\b)"
)
SELF_NAMING = [
    # "I am Claude", "I'm ChatGPT", "my name is Gemini", "you're talking to Llama", "Ich bin Qwen"
    rf"(?:{I_AM}|\b(?:[Mm]y\s+name\s+is|[Mm]y\s+name['’]s|[Cc]all\s+me|I\s+go\s+by)"
    rf"|\bI(?:\s+am|['’]m)\s+(?:called|known\s+as|named)"
    rf"|\b[Yy]ou(?:['’]re|\s+are)\s+(?:talking|chatting|speaking)\s+(?:to|with)"
    rf"|\bIch\s+bin|\bJe\s+suis|\bSoy|\bSono|\bEu\s+sou|我是)\s*(?:actually\s+|just\s+)?{NAME}",
    # "I'm a Gemini model", "I am a fine-tuned version of Llama"
    rf"{I_AM}\s+(?:an?|the)\s+(?:(?!(?:of|fan|user|like|using)\b)[\w.-]+\s+){{0,2}}?"
    rf"(?:{NAME}(?:[\s-][\w.]+)?\s+{MODEL_NOUNS}"
    rf"|(?:version|variant|instance|iteration|member)\s+of\s+(?:the\s+)?{NAME})",
    # "As ChatGPT, I can't browse" at the start of a sentence
    rf"(?:^|[.!?:;\n]\s*)[*_\"']*As\s+{NAME}(?:[\s-][\w.]+){{0,2}}?\s*,(?=[^.!?\n]{{0,80}}{FIRST_PERSON})",
    # "I'm an AI developed by OpenAI", "I am Llama, created by Meta", "I was trained by Google"
    rf"\bI(?:\s+am|['’]m|\s+was|\s+have\s+been|['’]ve\s+been)\s+{NOT_ABOUT_ME}"
    rf"(?:[\w,.'’-]+\s+){{0,6}}?(?:{MAKERS})\s+(?:and\s+\w+\s+)?by\s+(?:the\s+)?"
    rf"(?:(?:team|folks|researchers|engineers|people)\s+at\s+)?{VENDOR}",
    # "As an AI developed by OpenAI, I ...", "as a large language model trained by Google, I"
    rf"\b[Aa]s\s+an?\s+(?:[\w-]+\s+){{0,4}}?{MODEL_NOUNS}\s+(?:\w+\s+)?(?:{MAKERS})\s+by\s+"
    rf"(?:the\s+)?{VENDOR}(?=[^.!?\n]{{0,80}}{FIRST_PERSON})",
    # "OpenAI, the company that created me", "Anthropic trained me"
    rf"{VENDOR}\b[^.!?\n]{{0,60}}?\b(?:created|trained|developed|built|designed|programmed)\s+me\b",
    # "my creators at Google", "my developers from Meta"
    rf"\b[Mm]y\s+(?:creators?|developers?|makers?|trainers?|designers?|engineers)\s+"
    rf"(?:at|from|are|is|,)?\s*(?:the\s+)?(?:team\s+at\s+)?{VENDOR}",
    # "I'm OpenAI's assistant", "I am an Anthropic AI"
    rf"{I_AM}\s+(?:an?\s+)?{VENDOR}(?:['’]s\b|\s+(?:[\w-]+\s+){{0,2}}?{MODEL_NOUNS})",
]
PATTERNS = [re.compile(pattern) for pattern in SELF_NAMING]


def self_identifies(text: str) -> bool:
    """True if the text says which model (or which vendor's model) is speaking."""
    return identifying_phrase(text) is not None


def identifying_phrase(text: str) -> str | None:
    """The first phrase that gives the model away, to show a contributor why an answer was left
    out; None if there is none."""
    found = [match for pattern in PATTERNS if (match := pattern.search(text))]
    if not found:
        return None
    first = min(found, key=lambda match: match.start())
    return first.group(0).lstrip(" .!?:;\n*_\"'")
