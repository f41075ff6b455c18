"""seeds/backends.json and the catalogue validation: clear errors, no secrets in the data."""

import copy
import json
from pathlib import Path

import pytest

from arena.custom.backends import (
    EVERY_COMMUNITY,
    CatalogueError,
    available_models,
    load_catalogue,
    parse_catalogue,
    serves,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds" / "backends.json"
COMMUNITIES = Path(__file__).resolve().parent.parent / "seeds" / "communities.json"
VALID = {
    "backends": [
        {"name": "embedded", "kind": "embedded", "weights": {"tiny": {"path": "/no/such.gguf"}}},
        {
            "name": "openai",
            "kind": "openai_compatible",
            "base_url": "https://api.openai.com/v1",
            "api_key_env": "OPENAI_API_KEY",
        },
    ],
    "models": [
        {
            "slug": "tiny",
            "name": "Tiny",
            "organization": "Tests",
            "backend": "embedded",
            "backend_model": "tiny",
            "params": {"temperature": 0.5, "max_tokens": 16},
        },
        {
            "slug": "gpt",
            "name": "GPT",
            "organization": "OpenAI",
            "backend": "openai",
            "backend_model": "gpt-4o-mini",
        },
    ],
}


def broken(change) -> dict:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def test_seed_catalogue_loads_and_references_known_communities():
    catalogue = load_catalogue(SEEDS)
    communities = {row["slug"] for row in json.loads(COMMUNITIES.read_text())}
    assert catalogue.models
    for model in catalogue.models.values():
        assert set(model.communities) <= communities | {EVERY_COMMUNITY}
        assert model.backend_config is catalogue.backends[model.backend]


def test_a_model_for_every_community_answers_in_ones_created_later():
    catalogue = load_catalogue(SEEDS)
    assert available_models(catalogue, "gardening")  # a community no seed names
    assert all(serves(model, "coding") for model in available_models(catalogue, "coding"))


def test_seed_catalogue_names_key_variables_never_keys():
    text = SEEDS.read_text()
    assert "sk-" not in text
    for backend in json.loads(text)["backends"]:
        assert "api_key" not in backend
        assert backend.get("api_key_env", "X").isupper()


def test_valid_catalogue_parses():
    catalogue = parse_catalogue(VALID)
    tiny = catalogue.model("tiny")
    assert tiny.max_tokens == 16
    assert tiny.backend_config.kind == "embedded"
    assert catalogue.model("gpt").max_tokens == 512
    assert catalogue.backends["openai"].timeout_seconds == 60


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["models"][0].update(backend="nope"), "unknown backend 'nope'"),
        (lambda d: d["models"][0]["params"].update(temprature=1), "unknown parameter"),
        (lambda d: d["models"][0]["params"].update(max_tokens="10"), "wrong type"),
        (lambda d: d["models"][0]["params"].update(max_tokens=0), "must be positive"),
        (lambda d: d["models"][1].update(slug="tiny"), "model 'tiny' appears twice"),
        (lambda d: d["models"][0].pop("organization"), "missing 'organization'"),
        (lambda d: d["models"][0].update(backend_model="huge"), "no weights called 'huge'"),
        (lambda d: d["models"][0].update(communities="general"), "list of community slugs"),
        (lambda d: d["backends"][0].update(kind="magic"), "'kind' must be one of"),
        (lambda d: d["backends"][1].update(api_key="sk-123"), "unknown 'api_key'"),
        (lambda d: d["backends"][1].pop("base_url"), "'base_url' is required"),
        (lambda d: d["backends"][1].update(timeout_seconds=-1), "must be positive"),
        (lambda d: d["backends"].append(d["backends"][0]), "backend 'embedded' appears twice"),
        (lambda d: d.update(extra=1), "unknown 'extra'"),
    ],
)
def test_mistakes_are_reported_clearly(change, message):
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(broken(change))


def test_sampling_parameters_depend_on_the_backend_kind():
    with pytest.raises(CatalogueError, match="unknown parameter 'top_k'"):
        parse_catalogue(broken(lambda d: d["models"][1].update(params={"top_k": 5})))


def test_unreadable_file_is_a_catalogue_error(tmp_path):
    path = tmp_path / "backends.json"
    path.write_text("{not json")
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(path)
