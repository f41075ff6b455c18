"""The participation page in Debian's chromium: its charts draw from the page's data under the
site's CSP, with no script error, and the tables beside them hold the same numbers."""

import pytest

from tests.test_browser import base_url, browser, watch  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
CHARTS = """() => ["weeks-chart", "languages-chart", "topics-chart"].map(id => {
  const chart = Chart.getChart(document.getElementById(id));
  return chart ? chart.data.datasets.map(set => set.data.reduce((a, b) => a + b, 0)) : null;
})"""


def shown_prompts(page, section: str) -> int:
    """Prompts in the table's first 15 rows, the ones its chart draws."""
    cells = page.locator(f"#{section} tbody td:nth-child(2)").all_inner_texts()
    return sum(int(cell) for cell in cells[:15])


def test_the_charts_draw_the_numbers_of_the_tables(browser, base_url):  # noqa: F811
    page = browser.new_context().new_page()
    seen = watch(page)
    page.goto(base_url + "/communities/general/participation?weeks=4")
    weeks, languages, topics = page.evaluate(CHARTS)
    assert weeks == [0, 0, 0]  # the seeded site: nobody has voted, shared or audited yet
    assert languages == [0, shown_prompts(page, "languages")]  # votes, prompts
    assert topics == [0, shown_prompts(page, "topics")]
    assert shown_prompts(page, "topics") > 0
    assert seen["errors"] == [] and seen["hosts"] <= {"127.0.0.1", "localhost"}
