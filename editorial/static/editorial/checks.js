/* Content checks (五关) while typing: after a pause, the draft in the form is sent to the check
 * endpoint of the composer config and the findings are shown in the 内容检查 panel, each span of
 * the checked text marked with its gate and rule. A saved post is checked at its own endpoint
 * (POST /api/v1/posts/<id>/check with the draft fields); a post not saved yet at its account's
 * (POST /admin/editorial/compose/<account id>/check/, which also weighs the chosen cover). Either
 * way the draft is checked, not kept. */
(function () {
  "use strict";
  var DELAY_MS = 800;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function value(id) {
    var node = document.getElementById(id);
    return node ? node.value : undefined;
  }

  function draft(config) {
    var body;
    if (config.platform === "weibo") {
      body = value("id_body");
    } else {
      // The rich-text editor keeps its state as JSON; what it shows is the HTML to check.
      var editable = document.querySelector("[data-contentpath=body] [contenteditable=true]");
      body = editable ? editable.innerHTML : undefined;
    }
    var data = { title: value("id_title"), body: body };
    if (config.platform === "wechat") {
      data.digest = value("id_digest");
      data.author = value("id_author");
      var repost = document.getElementById("id_is_repost");
      data.is_repost = repost ? repost.checked : false;
      data.repost_source = value("id_repost_source");
      if (config.check_cover) data.cover_image = value("id_cover_image") || null;
    }
    Object.keys(data).forEach(function (key) {
      if (data[key] === undefined) delete data[key];
    });
    return data;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(box, result, labels) {
    box.textContent = "";
    var checks = result.checks || [];
    box.appendChild(element("p", "", checks.length ? labels.found.replace("%(count)s", checks.length) : labels.clean));
    if (!checks.length) return;
    var list = element("ul");
    checks.forEach(function (f) {
      var text = "[" + (f.gate_label || f.gate || "") + "] " + f.message;
      if (f.suggestion) text += "（" + labels.suggestion + "：" + f.suggestion + "）";
      var item = element("li", f.severity, text);
      item.dataset.rule = f.rule;
      list.appendChild(item);
    });
    box.appendChild(list);
    if (typeof result.text !== "string") return;
    // The checked text with each finding's span marked (no overlaps: the first one wins).
    var excerpt = element("div", "excerpt");
    var spans = checks
      .filter(function (f) { return f.end > f.start; })
      .sort(function (a, b) { return a.start - b.start || a.end - b.end; });
    var cursor = 0;
    spans.forEach(function (f) {
      if (f.start < cursor) return;
      excerpt.appendChild(document.createTextNode(result.text.slice(cursor, f.start)));
      var mark = element("mark", "govcms-" + f.severity, result.text.slice(f.start, f.end));
      mark.title = "[" + (f.gate_label || f.gate) + "] " + f.rule + "：" + f.message;
      excerpt.appendChild(mark);
      cursor = f.end;
    });
    excerpt.appendChild(document.createTextNode(result.text.slice(cursor)));
    box.appendChild(excerpt);
  }

  function start() {
    var node = document.getElementById("govcms-composer-config");
    var box = document.getElementById("govcms-live-checks");
    if (!node || !box) return;
    var config = JSON.parse(node.textContent);
    if (!config.check_url) return;
    var form = box.closest("form");
    var timer = null;
    var sent = 0;
    function run() {
      var number = ++sent;
      fetch(config.check_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(draft(config)),
      })
        .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
        .then(function (answer) {
          if (number !== sent) return; // a newer run is on its way
          if (answer[0]) render(box, answer[1], config.labels);
          else box.textContent = (answer[1].error && answer[1].error.message) || config.labels.failed;
        })
        .catch(function () { if (number === sent) box.textContent = config.labels.failed; });
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, DELAY_MS);
    }
    (form || document).addEventListener("input", schedule);
    (form || document).addEventListener("change", schedule);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
