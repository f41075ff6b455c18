"""/communities/<slug>/datasets: a community's curated data sets, their counts, download links
and the data statement."""

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from arena.core.communities import all_communities
from arena.datasets import statement
from arena.extensions import db
from arena.models import utcnow
from arena.web.api.datasets import dataset_formats, open_release

blueprint = Blueprint("datasets", __name__)


@blueprint.get("/communities/<slug>/datasets")
def community_datasets(slug: str):
    release = open_release(slug)
    facts = statement.build(db.session, release, utcnow())
    return render_template(
        "datasets.html",
        community=release.community,
        communities=all_communities(db.session),
        formats=dataset_formats(release, facts["counts"]),
        statement=facts,
        code=code_spans,
    )


def code_spans(text: str) -> Markup:
    """The statement's `names` as <code>, the rest escaped (it is Markdown for the CLI's file)."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if n % 2 else p for n, p in enumerate(parts)))
