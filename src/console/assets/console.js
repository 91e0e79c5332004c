// hearken console: live regions refreshed over server-sent events, keyboard use, small
// conveniences. The pages work without it; this only makes them quicker to use.
(function () {
  "use strict";

  // --- live updates: on a change, fetch this page again and swap its live regions ---
  var refreshing = false, again = false, timer = null;

  function swapRegions(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.querySelectorAll("[data-live-region]").forEach(function (el) {
      var name = el.getAttribute("data-live-region");
      var fresh = doc.querySelector('[data-live-region="' + name + '"]');
      var active = document.activeElement;
      if (active && el.contains(active) && active.matches("input, select, textarea")) {
        again = true; // someone is using a form here: refresh after they leave it
        return;
      }
      if (fresh && fresh.innerHTML !== el.innerHTML) {
        el.innerHTML = fresh.innerHTML;
        el.dispatchEvent(new CustomEvent("hearken:updated", { bubbles: true }));
      }
    });
    var title = doc.querySelector("title");
    if (title) { document.title = title.textContent; }
    markOffers();
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "hearken-live" } })
      .then(function (r) {
        if (r.redirected && r.url.indexOf("/console/login") >= 0) { location.href = r.url; return ""; }
        return r.ok ? r.text() : "";
      })
      .then(function (html) { if (html) { swapRegions(html); } })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) { again = false; setTimeout(refresh, 2000); }
      });
  }

  function scheduleRefresh() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  }

  function connect() {
    var url = document.body.getAttribute("data-live");
    if (!url || !window.EventSource) { return; }
    var es = new EventSource(url);
    es.addEventListener("change", function (e) {
      var only = document.body.getAttribute("data-conversation");
      if (only) {
        try {
          var d = JSON.parse(e.data);
          if (d.conversation_id && String(d.conversation_id) !== only && !document.querySelector("[data-watch-all]")) { return; }
        } catch (_) { /* refresh anyway */ }
      }
      scheduleRefresh();
    });
    // The body says whether live updates are connected (styling, and tests wait on it).
    // A change made after this page was rendered but before the stream was subscribed (an
    // offer made the moment the agent went online) would never be announced: look once on
    // every (re)connect. Regions that did not change are left alone.
    es.onopen = function () {
      document.body.setAttribute("data-live-connected", "");
      scheduleRefresh();
    };
    es.onerror = function () {
      document.body.removeAttribute("data-live-connected"); // EventSource reconnects by itself
    };
  }

  // Offers count down; the page title says how many wait for me.
  function markOffers() {
    var n = document.querySelectorAll(".row.offer").length;
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = n > 0 ? "(" + n + ") " + base : base;
  }

  setInterval(function () {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var s = parseInt(el.getAttribute("data-countdown"), 10) - 1;
      if (s < 0) { s = 0; }
      el.setAttribute("data-countdown", String(s));
      el.textContent = s + " s left";
    });
  }, 1000);

  // --- forms ---
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.hasAttribute("data-autosubmit")) { form.submit(); }
  });

  // Suggested responses fill the reply box.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-suggest]");
    if (!b) { return; }
    var box = document.getElementById("reply-text");
    if (box) { box.value = b.getAttribute("data-suggest"); box.focus(); }
  });

  // A form that changes something is sent once.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.method === "dialog") { return; }
    if (f.getAttribute("data-sent")) { e.preventDefault(); return; }
    f.setAttribute("data-sent", "1");
    setTimeout(function () { f.removeAttribute("data-sent"); }, 4000);
  });

  // --- keyboard ---
  var pendingG = false;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function select(delta) {
    var all = rows();
    if (!all.length) { return; }
    var i = all.findIndex(function (r) { return r.hasAttribute("data-selected"); });
    if (i >= 0) { all[i].removeAttribute("data-selected"); }
    i = Math.max(0, Math.min(all.length - 1, i + delta));
    all[i].setAttribute("data-selected", "");
    all[i].scrollIntoView({ block: "nearest" });
  }
  function setStatus(s) {
    var sel = document.getElementById("my-status");
    if (sel && sel.value !== s) { sel.value = s; sel.form.submit(); }
  }

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t.matches && t.matches("input, textarea, select");
    if (e.key === "Escape") { if (typing) { t.blur(); } return; }
    if (typing) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && t.form) { e.preventDefault(); t.form.requestSubmit(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (pendingG) {
      pendingG = false;
      if (e.key === "q") { location.href = "/console"; }
      if (e.key === "s") { location.href = "/console/supervisor"; }
      return;
    }
    switch (e.key) {
      case "g": pendingG = true; break;
      case "j": select(1); break;
      case "k": select(-1); break;
      case "Enter": {
        var r = document.querySelector("[data-row][data-selected]");
        var link = r && (r.matches("a") ? r : r.querySelector("a"));
        if (link) { location.href = link.href; }
        break;
      }
      case "a": {
        var b = document.querySelector("[data-accept]");
        if (b) { b.form.requestSubmit(); }
        break;
      }
      case "r": {
        var box = document.getElementById("reply-text");
        if (box) { e.preventDefault(); box.focus(); }
        break;
      }
      case "o": setStatus("online"); break;
      case "w": setStatus("away"); break;
      case "f": setStatus("offline"); break;
      case "?": {
        var d = document.getElementById("help");
        if (d && d.showModal) { d.showModal(); }
        break;
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    markOffers();
    connect();
  });
})();
