/* Live weighted character counter for the post editor.
 *
 * The rules (limits, URL pattern, short-link weight) are not written here: the server renders
 * them from `editorial.content.counter_rules()` into the page, and this script applies the same
 * algorithm as `editorial.content.weibo_weighted_length` (tests run `weiboHalves` under node
 * against the Python function on a table of cases). Lengths are UTF-16 code units, which is
 * what a JavaScript string's `length` already counts.
 */
(function (root) {
  "use strict";

  function asciiCount(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) < 0x80) n++;
    }
    return n;
  }

  // Weight of URL-free text in half characters: ASCII 1, any other UTF-16 code unit 2.
  function plainHalves(text) {
    var ascii = asciiCount(text);
    return ascii + 2 * (text.length - ascii);
  }

  // Weibo weighted length in half characters; each URL counts max(its length, the short link's).
  function weiboHalves(text, rules) {
    var pattern = new RegExp(rules.url_pattern, "gi");
    var halves = 0;
    var position = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      halves += plainHalves(text.slice(position, match.index)) + Math.max(match[0].length, rules.url_halves);
      position = match.index + match[0].length;
    }
    return halves + plainHalves(text.slice(position));
  }

  // The status sent to Weibo: the trimmed body, a space, and the post's link (see weibo_status_text).
  function weiboStatus(body, link) {
    body = body.trim();
    return body ? body + " " + link : link;
  }

  var api = { plainHalves: plainHalves, weiboHalves: weiboHalves, weiboStatus: weiboStatus };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = api;
    return;
  }
  root.GovcmsCounter = api;

  function format(halves) {
    return halves % 2 ? (halves / 2).toFixed(1) : String(halves / 2);
  }

  function attach(input, limit, measure, template) {
    if (!input || input.dataset.govcmsCounter) return;
    input.dataset.govcmsCounter = "1";
    var out = document.createElement("p");
    out.className = "govcms-counter";
    out.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", out);
    function update() {
      var halves = measure(input.value);
      var over = halves > limit * 2;
      out.textContent = template.replace("%(count)s", format(halves)).replace("%(limit)s", String(limit));
      out.classList.toggle("govcms-over", over);
    }
    input.addEventListener("input", update);
    update();
  }

  function start() {
    var node = document.getElementById("govcms-composer-config");
    if (!node) return;
    var config = JSON.parse(node.textContent);
    var rules = config.rules;
    if (config.platform === "weibo") {
      attach(document.getElementById("id_body"), rules.weibo.max, function (value) {
        return weiboHalves(weiboStatus(value, config.link), rules.weibo);
      }, config.labels.weibo);
    } else {
      ["title", "author", "digest"].forEach(function (name) {
        attach(document.getElementById("id_" + name), rules.wechat[name], function (value) {
          return 2 * value.length;
        }, config.labels.chars);
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(this);
