"""The steps people take in the admin, one small function each, written against what the admin
offers today and located by stable things (form field names, URLs, button names and values,
Wagtail's data attributes) rather than wording, so a new composer or review screen means changing
one function here."""

import logging

from wagtail.images.tests.utils import get_test_image_file

from tests.browser.conftest import Browser

logger = logging.getLogger(__name__)

EDIT_FORM = "form#page-edit-form"


def add_url(model: str, account) -> str:
    return f"/admin/pages/add/editorial/{model}/{account.pk}/"


def edit_url(post_id: int) -> str:
    return f"/admin/pages/{post_id}/edit/"


# --- writing -----------------------------------------------------------------------------------------


def write_weibo(person: Browser, account, *, title: str, body: str):
    person.visit(add_url("weibopostpage", account), "new weibo")
    form = person.page.locator(EDIT_FORM)
    form.locator("[name=title]").fill(title)
    form.locator("[name=body]").fill(body)
    person.shoot("weibo written")


def upload_cover(person: Browser, tmp_path, title: str):
    """Choose the cover through the image chooser, uploading a new image in it."""
    page = person.page
    file = tmp_path / "cover.png"
    file.write_bytes(get_test_image_file(size=(900, 500)).file.getvalue())
    page.locator(f"{EDIT_FORM} [data-field-wrapper]:has(input[name=cover_image]) [data-chooser-action-choose]").click()
    modal = page.locator(".modal-content")
    modal.locator("a[role=tab][href='#tab-upload']").click()
    upload = modal.locator("form[data-chooser-modal-creation-form]")
    upload.locator("input[type=file]").set_input_files(file)
    upload.locator("input[name$=upload-title]").fill(title)
    person.shoot("cover chooser with upload")
    upload.locator("[type=submit]").click()
    page.locator(".modal-content").wait_for(state="detached")
    chosen = page.locator(f"{EDIT_FORM} [name=cover_image]").input_value()
    assert chosen, "the uploaded image is the chosen cover"


def write_wechat(person: Browser, account, tmp_path, *, title: str, author: str, body: str):
    person.visit(add_url("wechatarticlepage", account), "new wechat article")
    form = person.page.locator(EDIT_FORM)
    form.locator("[name=title]").fill(title)
    form.locator("[name=author]").fill(author)
    upload_cover(person, tmp_path, f"{title}封面")
    editor = form.locator("[data-field-wrapper]:has(input[name=body]) [contenteditable=true]")
    editor.click()
    person.page.keyboard.type(body)
    # The editor copies its content into the form's `body` field a moment after typing stops.
    person.page.wait_for_function(
        "text => document.querySelector('form#page-edit-form input[name=body]').value.includes(text)", arg=body[:8]
    )
    person.shoot("wechat article written")


def preview(person: Browser, expected: str):
    """Open the editor's preview panel; it shows the text being written."""
    page = person.page
    page.locator("[data-side-panel-toggle=preview]").click()
    frame = page.frame_locator("[data-side-panel=preview] iframe:not(.w-preview__proxy)")
    frame.locator("body").filter(has_text=expected).wait_for()
    person.shoot("preview")
    page.locator("[data-side-panel-toggle=preview]").click()


def footer_action(person: Browser, selector: str):
    """Click one of the editor's footer actions, opening the footer's action menu if it hides there."""
    page = person.page
    button = page.locator(selector).first
    if not button.is_visible():
        page.locator(f"footer [data-controller~=w-dropdown]:has({selector}) [data-w-dropdown-target=toggle]").click()
    return button


def settle_autosave(person: Browser):
    """Let the editor's autosave finish with what was typed before submitting: it saves once the
    form has been still for its interval (`data-w-autosave-interval-value`), and a submit posted
    while the first autosave of a new post is on its way creates the post twice (seen on a loaded
    machine: two articles from one form)."""
    page = person.page
    interval = page.locator("form#page-edit-form").get_attribute("data-w-autosave-interval-value")
    if interval and int(interval) > 0:
        page.wait_for_timeout(int(interval) + 200)  # the debounce of the form's last change runs out
        page.wait_for_function(
            """() => document.querySelector('#w-autosave-indicator')?.dataset.wAutosaveStateValue !== 'saving'"""
        )


def submit(person: Browser, what: str):
    """Submit the post in the editor to its review chain."""
    settle_autosave(person)
    button = footer_action(person, "button[name=action-submit]")
    with person.page.expect_navigation():
        button.click()
    person.landed(what)


# --- reviewing ---------------------------------------------------------------------------------------


