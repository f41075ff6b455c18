"""Models and backends as data: read and validate seeds/backends.json.

A model in the arena is a configuration: a backend, the backend's model name, an optional system
prompt and sampling parameters. API keys are never in the file, only the NAME of the environment
variable that holds one.
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

EMBEDDED = "embedded"
OPENAI_COMPATIBLE = "openai_compatible"
KINDS = (EMBEDDED, OPENAI_COMPATIBLE)

DEFAULT_MAX_TOKENS = 512
DEFAULT_MAX_SECONDS = 60.0

_COMMON_PARAMS = {
    "temperature": (int, float),
    "top_p": (int, float),
    "max_tokens": int,
    "stop": list,
    "presence_penalty": (int, float),
    "frequency_penalty": (int, float),
}
# Sampling parameters each kind accepts; anything else is a typo worth reporting.
PARAMS_BY_KIND = {
    EMBEDDED: {
        **_COMMON_PARAMS,
        "top_k": int,
        "min_p": (int, float),
        "repeat_penalty": (int, float),
    },
    OPENAI_COMPATIBLE: dict(_COMMON_PARAMS),
}

_BACKEND_KEYS = {
    EMBEDDED: {"name", "kind", "max_seconds", "n_ctx", "n_threads", "weights"},
    OPENAI_COMPATIBLE: {
        "name",
        "kind",
        "max_seconds",
        "base_url",
        "api_key_env",
        "timeout_seconds",
        "max_retries",
    },
}
_MODEL_KEYS = {
    "slug",
    "name",
    "organization",
    "backend",
    "backend_model",
    "system_prompt",
    "params",
    "communities",
}


class CatalogueError(ValueError):
    """The catalogue file is malformed; the message says where."""


@dataclass(frozen=True)
class Weights:
    """Where an embedded model's GGUF file lives: a file of an installed distribution, or a path."""

    distribution: str | None = None
    file: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class BackendConfig:
    name: str
    kind: str
    max_seconds: float = DEFAULT_MAX_SECONDS
    # openai_compatible
    base_url: str | None = None
    api_key_env: str | None = None
    timeout_seconds: float = 60.0
    max_retries: int = 2
    # embedded
    n_ctx: int = 2048
    n_threads: int = 2
    weights: dict[str, Weights] = field(default_factory=dict)

    def api_key(self) -> str | None:
        """Read at call time, so a key set after start-up is picked up and never cached here."""
        return os.environ.get(self.api_key_env) if self.api_key_env else None


@dataclass(frozen=True)
class ModelConfig:
    slug: str
    name: str
    organization: str
    backend: str
    backend_model: str
    backend_config: BackendConfig
    system_prompt: str | None = None
    params: dict = field(default_factory=dict)
    communities: tuple[str, ...] = ()

    @property
    def max_tokens(self) -> int:
        return self.params.get("max_tokens", DEFAULT_MAX_TOKENS)


@dataclass
class Catalogue:
    backends: dict[str, BackendConfig]
    models: dict[str, ModelConfig]

    def model(self, slug: str) -> ModelConfig:
        try:
            return self.models[slug]
        except KeyError:
            raise KeyError(f"No model called '{slug}' in the catalogue.") from None


def load_catalogue(path: str | Path) -> Catalogue:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CatalogueError(f"{path}: cannot read the catalogue: {error}") from error
    return parse_catalogue(data, source=str(path))


def parse_catalogue(data: object, source: str = "catalogue") -> Catalogue:
    _require(isinstance(data, dict), source, "must be an object with 'backends' and 'models'")
    _check_keys(data, {"backends", "models"}, {"backends", "models"}, source)
    backends: dict[str, BackendConfig] = {}
    for index, raw in enumerate(_list_of_objects(data["backends"], f"{source}: backends")):
        backend = _parse_backend(raw, f"{source}: backends[{index}]")
        _require(backend.name not in backends, source, f"backend '{backend.name}' appears twice")
        backends[backend.name] = backend
    models: dict[str, ModelConfig] = {}
    for index, raw in enumerate(_list_of_objects(data["models"], f"{source}: models")):
        model = _parse_model(raw, backends, f"{source}: models[{index}]")
        _require(model.slug not in models, source, f"model '{model.slug}' appears twice")
        models[model.slug] = model
    return Catalogue(backends=backends, models=models)


