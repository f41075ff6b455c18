"""The data statement as Markdown: the file the CLI writes beside an export (FILE.statement.md),
fit for a Hugging Face dataset card."""


def render(statement: dict) -> str:
    community, counts, voters = statement["community"], statement["counts"], statement["voters"]
    span = statement["time_range"]
    guidelines = community["guidelines"]
    lines = [
        f"# {statement['title']}",
        "",
        f"Generated {statement['generated_at']}. Community **{community['name']}** "
        f"(`{community['slug']}`): {community['description']}",
        "",
        "## Licences",
        "",
        *[
            f"- **{entry['licence']}** ({entry['votes']} votes, {entry['rated_answers']} rated "
            f"answers): {entry['terms']}"
            for entry in statement["licences"]
        ],
        f"- Votes: {statement['votes_licence']}",
        "",
        "## Curation",
        "",
        statement["curation"]["summary"],
        *(["", "Guidelines for auditors:", "", guidelines] if guidelines else []),
        "",
        "## Time range and counts",
        "",
        f"- Votes from {span['first_vote'] or '-'} to {span['last_vote'] or '-'}; accepted shared "
        f"chats from {span['first_shared_chat'] or '-'} to {span['last_shared_chat'] or '-'}.",
        *[f"- {name.replace('_', ' ')}: {value}" for name, value in counts.items()],
        "",
        "Votes left out:",
        "",
        *[
            f"- {reason.replace('_', ' ')}: {entry['votes']} ({entry['why']})"
            for reason, entry in statement["excluded_votes"].items()
        ],
        *([] if statement["excluded_votes"] else ["- none"]),
        "",
        "## Who voted",
        "",
        f"- {voters['people']} people cast {voters['live_votes']} votes here; "
        f"{voters['imported_votes']} votes were imported "
        f"({_judges(voters['imported_judges'])}).",
        f"- Concentration: the most active 10 % of voters cast "
        f"{_share(voters['top_10_percent_share'])} of the votes cast here; Gini coefficient of "
        f"votes per voter {_number(voters['gini'])}.",
        f"- Pseudonyms: {statement['pseudonyms']}",
        "",
        "## Languages",
        "",
        statement["languages"],
        "",
        *[f"- `{code}`: {votes} votes" for code, votes in statement["language_votes"].items()],
        "",
        "## How consensus was reached",
        "",
        statement["consensus"],
        "",
        "## Known gaps and biases",
        "",
        *[f"- {gap}" for gap in statement["known_gaps"]],
        "",
        "## Reporting a problem",
        "",
        statement["report_a_problem"],
        "",
    ]
    return "\n".join(lines)


def _judges(judges: dict[str, int]) -> str:
    if not judges:
        return "none"
    return ", ".join(f"{judge}: {count}" for judge, count in judges.items())


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
