"""In Debian's chromium: text selected by hand in a message written with Windows line endings is
the text redacted, because the offsets the browser counts and the stored text agree."""

import re

import pytest

from tests.chat_exports import answer, export, openwebui_chat
from tests.test_browser import SELECT_TEXT, base_url, browser, sign_up, watch  # noqa: F401

pytestmark = pytest.mark.browser


def test_hand_redaction_in_a_windows_line_ending_message(browser, base_url, tmp_path):  # noqa: F811
    question = "First line\r\nSecond line\r\nThird line\rThe secret word is zebra, thanks."
    chat = openwebui_chat("CRLF", [(question, [answer("m-a", "Noted."), answer("m-b", "Ok.")])])
    upload = tmp_path / "export.json"
    upload.write_bytes(export(chat))
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    sign_up(page, base_url)
    page.goto(base_url + "/chats/new")
    page.set_input_files("#file", str(upload))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**/chats/drafts/*")
    assert page.evaluate(SELECT_TEXT, ["zebra"])
    page.get_by_role("button", name="Redact selection").click()
    page.select_option("#community", "general")
    page.get_by_role("button", name=re.compile("Publish")).click()
    page.wait_for_url("**/chats")
    shared = page.request.get(base_url + "/api/v1/chats").json()
    stored = shared["chats"][0]["messages"][0]["content"]
    assert stored == "First line\nSecond line\nThird line\nThe secret word is [REDACTED], thanks."
    assert not seen["errors"], seen["errors"]
    context.close()
