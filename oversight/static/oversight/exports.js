// The export screen: while a job is queued or running, ask the API for its progress every two
// seconds, move its <progress> bar, and reload the page once it is finished (the download link).
(function () {
  "use strict";
  var rows = document.querySelectorAll("[data-export-pending]");
  rows.forEach(function (row) {
    var bar = row.querySelector("progress");
    var status = row.querySelector("[data-export-status]");
    function poll() {
      fetch(row.dataset.exportUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (!job) { return; }
          bar.value = job.progress;
          status.textContent = job.progress + "%";
          if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
          window.setTimeout(poll, 2000);
        });
    }
    window.setTimeout(poll, 2000);
  });
})();
