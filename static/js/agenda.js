// Agenda time grid (day and week): keyboard navigation (roving focus), shortcuts, drag and
// drop and keyboard moves checked by the server, the booking panel. No dependency besides
// htmx; no inline script or style (CSP): placement uses the r-N / s-N classes.
(() => {
  "use strict";
  const STEP = 5;
  // Chromium leaves an empty style="" on some inputs (autofill); htmx's settle step copies
  // that attribute onto the swapped-in twin, which the CSP (no inline style) reports. The
  // agenda settles classes and sizes only.
  if (window.htmx) window.htmx.config.attributesToSettle = ["class", "width", "height"];
  let lastCell = null;
  let moving = null; // {link, block, originalParent, originalRow, row, col}

  const grid = () => document.querySelector("[data-grid]");
  const cells = () => Array.from(document.querySelectorAll("[data-grid] [data-cell]"));
  const columns = () => Array.from(document.querySelectorAll("[data-grid] .tgrid-col"));
  const blockOf = (cell) => cell.closest(".blk");
  const rowOf = (el) => {
    const m = /(?:^|\s)r-(\d+)/.exec(blockOf(el)?.className || el.className);
    return m ? parseInt(m[1], 10) : 1;
  };
  const setRow = (el, row) => {
    el.className = el.className.replace(/(^|\s)r-\d+/, `$1r-${row}`);
  };
  const rowsOf = (col) => {
    const fill = col.querySelector(".tgrid-fill");
    const m = /s-(\d+)/.exec(fill ? fill.className : "");
    return m ? parseInt(m[1], 10) : 1;
  };

  function say(message, isError) {
    const status = document.getElementById("agenda-status");
    if (status) status.textContent = message;
    const box = document.getElementById("agenda-message");
    if (box) {
      box.textContent = message;
      box.hidden = !message;
      box.className = `message ${isError ? "message-error" : "message-success"}`;
    }
  }

  function focusCell(cell) {
    if (!cell) return;
    cells().forEach((c) => c.setAttribute("tabindex", "-1"));
    cell.setAttribute("tabindex", "0");
    cell.focus();
    lastCell = cell;
  }

  function initGrid() {
    const all = cells();
    if (!all.length) return;
    document.querySelectorAll("[data-grid] .blk-action button").forEach((b) => b.setAttribute("tabindex", "-1"));
    all.forEach((c) => c.setAttribute("tabindex", "-1"));
    const current = (lastCell && document.body.contains(lastCell) && lastCell)
      || all.find((c) => c.hasAttribute("data-free")) || all[0];
    current.setAttribute("tabindex", "0");
  }

  function columnCells(col) {
    return Array.from(col.querySelectorAll("[data-cell]")).sort((a, b) => rowOf(a) - rowOf(b));
  }

  function neighbour(cell, key) {
    const col = cell.closest(".tgrid-col");
    const cols = columns();
    if (key === "ArrowUp" || key === "ArrowDown") {
      const list = columnCells(col);
      const i = list.indexOf(cell) + (key === "ArrowDown" ? 1 : -1);
      return list[Math.max(0, Math.min(list.length - 1, i))];
    }
    const j = cols.indexOf(col) + (key === "ArrowRight" ? 1 : -1);
    if (j < 0 || j >= cols.length) return cell;
    const row = rowOf(cell);
    const list = columnCells(cols[j]);
    let best = list[0];
    list.forEach((c) => { if (Math.abs(rowOf(c) - row) < Math.abs(rowOf(best) - row)) best = c; });
    return best || cell;
  }

  function startOf(col, row) {
    const g = grid();
    const first = parseInt(g.dataset.firstMinute, 10) + (row - 1) * STEP;
    const hh = String(Math.floor(first / 60)).padStart(2, "0");
    const mm = String(first % 60).padStart(2, "0");
    return `${col.dataset.day}T${hh}:${mm}`;
  }

  function refresh(then) {
    const target = document.getElementById("agenda");
    if (!target || !window.htmx) return;
    window.htmx.ajax("GET", window.location.href, { target: "#agenda", swap: "innerHTML" }).then(() => {
      initGrid();
      if (then) then();
    });
  }

  function focusAppointment(pk) {
    const cell = document.querySelector(`[data-grid] [data-appointment="${pk}"]`);
    if (cell) focusCell(cell);
  }

  function csrf() {
    const input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function move(pk, col, row) {
    const g = grid();
    const body = new URLSearchParams({ start: startOf(col, row) });
    if (col.dataset.practitioner) body.set("practitioner", col.dataset.practitioner);
    const url = g.dataset.moveUrl.replace("/0/", `/${pk}/`);
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/x-www-form-urlencoded" },
      body,
      credentials: "same-origin",
    });
    let answer = { ok: false, message: "Le déplacement n'a pas pu être enregistré." };
    try { answer = await response.json(); } catch (e) { /* keep the default message */ }
    say(answer.message, !answer.ok);
    const box = document.getElementById("agenda-message");
    if (box && answer.can_force && answer.move_url) {
      const link = document.createElement("a");
      link.href = answer.move_url;
      link.textContent = " Forcer avec un motif (formulaire de déplacement)";
      box.appendChild(link);
    }
    // Refused or not, the grid is redrawn from the server: a refused move snaps back.
    refresh(() => focusAppointment(pk));
    return answer.ok;
  }

  // --- keyboard move mode -------------------------------------------------------------------
  function startMove(cell) {
    if (!cell.hasAttribute("data-movable")) {
      say("Ce rendez-vous ne peut pas être déplacé.", true);
      return;
    }
    const block = blockOf(cell);
    moving = { cell, block, parent: block.parentElement, row: rowOf(cell), originalRow: rowOf(cell) };
    block.classList.add("is-moving");
    say("Déplacement : flèches pour choisir l'heure ou la colonne, Entrée pour valider, Échap pour annuler.", false);
  }

  function stepMove(key) {
    const col = moving.block.closest(".tgrid-col");
    if (key === "ArrowUp" || key === "ArrowDown") {
      moving.row = Math.max(1, Math.min(rowsOf(col), moving.row + (key === "ArrowDown" ? 1 : -1)));
      setRow(moving.block, moving.row);
    } else {
      const cols = columns();
      const j = cols.indexOf(col) + (key === "ArrowRight" ? 1 : -1);
      if (j >= 0 && j < cols.length) cols[j].querySelector(".tgrid-cells").appendChild(moving.block);
    }
    moving.cell.focus();
    const target = moving.block.closest(".tgrid-col");
    say(`Nouvelle heure : ${startOf(target, moving.row).slice(11)}`, false);
  }

  function endMove(confirm) {
    const m = moving;
    moving = null;
    m.block.classList.remove("is-moving");
    if (!confirm) {
      m.parent.appendChild(m.block);
      setRow(m.block, m.originalRow);
      m.cell.focus();
      say("Déplacement annulé.", false);
      return;
    }
    move(m.cell.dataset.appointment, m.block.closest(".tgrid-col"), m.row);
  }

  // --- shortcuts ----------------------------------------------------------------------------
  function click(selector) {
    const el = document.querySelector(selector);
    if (el) el.click();
    return Boolean(el);
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  document.addEventListener("keydown", (event) => {
    if (!grid() && !document.querySelector("[data-agenda]")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    // In the panel's patient search, ↓ goes to the results (and chooses the first).
    if (target.id === "patient-search" && event.key === "ArrowDown") {
      const radio = document.querySelector("#patient-results input[type=radio]");
      if (radio) { event.preventDefault(); radio.focus(); radio.checked = true; }
      return;
    }
    if (event.key === "Escape" && document.querySelector("#book-panel [data-panel]") && !moving) {
      closePanel();
      return;
    }
    if (typing(target)) return;
    const inGrid = target.closest && target.closest("[data-grid]");
    if (moving) {
      if (event.key.startsWith("Arrow")) { event.preventDefault(); stepMove(event.key); return; }
      if (event.key === "Enter") { event.preventDefault(); endMove(true); return; }
      if (event.key === "Escape") { event.preventDefault(); endMove(false); return; }
      return;
    }
    if (event.key.startsWith("Arrow")) {
      if (inGrid && target.hasAttribute("data-cell")) {
        event.preventDefault();
        focusCell(neighbour(target, event.key));
      } else if (!inGrid && (target === document.body || target.id === "contenu")) {
        const start = document.querySelector("[data-grid] [data-cell][tabindex='0']") || cells()[0];
        if (start) { event.preventDefault(); focusCell(start); }
      }
      return;
    }
    const cell = inGrid && target.hasAttribute("data-cell") ? target : null;
    switch (event.key) {
      case "/":
        event.preventDefault();
        document.querySelector("[data-shortcut-search]")?.focus();
        break;
      case "n":
        event.preventDefault();
        if (cell && cell.hasAttribute("data-free")) cell.click();
        else click("[data-shortcut-new]");
        break;
      case "p": event.preventDefault(); click("[data-shortcut-previous]"); break;
      case "s": event.preventDefault(); click("[data-shortcut-next]"); break;
      case "t": event.preventDefault(); click("[data-shortcut-today]"); break;
      case "a":
        if (cell && cell.dataset.appointment) {
          event.preventDefault();
          const form = document.querySelector(`[data-arrive-form="${cell.dataset.appointment}"]`);
          if (form) form.requestSubmit();
          else say("L'arrivée ne peut pas être notée pour ce rendez-vous.", true);
        }
        break;
      case "d":
        if (cell && cell.dataset.appointment) { event.preventDefault(); startMove(cell); }
        break;
      case "?": {
        event.preventDefault();
        const help = document.getElementById("shortcuts-help");
        if (help) help.hidden = !help.hidden;
        break;
      }
      default:
    }
  });

  document.addEventListener("click", (event) => {
    const toggle = event.target.closest("[data-shortcuts-toggle]");
    if (toggle) {
      const help = document.getElementById("shortcuts-help");
      help.hidden = !help.hidden;
      toggle.setAttribute("aria-expanded", String(!help.hidden));
    }
    if (event.target.closest("[data-panel-close]")) closePanel();
    const cell = event.target.closest("[data-grid] [data-cell]");
    if (cell) lastCell = cell;
  });

  function closePanel() {
    const panel = document.getElementById("book-panel");
    if (panel) panel.innerHTML = "";
    if (lastCell && document.body.contains(lastCell)) lastCell.focus();
  }

  // --- drag and drop ------------------------------------------------------------------------
  document.addEventListener("dragstart", (event) => {
    const link = event.target.closest && event.target.closest("[data-movable]");
    if (!link) return;
    event.dataTransfer.setData("text/plain", link.dataset.appointment);
    event.dataTransfer.effectAllowed = "move";
    blockOf(link).classList.add("is-moving");
  });
  document.addEventListener("dragend", (event) => {
    const link = event.target.closest && event.target.closest("[data-movable]");
    if (link) blockOf(link).classList.remove("is-moving");
  });
  document.addEventListener("dragover", (event) => {
    if (event.target.closest && event.target.closest("[data-grid] .tgrid-cells")) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    const cellsBox = event.target.closest && event.target.closest("[data-grid] .tgrid-cells");
    if (!cellsBox) return;
    event.preventDefault();
    const pk = event.dataTransfer.getData("text/plain");
    if (!pk) return;
    const col = cellsBox.closest(".tgrid-col");
    const rect = cellsBox.getBoundingClientRect();
    const rowHeight = rect.height / rowsOf(col);
    const row = Math.max(1, Math.min(rowsOf(col), Math.floor((event.clientY - rect.top) / rowHeight) + 1));
    move(pk, col, row);
  });

  // --- htmx: the panel, the grid refresh after a booking --------------------------------------
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target.id === "agenda") initGrid();
    if (target.id === "book-panel") {
      const search = target.querySelector("#patient-search");
      const booked = target.querySelector("[data-booked]");
      if (booked) {
        refresh(() => focusAppointment(booked.dataset.booked));
      } else if (search && !target.querySelector(".errorlist")) {
        search.focus();
      } else {
        target.querySelector("#panel-title")?.focus();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", initGrid);
})();