def open_from_queue(person: Browser, post_id: int):
    """The reviewer's queue (待我审核) lists the post; its link opens the post's editor."""
    person.visit("/admin/editorial/reviews/", "review queue")
    link = person.page.locator(f"a[href$='{edit_url(post_id)}']").first
    with person.page.expect_navigation():
        link.click()
    person.landed("post to review")


def decide(person: Browser, action: str, comment: str = "", what: str = ""):
    """Take a review decision in the post's editor (Wagtail's workflow action buttons); a decision
    with a comment asks for it in a dialog first."""
    page = person.page
    button = footer_action(person, f"button[data-workflow-action-name={action}]")
    if comment:
        button.click()
        dialog = page.locator(".modal-content").locator("visible=true").first
        dialog.locator("textarea").first.fill(comment)
        person.shoot(f"{action} with comment")
        with page.expect_navigation():
            dialog.locator("[type=submit]").first.click()
    else:
        with page.expect_navigation():
            button.click()
    person.landed(what or action)


def fix_weibo(person: Browser, post_id: int, body: str):
    """The author reopens the rejected post, changes the text and resubmits it."""
    person.visit(edit_url(post_id), "rejected post")
    person.page.locator(f"{EDIT_FORM} [name=body]").fill(body)
    submit(person, "resubmitted")


def see_rejection(person: Browser, post_id: int, comment: str):
    """The author finds the reviewer's comment: on the post's editor where it shows it, else (the
    admin today) in the post's history (履历)."""
    person.visit(edit_url(post_id), "rejected post")
    if person.page.get_by_text(comment).count() == 0:
        person.visit(f"/admin/editorial/posts/{post_id}/history/", "post history")
    assert person.page.get_by_text(comment).count(), f"{person.name} does not see the reviewer's comment"


# --- publishing --------------------------------------------------------------------------------------


def see_on_timeline(person: Browser, sandbox_url: str, platform: str, account_id: str, text: str):
    """The sandbox's timeline page of the account shows what the worker published."""
    person.visit_absolute(f"{sandbox_url}/_sandbox/accounts/{platform}/{account_id}", f"{platform} timeline")
    assert person.page.get_by_text(text).count(), f"{text!r} is not on the {platform} timeline"


def see_platform_link(person: Browser, post_id: int, publication) -> str:
    """The post's page in the admin links to where it was published: its editor's status panel
    where it shows the link, else (the admin today) the publication's own screen. Returns the
    screen that showed it."""
    link = f"a[href='{publication.url}']"
    person.visit(edit_url(post_id), "published post")
    if person.page.locator(link).count() == 0:
        person.visit(f"/admin/publishing/publications/{publication.pk}/", "publication")
    assert publication.url and person.page.locator(link).count(), f"no link to {publication.url!r} on {person.page.url}"
    return person.page.url


# --- oversight and administration ---------------------------------------------------------------------


def read_only(person: Browser, post_id: int, text: str):
    """The post's read-only view: its text is there, and nothing on the page edits it."""
    person.visit(f"/admin/editorial/read/{post_id}/", "post read-only")
    page = person.page
    assert page.get_by_text(text).count(), f"{text!r} not shown read-only"
    assert page.locator(f"{EDIT_FORM}, main textarea, main [contenteditable=true]").count() == 0


def not_found(person: Browser, path: str):
    """Outside one's jurisdiction the admin answers its Chinese 404 page."""
    response = person.visit(path, "not found")
    assert response.status == 404, (path, response.status)
    assert person.page.get_by_text("404").count() and person.page.locator("html[lang^=zh]").count()


def grant_role(person: Browser, *, username: str, role: str, scope: str, valid_from: str, valid_to: str):
    """岗位分配 → 新增: a role for a person over a scope, in force for a window (Beijing time)."""
    person.visit("/admin/govcms/assignments/", "role assignments")
    person.visit("/admin/govcms/assignments/add/", "new role assignment")
    _main_form(person, "username").locator("[name=username]").fill(username)
    assign_role_here(person, role=role, scope=scope, valid_from=valid_from, valid_to=valid_to)


# --- campaigns and live checks (issue 12: 联动, the checks while typing) ------------------------------


def create_campaign(person: Browser, *, name: str, agency) -> int:
    """联动专题 → 新建专题: a campaign of `agency`; returns its id (from the detail screen it opens)."""
    person.visit("/admin/editorial/campaigns/", "campaigns")
    person.visit("/admin/editorial/campaigns/add/", "new campaign")
    form = person.page.locator("main form[method=post]").filter(has=person.page.locator("[name=name]"))
    form.locator("[name=name]").fill(name)
    form.locator("[name=agency]").select_option(str(agency.pk))
    person.shoot("campaign filled")
    with person.page.expect_navigation():
        form.locator("[type=submit]").first.click()
    person.landed("campaign created")
    return int(person.page.url.rstrip("/").rsplit("/", 1)[-1])


