/* The image chooser opened from a post's editor (cover, Weibo image, the body's image button):
 * its upload tab offers every collection the user may add to (a city's editor: the city's and
 * each county's), first the highest. Preselect the collection of the post's account's agency
 * (the composer config's `collection`), where the post's images belong; a choice the person made
 * (the select as posted back after a refused upload) is left alone. */
(function () {
  "use strict";

  function start() {
    var node = document.getElementById("govcms-composer-config");
    if (!node) return;
    var collection = JSON.parse(node.textContent).collection;
    if (!collection) return;
    var value = String(collection);
    function preselect() {
      document.querySelectorAll("select[name$=upload-collection]").forEach(function (select) {
        if (select.dataset.govcmsPreselected) return;
        select.dataset.govcmsPreselected = "1";
        var chosen = select.querySelector("option[selected]");
        var option = select.querySelector('option[value="' + value + '"]');
        if (!chosen && option) select.value = value;
      });
    }
    new MutationObserver(preselect).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
