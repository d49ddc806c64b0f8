/* Work-package board: drag a card to another column. The drop sets the card's own "Move to" form to the
   column's status and submits it, so a drag and the keyboard's form take the one server path (the server
   answers with the board again, or the error at the card). No inline styles or scripts (CSP). */
(function () {
  "use strict";
  var board = document.querySelector(".board.movable");
  if (!board) return;
  var live = document.getElementById("board-live");
  var dragged = null;

  function columnOf(el) {
    while (el && el !== board) {
      if (el.classList && el.classList.contains("column")) return el;
      el = el.parentNode;
    }
    return null;
  }
  function clearTargets() {
    var cols = board.querySelectorAll(".column.drop-target");
    for (var i = 0; i < cols.length; i++) cols[i].classList.remove("drop-target");
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest ? e.target.closest("li.task-card[draggable=true]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", card.getAttribute("data-task"));
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });
  board.addEventListener("dragover", function (e) {
    var col = columnOf(e.target);
    if (!dragged || !col) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    if (!col.classList.contains("drop-target")) {
      clearTargets();
      col.classList.add("drop-target");
    }
  });
  board.addEventListener("drop", function (e) {
    var col = columnOf(e.target);
    var card = dragged;
    if (!card || !col) return;
    e.preventDefault();
    clearTargets();
    var form = card.querySelector("form.move");
    var select = form && form.querySelector("select[name=status]");
    var status = col.getAttribute("data-status");
    if (!select || !status || select.value === status) return;
    select.value = status;
    if (live) live.textContent = "Moving " + card.querySelector("a").textContent.trim() + "…";
    card.setAttribute("aria-busy", "true");
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
})();