def join_campaign(person: Browser, campaign_id: int):
    """The composer's 联动专题 field: the post joins the campaign."""
    person.page.locator(f"{EDIT_FORM} select[name=campaign]").select_option(str(campaign_id))


def see_campaign(person: Browser, campaign_id: int, titles: list[str]):
    """The campaign's timeline lists each of its posts, whatever the platform."""
    person.visit(f"/admin/editorial/campaigns/{campaign_id}/", "campaign timeline")
    for title in titles:
        assert person.page.locator("main").get_by_text(title).count(), f"{title!r} not on the campaign's timeline"


def save_draft(person: Browser, what: str = "draft saved"):
    """保存草稿 in the editor (a new post then opens in its edit view, where the live checks run)."""
    settle_autosave(person)
    button = footer_action(person, "footer button.action-save")
    with person.page.expect_navigation():
        button.click()
    person.landed(what)


LIVE_CHECKS = "#govcms-live-checks"


def live_check_blocks(person: Browser, body: str, term: str):
    """Typing `body` into a saved Weibo post's text: the 内容检查 panel flags `term` as blocking
    while typing (the live check, nothing saved)."""
    page = person.page
    page.locator(f"{EDIT_FORM} [name=body]").fill(body)
    blocking = page.locator(f"{LIVE_CHECKS} li.block")
    blocking.first.wait_for()
    assert page.locator(f"{LIVE_CHECKS} mark.govcms-block").filter(has_text=term).count(), "the term is marked"
    page.locator(LIVE_CHECKS).scroll_into_view_if_needed()
    person.shoot("live check blocks")


def live_check_clears(person: Browser, body: str):
    """The author rewrites the text; the panel's blocking finding goes away while typing."""
    page = person.page
    page.locator(f"{EDIT_FORM} [name=body]").fill(body)
    # The panel still shows the blocking finding until the next check run answers.
    page.wait_for_function(
        "box => { const node = document.querySelector(box); return node && !node.querySelector('li.block'); }",
        arg=LIVE_CHECKS,
    )
    page.locator(LIVE_CHECKS).scroll_into_view_if_needed()
    person.shoot("live check clear")


# --- people and reports (issue 12: an agency admin's users, an auditor's export) ---------------------


def _main_form(person: Browser, field: str):
    page = person.page
    return page.locator("main form[method=post]").filter(has=page.locator(f"[name={field}]")).first


def create_user(person: Browser, *, username: str, last_name: str, first_name: str, email: str, password: str):
    """用户 → 添加用户: a new login; the admin goes on to its first role assignment (this returns
    there, the username filled in)."""
    person.visit("/admin/users/", "users")
    person.visit("/admin/users/new/", "new user")
    form = _main_form(person, "username")
    for name, value in (
        ("username", username),
        ("email", email),
        ("first_name", first_name),
        ("last_name", last_name),
        ("password1", password),
        ("password2", password),
    ):
        form.locator(f"[name={name}]").fill(value)
    person.shoot("user filled")
    with person.page.expect_navigation():
        form.locator("[type=submit]").first.click()
    person.landed("user created")
    assert "/admin/govcms/assignments/add/" in person.page.url, person.page.url
    assert _main_form(person, "username").locator("[name=username]").input_value() == username


def assign_role_here(person: Browser, *, role: str, scope: str, valid_from: str, valid_to: str):
    """Fill and send the role assignment form open on the page (the username already in it)."""
    form = _main_form(person, "username")
    form.locator("[name=role]").select_option(role)
    form.locator("[name=scope]").select_option(scope)
    form.locator("[name=valid_from]").fill(valid_from)
    form.locator("[name=valid_to]").fill(valid_to)
    person.page.keyboard.press("Escape")  # the date picker
    person.shoot("role assignment filled")
    with person.page.expect_navigation():
        form.locator("[type=submit]").first.click()
    person.landed("role granted")


# --- media in the composer (tests/browser/test_media.py) ---------------------------------------------


def body_editor(person: Browser, field: str = "body"):
    """The rich-text editor (Draftail's editable area) of the form's field `field`."""
    return person.page.locator(f"{EDIT_FORM} [data-field-wrapper]:has(input[name={field}]) [contenteditable=true]")


def type_in_body(person: Browser, text: str, *, replace: bool = False):
    """Type `text` into the WeChat body (after selecting everything in it when `replace`)."""
    editor = body_editor(person)
    editor.click()
    if replace:
        person.page.keyboard.press("ControlOrMeta+A")
    person.page.keyboard.type(text)


