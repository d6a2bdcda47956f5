// I2I front end: the composer (counter, Ctrl+Enter, #tag and @name autocomplete),
// relative times, and tidying after htmx swaps. No inline script anywhere (CSP).
(function () {
  "use strict";

  const TOKEN = /(^|\s)([#＃@])([\p{L}\p{M}\p{Nd}\p{Pc}·・\u200c.\-]*)$/u;

  function codePoints(text) {
    return [...text.replace(/\r\n/g, "\n")].length;
  }

  function updateCount(textarea) {
    const form = textarea.closest("form");
    const counter = form && form.querySelector("[data-count]");
    if (!counter) return;
    const max = Number(textarea.dataset.max || 500);
    const left = max - codePoints(textarea.value.trim());
    counter.textContent = left >= 0 ? `${left} characters left` : `${-left} characters too many`;
    counter.classList.toggle("over", left < 0);
    counter.classList.toggle("near", left >= 0 && left < 40);
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = left < 0 || textarea.value.trim() === "";
  }

  // --- autocomplete: an ARIA combobox over the textarea -------------------------------
  let listbox = null;
  let active = -1;
  let pending = null;

  function closeList(textarea) {
    if (listbox) listbox.remove();
    listbox = null;
    active = -1;
    if (textarea) {
      textarea.removeAttribute("aria-activedescendant");
      textarea.setAttribute("aria-expanded", "false");
    }
  }

  function currentToken(textarea) {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = before.match(TOKEN);
    if (!match) return null;
    return { sign: match[2], text: match[3], start: before.length - match[3].length - 1 };
  }

  async function suggest(textarea) {
    const token = currentToken(textarea);
    if (!token || (token.sign === "@" && token.text.length < 1)) return closeList(textarea);
    const kind = token.sign === "@" ? "users" : "tags";
    const url = `/complete/${kind}?q=${encodeURIComponent(token.text)}`;
    const request = (pending = fetch(url, { headers: { Accept: "application/json" } }));
    const response = await request;
    if (request !== pending || !response.ok) return;
    const items = await response.json();
    if (!items.length) return closeList(textarea);
    showList(textarea, token, items);
  }

  function showList(textarea, token, items) {
    closeList(textarea);
    listbox = document.createElement("ul");
    listbox.id = `${textarea.id}-suggestions`;
    listbox.className = "suggestions";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", token.sign === "@" ? "People" : "Hashtags");
    items.forEach((item, index) => {
      const option = document.createElement("li");
      option.id = `${listbox.id}-${index}`;
      option.setAttribute("role", "option");
      option.dataset.value = item.value;
      option.textContent = item.label;
      if (item.hint) {
        const hint = document.createElement("small");
        hint.textContent = ` ${item.hint}`;
        option.appendChild(hint);
      }
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(textarea, token, item.value);
      });
      listbox.appendChild(option);
    });
    textarea.setAttribute("aria-controls", listbox.id);
    textarea.setAttribute("aria-expanded", "true");
    textarea.closest(".autocomplete").appendChild(listbox);
    listbox.token = token;
    move(textarea, 0);
  }

  function move(textarea, index) {
    const options = listbox.querySelectorAll("[role=option]");
    active = (index + options.length) % options.length;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
    textarea.setAttribute("aria-activedescendant", options[active].id);
  }

  function choose(textarea, token, value) {
    const sign = token.sign === "＃" ? "#" : token.sign;
    const head = textarea.value.slice(0, token.start);
    const tail = textarea.value.slice(textarea.selectionStart).replace(/^\S*/, "");
    const insert = `${sign}${value} `;
    textarea.value = head + insert + tail.replace(/^\s/, "");
    const caret = head.length + insert.length;
    textarea.setSelectionRange(caret, caret);
    closeList(textarea);
    updateCount(textarea);
  }

  function onKeydown(event) {
    const textarea = event.target;
    if (listbox) {
      const options = listbox.querySelectorAll("[role=option]");
      if (event.key === "ArrowDown") return event.preventDefault(), move(textarea, active + 1);
      if (event.key === "ArrowUp") return event.preventDefault(), move(textarea, active - 1);
      if (event.key === "Escape") return event.preventDefault(), closeList(textarea);
      if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        return choose(textarea, listbox.token, options[active].dataset.value);
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      closeList(textarea);
      const form = textarea.closest("form");
      const button = form.querySelector("button[type=submit]");
      if (!button || !button.disabled) form.requestSubmit();
    }
  }

  function setUpComposer(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    const textarea = form.querySelector("textarea");
    const offset = form.querySelector("[data-tz-offset]");
    if (offset) offset.value = String(-new Date().getTimezoneOffset());
    textarea.setAttribute("role", "combobox");
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-expanded", "false");
    textarea.addEventListener("input", () => {
      updateCount(textarea);
      clearTimeout(textarea.suggestTimer);
      textarea.suggestTimer = setTimeout(() => suggest(textarea), 120);
    });
    textarea.addEventListener("keydown", onKeydown);
    textarea.addEventListener("blur", () => setTimeout(() => closeList(textarea), 150));
    updateCount(textarea);
  }

  // --- relative times -----------------------------------------------------------------
  function relative(iso) {
    const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
    const abs = Math.abs(seconds);
    const say = (n, unit) => (seconds < 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`);
    if (abs < 10) return "just now";
    if (abs < 60) return say(abs, "s");
    if (abs < 3600) return say(Math.floor(abs / 60), "min");
    if (abs < 86400) return say(Math.floor(abs / 3600), "h");
    if (abs < 604800) return say(Math.floor(abs / 86400), "d");
    return null;
  }

  function refreshTimes(root) {
    root.querySelectorAll("time[data-relative]").forEach((node) => {
      const text = relative(node.getAttribute("datetime"));
      if (text) node.textContent = text;
    });
  }

  // --- after htmx swaps ---------------------------------------------------------------
  function dedupeNotes(list) {
    const seen = new Set();
    list.querySelectorAll("article[data-note-id]").forEach((node) => {
      if (seen.has(node.dataset.noteId)) node.remove();
      else seen.add(node.dataset.noteId);
    });
  }

  // --- sortable tables: a button in each header sorts by that column ---------------
  function cellValue(row, index) {
    const text = row.cells[index] ? row.cells[index].textContent.trim() : "";
    const number = Number.parseFloat(text.replace(/[×%,<\s]/g, ""));
    return Number.isNaN(number) ? text.toLowerCase() : number;
  }

  function sortBy(table, index, header) {
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach((th) => th.removeAttribute("aria-sort"));
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = [...body.rows];
    rows.sort((a, b) => {
      const x = cellValue(a, index);
      const y = cellValue(b, index);
      const order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : typeof x === "number" ? -1 : 1;
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
  }

  function setUpSortable(table) {
    if (table.dataset.ready) return;
    table.dataset.ready = "1";
    table.querySelectorAll("thead th").forEach((header, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = header.textContent;
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", () => sortBy(table, index, header));
    });
  }

  // --- SLA badges count down (the words of app/web/filters.py's sla_words) -------------
  function duration(ms) {
    let seconds = Math.floor(Math.abs(ms) / 1000);
    const days = Math.floor(seconds / 86400);
    seconds -= days * 86400;
    const hours = Math.floor(seconds / 3600);
    seconds -= hours * 3600;
    const minutes = Math.floor(seconds / 60);
    seconds -= minutes * 60;
    if (days) return hours ? `${days} d ${hours} h` : `${days} d`;
    if (hours) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
    return minutes ? `${minutes} min` : `${seconds} s`;
  }

  function tickSla(badge, now) {
    const due = Date.parse(badge.dataset.due);
    const risk = Date.parse(badge.dataset.risk);
    const clock = badge.dataset.sla;
    const left = due - now;
    let state = "on_track";
    let words = `${clock[0].toUpperCase()}${clock.slice(1)} in ${duration(left)}`;
    if (left < 0) {
      state = "breached";
      words = `Breached · ${clock} ${duration(left)} late`;
    } else if (now >= risk) {
      state = "at_risk";
      words = `At risk · ${clock} in ${duration(left)}`;
    }
    if (badge.textContent !== words) badge.textContent = words;
    for (const name of ["on_track", "at_risk", "breached"]) {
      badge.classList.toggle(`sla-${name}`, name === state);
    }
  }

  function tickAllSla() {
    const now = Date.now();
    document.querySelectorAll("[data-sla][data-due]").forEach((badge) => tickSla(badge, now));
  }

  // --- live updates: one tiny question a second (app/live.py) -------------------------
  // /live answers 204 while nothing changed; when the change counter moves the page's own
  // parts ask their question once (htmx triggers on i2i:changed), and a new unread count
  // goes straight into the badge. The tab title counts what waits: unread notifications,
  // new notes above the feed, timeline entries that arrived while the tab was hidden.
  const live = { stamp: "", unread: 0, unseen: 0, title: "" };

  function setBadge(count) {
    const badge = document.getElementById("unread");
    if (!badge) return;
    badge.classList.toggle("hidden", !count);
    badge.replaceChildren();
    if (!count) return;
    const before = document.createElement("span");
    before.className = "visually-hidden";
    before.textContent = ", ";
    const after = before.cloneNode();
    after.textContent = " unread";
    badge.append(before, String(count), after);
  }

  function showWaiting() {
    const bar = document.getElementById("new-bar");
    const waiting = live.unread + live.unseen + (bar ? Number(bar.dataset.waiting || 0) : 0);
    const count = waiting > 99 ? "99+" : String(waiting);
    document.title = waiting ? `(${count}) ${live.title}` : live.title;
  }

  async function askForChanges(url, every) {
    try {
      const query = `?s=${encodeURIComponent(live.stamp)}&u=${live.unread}`;
      const response = await fetch(url + query, {
        headers: { Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
      if (response.status === 401) return; // signed out: stop asking
      if (response.status === 200) {
        const now = await response.json();
        if (now.u !== live.unread) {
          live.unread = now.u;
          setBadge(now.u);
        }
        if (now.s !== live.stamp) {
          live.stamp = now.s;
          document.body.dispatchEvent(new CustomEvent("i2i:changed"));
        }
        showWaiting();
      }
    } catch (error) {
      // the server restarting, say: ask again at the next tick
    }
    setTimeout(() => askForChanges(url, every), every);
  }

  function startLive() {
    const body = document.body;
    if (!body.dataset.liveUrl) return;
    live.stamp = body.dataset.liveStamp || "";
    live.unread = Number(body.dataset.unread || 0);
    live.title = document.title;
    const every = Math.max(1, Number(body.dataset.pollSeconds || 1)) * 1000;
    setTimeout(() => askForChanges(body.dataset.liveUrl, every), every);
    showWaiting();
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        live.unseen = 0;
        showWaiting();
      }
    });
  }

  // A live timeline got entries: one per entry. The composer may have put one there
  // first, and the server sends again what was written just before its last answer (a
  // note committed late on PostgreSQL); the copy the page already showed stays where it
  // was, without flashing as new again. Returns how many entries are new to the page.
  const shownEntries = new WeakSet();
  function dedupeEntries(list) {
    const kept = new Map();
    list.querySelectorAll(":scope > li[data-entry]").forEach((item) => {
      const other = kept.get(item.dataset.entry);
      if (!other) {
        kept.set(item.dataset.entry, item);
      } else if (shownEntries.has(item) && !shownEntries.has(other)) {
        other.remove();
        kept.set(item.dataset.entry, item);
      } else {
        item.remove();
      }
    });
    let added = 0;
    kept.forEach((item) => {
      if (!shownEntries.has(item)) added += 1;
      shownEntries.add(item);
    });
    return added;
  }

  // --- action menus: Escape or a click elsewhere closes them ---------------------------
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const menu = event.target.closest && event.target.closest("details[data-menu][open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details[data-menu][open]").forEach((menu) => {
      if (!menu.contains(event.target) || event.target.closest(".menu-list a")) menu.open = false;
    });
    // A "Cancel" in a form htmx put in place empties its slot (without JavaScript it is a
    // link back to the page).
    const close = event.target.closest && event.target.closest("[data-close]");
    if (close) {
      const slot = close.closest("[data-closable]");
      if (slot) {
        event.preventDefault();
        slot.textContent = "";
      }
    }
  });

  function setUp(root) {
    root.querySelectorAll("form[data-composer]").forEach(setUpComposer);
    root.querySelectorAll("table[data-sortable]").forEach(setUpSortable);
    refreshTimes(root);
  }

  // "n" jumps to the composer and "/" to the search box from anywhere on the page.
  const shortcuts = { n: "form[data-composer] textarea", "/": "input[name=q][type=search]" };
  document.addEventListener("keydown", (event) => {
    if (!(event.key in shortcuts) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const box = document.querySelector(shortcuts[event.key]);
    if (box) {
      event.preventDefault();
      box.focus();
    }
  });

  // A "Reply" link lands on the thread's #reply section: put the cursor in its box (after
  // the browser has scrolled to the fragment, which would otherwise take the focus back).
  function focusReply() {
    if (location.hash !== "#reply") return;
    const box = document.querySelector("#reply textarea");
    if (box) box.focus();
  }

  window.addEventListener("hashchange", focusReply);
  window.addEventListener("load", () => setTimeout(focusReply, 0));

  document.addEventListener("DOMContentLoaded", () => {
    setUp(document);
    const timeline = document.getElementById("incident-timeline");
    if (timeline) dedupeEntries(timeline); // what the page showed first counts as shown
    setInterval(() => refreshTimes(document), 30000);
    tickAllSla();
    setInterval(tickAllSla, 1000);
    startLive();
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const list = event.detail.target.closest(".feed");
    if (list) dedupeNotes(list);
    const timeline = document.getElementById("incident-timeline");
    const added = timeline ? dedupeEntries(timeline) : 0;
    const marker = document.getElementById("incident-live");
    if (marker && !marker.dataset.counted) {
      marker.dataset.counted = "1"; // a live answer: what it added waits for the reader
      if (document.visibilityState !== "visible") live.unseen += added;
    }
    setUp(document);
    tickAllSla();
    showWaiting();
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-composer]")) return;
    const error = form.querySelector(".form-error");
    if (event.detail.successful && event.detail.xhr.status < 300) {
      const textarea = form.querySelector("textarea");
      const keep = textarea.defaultValue.startsWith("#") ? textarea.defaultValue : "";
      form.reset();
      textarea.value = keep;
      if (error) error.textContent = "";
      const preview = form.querySelector(".preview");
      if (preview) preview.textContent = "";
      updateCount(textarea);
      textarea.focus();
    }
  });
})();