def _parse_backend(raw: dict, where: str) -> BackendConfig:
    kind = raw.get("kind")
    _require(kind in KINDS, where, f"'kind' must be one of {', '.join(KINDS)}, not {kind!r}")
    _check_keys(raw, _BACKEND_KEYS[kind], {"name", "kind"}, where)
    where = f"{where} ('{raw['name']}')"
    _check_type(raw, "name", str, where)
    _check_type(raw, "max_seconds", (int, float), where, positive=True)
    if kind == OPENAI_COMPATIBLE:
        _require("base_url" in raw, where, "'base_url' is required")
        _check_type(raw, "base_url", str, where)
        _require(raw["base_url"].startswith(("http://", "https://")), where, "bad 'base_url'")
        _check_type(raw, "api_key_env", str, where)
        _check_type(raw, "timeout_seconds", (int, float), where, positive=True)
        _check_type(raw, "max_retries", int, where)
        return BackendConfig(**raw)
    _check_type(raw, "n_ctx", int, where, positive=True)
    _check_type(raw, "n_threads", int, where, positive=True)
    weights = {
        name: _parse_weights(spec, f"{where}: weights['{name}']")
        for name, spec in raw.get("weights", {}).items()
    }
    return BackendConfig(**{**raw, "weights": weights})


def _parse_weights(spec: object, where: str) -> Weights:
    _require(isinstance(spec, dict), where, "must be an object")
    _check_keys(spec, {"distribution", "file", "path"}, set(), where)
    by_distribution = "distribution" in spec and "file" in spec
    _require(
        by_distribution != ("path" in spec),
        where,
        "give either 'distribution' and 'file' or 'path'",
    )
    return Weights(**spec)


def _parse_model(raw: dict, backends: dict[str, BackendConfig], where: str) -> ModelConfig:
    required = {"slug", "name", "organization", "backend", "backend_model"}
    _check_keys(raw, _MODEL_KEYS, required, where)
    where = f"{where} ('{raw['slug']}')"
    for key in ("slug", "name", "organization", "backend", "backend_model", "system_prompt"):
        _check_type(raw, key, str, where)
    backend = backends.get(raw["backend"])
    _require(backend is not None, where, f"unknown backend '{raw['backend']}'")
    if backend.kind == EMBEDDED:
        _require(
            raw["backend_model"] in backend.weights,
            where,
            f"backend '{backend.name}' has no weights called '{raw['backend_model']}'",
        )
    params = raw.get("params", {})
    _check_params(params, PARAMS_BY_KIND[backend.kind], where)
    communities = raw.get("communities", [])
    _require(
        isinstance(communities, list) and all(isinstance(c, str) for c in communities),
        where,
        "'communities' must be a list of community slugs",
    )
    return ModelConfig(
        **{**raw, "params": dict(params), "communities": tuple(communities)},
        backend_config=backend,
    )


def _check_params(params: object, allowed: dict, where: str) -> None:
    _require(isinstance(params, dict), where, "'params' must be an object")
    for key, value in params.items():
        _require(key in allowed, where, f"unknown parameter '{key}' (known: {', '.join(allowed)})")
        # bool is an int in Python; a true/false sampling parameter is always a mistake.
        ok = isinstance(value, allowed[key]) and not isinstance(value, bool)
        _require(ok, where, f"parameter '{key}' has the wrong type: {value!r}")
    if "max_tokens" in params:
        _require(params["max_tokens"] > 0, where, "'max_tokens' must be positive")
    if "stop" in params:
        _require(all(isinstance(s, str) for s in params["stop"]), where, "'stop' must be strings")


def _list_of_objects(value: object, where: str) -> list[dict]:
    ok = isinstance(value, list) and all(isinstance(item, dict) for item in value)
    _require(ok, where, "must be a list of objects")
    return value


def _check_keys(raw: dict, allowed: set[str], required: set[str], where: str) -> None:
    missing = sorted(required - raw.keys())
    _require(not missing, where, f"missing {', '.join(repr(key) for key in missing)}")
    unknown = sorted(raw.keys() - allowed)
    _require(not unknown, where, f"unknown {', '.join(repr(key) for key in unknown)}")


def _check_type(raw: dict, key: str, kind, where: str, positive: bool = False) -> None:
    if key not in raw:
        return
    value = raw[key]
    ok = isinstance(value, kind) and not isinstance(value, bool)
    _require(ok, where, f"'{key}' has the wrong type: {value!r}")
    if positive:
        _require(value > 0, where, f"'{key}' must be positive")


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise CatalogueError(f"{where}: {message}")