def live_finding(person: Browser, rule: str):
    """The live checks' (内容检查) finding of `rule`, as the panel lists it."""
    return person.page.locator(f"#govcms-live-checks li[data-rule={rule}]")


WATCH_DROP_STATES = """() => {
  window.govcmsDropStates = [];
  if (window.govcmsDropWatch) return;  // one observer per page, feeding the list of this drop
  window.govcmsDropWatch = new MutationObserver((records) => records.forEach((record) => {
    const state = record.target.dataset && record.target.dataset.state;
    if (record.type === 'attributes' && state) window.govcmsDropStates.push(state);
  }));
  window.govcmsDropWatch.observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-state']});
}"""

DROP_FILE = """(node, file) => {
  const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], file.name, {type: file.mime}));
  // Where a person lets go: the end of the body's first line of text.
  const texts = node.querySelectorAll('span[data-text=true]');
  const target = texts.length ? texts[0] : node;
  const box = target.getBoundingClientRect();
  const at = {clientX: box.right - 1, clientY: box.top + box.height / 2};
  for (const type of ['dragenter', 'dragover', 'drop']) {
    target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer, ...at}));
  }
}"""


def drop_file(person: Browser, *, name: str, content: bytes, mime: str) -> list[str]:
    """Drop a file onto the body as if dragged from the desktop (a drop event whose DataTransfer
    holds the File), and wait until the body says how it went. Returns the states the status
    line went through (上传中 … then done or failed)."""
    import base64  # here, not at the top: this block is appended to a shared file

    page = person.page
    page.evaluate(WATCH_DROP_STATES)
    body_editor(person).evaluate(DROP_FILE, {"name": name, "mime": mime, "data": base64.b64encode(content).decode()})
    page.wait_for_function("() => ['done', 'failed'].includes(window.govcmsDropStates.at(-1))")
    return page.evaluate("() => window.govcmsDropStates")


def deactivate_user(person: Browser, user_id: int):
    """用户 → the person's edit screen: untick 启用 (is_active) and save."""
    person.visit(f"/admin/users/edit/{user_id}/", "edit user")
    form = _main_form(person, "is_active")
    form.locator("[name=is_active]").uncheck()
    person.shoot("user deactivating")
    with person.page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    person.landed("user deactivated")


def compliance_screen(person: Browser) -> list[dict]:
    """监管工作台 (the menu) → 合规报表: the table's rows as {column header: cell text}."""
    person.visit("/admin/", "dashboard")
    with person.page.expect_navigation():
        person.page.locator("a[href$='/admin/oversight/']").first.click()
    person.landed("compliance report")
    table = person.page.locator("main table.listing").first
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    return [
        dict(zip(headers, [c.strip() for c in row.locator("td").all_inner_texts()], strict=True))
        for row in table.locator("tbody tr").all()
    ]


def export_xlsx(person: Browser, tmp_path):
    """The report's 导出 button opens the export screen filled in with its filters; XLSX is
    chosen and sent; once done (the page reloads itself), the download link gives the file.
    Returns the downloaded file's path."""
    page = person.page
    with page.expect_navigation():
        page.locator("[data-govcms=report-export]").click()
    person.landed("export form")
    form = _main_form(person, "format")
    form.locator("[name=format]").select_option("xlsx")
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    person.landed("export requested")
    link = page.locator("main a[href*='/download/']").first
    link.wait_for(timeout=60_000)  # a job still running: the screen polls and reloads when done
    person.shoot("export done")
    with page.expect_download() as download:
        link.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    return path


PASTE_FILE = """(node, file) => {
  const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], file.name, {type: file.mime}));
  node.dispatchEvent(new ClipboardEvent('paste', {bubbles: true, cancelable: true, clipboardData: transfer}));
}"""


def paste_file(person: Browser, *, name: str, content: bytes, mime: str) -> list[str]:
    """Paste a file (a screenshot copied to the clipboard) into the body where the cursor is, and
    wait until the body says how it went; returns the states as `drop_file` does."""
    import base64  # here, not at the top: this block is appended to a shared file

    page = person.page
    page.evaluate(WATCH_DROP_STATES)
    editor = body_editor(person)
    editor.focus()
    editor.evaluate(PASTE_FILE, {"name": name, "mime": mime, "data": base64.b64encode(content).decode()})
    page.wait_for_function("() => ['done', 'failed'].includes(window.govcmsDropStates.at(-1))")
    return page.evaluate("() => window.govcmsDropStates")
