/* Images dropped or pasted into a WeChat body: each file is uploaded to the account's agency
 * (the composer config's `upload_url`: the same gate and collection as any upload, refused files
 * answered with the reason in Chinese) and inserted as an image block where it was dropped (or at
 * the cursor when pasted), the way the image button would insert a chosen image. While a file
 * uploads the body says so (上传中); a refusal is shown under the body and nothing is inserted.
 *
 * A Draftail plugin registered as Wagtail documents it: `draftail.registerPlugin(plugin,
 * "plugins")` with Draft.js plugin hooks (`handleDroppedFiles(selection, files, helpers)`,
 * `handlePastedFiles(files, helpers)`, helpers giving `getEditorState` / `setEditorState`). The
 * feature is registered in editorial/wagtail_hooks.py; without a composer config (any other rich
 * text) the plugin leaves drops and pastes to the editor. */
(function () {
  "use strict";
  if (!window.draftail || !window.DraftJS) return;
  var DraftJS = window.DraftJS;

  function config() {
    var node = document.getElementById("govcms-composer-config");
    if (!node) return null;
    var parsed = JSON.parse(node.textContent);
    return parsed.upload_url ? parsed : null;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key] === undefined ? "" : values[key]; });
  }

  function statusBox() {
    var box = document.getElementById("govcms-drop-status");
    if (box) return box;
    box = document.createElement("div");
    box.id = "govcms-drop-status";
    box.className = "govcms-drop-status";
    box.setAttribute("aria-live", "polite");
    var field = document.querySelector("[data-contentpath=body]");
    if (field) field.appendChild(box);
    else document.body.appendChild(box);
    return box;
  }

  function say(id, text, state) {
    var box = statusBox();
    var line = document.getElementById(id);
    if (!line) {
      line = document.createElement("p");
      line.id = id;
      box.appendChild(line);
    }
    line.className = "govcms-drop-" + state;
    line.dataset.state = state;
    line.textContent = text;
  }

  var uploads = 0;

  function upload(cfg, file, done) {
    var id = "govcms-drop-" + (++uploads);
    var name = file.name || "image";
    var labels = cfg.labels;
    say(id, fill(labels.uploading, { name: name }), "uploading");
    var data = new FormData();
    data.append("file", file, name);
    var request = new XMLHttpRequest();
    request.open("POST", cfg.upload_url);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.upload.onprogress = function (event) {
      if (event.lengthComputable) {
        say(id, fill(labels.uploading, { name: name }) + " " + Math.round((100 * event.loaded) / event.total) + "%", "uploading");
      }
    };
    request.onload = function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
      if (request.status === 201 && answer && answer.id) {
        say(id, fill(labels.uploaded, { name: name }), "done");
        done(answer);
      } else {
        var message = (answer && answer.error && answer.error.message) || labels.upload_error;
        say(id, fill(labels.upload_failed, { name: name, message: message }), "failed");
      }
    };
    request.onerror = function () {
      say(id, fill(labels.upload_failed, { name: name, message: labels.upload_error }), "failed");
    };
    request.send(data);
  }

  /* The editor state with an image block for `image` (the editor's IMAGE entity data) at
   * `selection`, or at the current selection if the content has changed under it. */
  function withImage(editorState, selection, image) {
    var content = editorState.getCurrentContent();
    if (!selection || !content.getBlockForKey(selection.getAnchorKey()) || !content.getBlockForKey(selection.getFocusKey())) {
      selection = editorState.getSelection();
    }
    content = content.createEntity("IMAGE", "IMMUTABLE", { id: image.id, src: image.src, alt: image.alt, format: image.format });
    var entityKey = content.getLastCreatedEntityKey();
    var state = DraftJS.EditorState.forceSelection(DraftJS.EditorState.set(editorState, { currentContent: content }), selection);
    return DraftJS.AtomicBlockUtils.insertAtomicBlock(state, entityKey, " ");
  }

  function handle(files, selection, helpers) {
    var cfg = config();
    if (!cfg || !files || !files.length) return "not-handled";
    Array.prototype.forEach.call(files, function (file) {
      upload(cfg, file, function (image) {
        helpers.setEditorState(withImage(helpers.getEditorState(), selection, image));
        // The live checks (checks.js) listen for changes of the form.
        var field = document.querySelector("[data-contentpath=body]");
        if (field) field.dispatchEvent(new Event("change", { bubbles: true }));
      });
    });
    return "handled";
  }

  window.draftail.registerPlugin(
    {
      type: "GOVCMS_IMAGE_DROP",
      handleDroppedFiles: function (selection, files, helpers) { return handle(files, selection, helpers); },
      handlePastedFiles: function (files, helpers) { return handle(files, null, helpers); },
    },
    "plugins",
  );
})();
