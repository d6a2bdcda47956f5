// The insight board: drag a card to another column, or focus it and press ← / →.
// Both send the same CSRF-protected POST as the card's own buttons (htmx swaps the board).
(function () {
  "use strict";

  function post(url, values) {
    window.htmx.ajax("POST", url, { target: "#board", swap: "outerHTML", values: values });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.id);
    card.setAttribute("aria-grabbed", "true");
  });

  document.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest(".board-column[data-drop-url]")) {
      event.preventDefault();
    }
  });

  document.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".board-column[data-drop-url]");
    if (!column) return;
    event.preventDefault();
    var id = event.dataTransfer.getData("text/plain");
    if (!/^[0-9]+$/.test(id)) return;
    var url = column.dataset.dropUrl.replace(/\/0\/move$/, "/" + id + "/move");
    post(url, { status: column.dataset.status, back: "board" });
  });

  document.addEventListener("keydown", function (event) {
    var card = event.target.classList && event.target.classList.contains("board-card") ? event.target : null;
    if (!card || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    var form = card.querySelector('form[data-step="' + (event.key === "ArrowLeft" ? "-1" : "1") + '"]');
    if (!form) return;
    event.preventDefault();
    var id = card.id;
    document.body.addEventListener("htmx:afterSettle", function refocus() {
      document.body.removeEventListener("htmx:afterSettle", refocus);
      var again = document.getElementById(id);
      if (again) again.focus();
    });
    window.htmx.trigger(form, "submit");
  });
})();
