// The page side of the control census (census_test.go). It is added to every
// document before the page's own scripts run, so that it sees every fetch and
// every uncaught error of the page.
(() => {
  if (window.__census) return;
  const C = (window.__census = { errors: [], pending: 0, base: null, volatile: new Set(), n: Math.floor(Math.random() * 1e6) });

  window.addEventListener("error", (e) => {
    C.errors.push("uncaught " + (e.error && e.error.stack ? e.error.stack : e.message) + " at " + e.filename + ":" + e.lineno);
  });
  window.addEventListener("unhandledrejection", (e) => {
    const r = e.reason;
    C.errors.push("unhandled rejection " + (r && r.stack ? r.stack : String(r)));
  });
  // A short timer the page sets (a debounced refresh, an autosave) is work
  // still to come, like a fetch in flight: the page is not idle until it
  // has run. Repeating timers (the drill clock's tick) are not counted.
  const origSetTimeout = window.setTimeout.bind(window), origClearTimeout = window.clearTimeout.bind(window);
  const timers = new Set();
  window.setTimeout = function (fn, ms, ...args) {
    const id = origSetTimeout(() => { timers.delete(id); if (typeof fn === "function") fn(...args); }, ms);
    if ((Number(ms) || 0) <= 1000) timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) { timers.delete(id); return origClearTimeout(id); };
  const origFetch = window.fetch;
  window.fetch = function (...args) {
    C.pending++;
    return origFetch.apply(this, args).finally(() => { C.pending--; });
  };
  // fetch resolves when the headers arrive; the page then reads the body
  // (res.json()) and renders what it read. That read is work in flight
  // too: on a busy machine it outlasts the quiet period, and a page
  // counted idle before its first render has that render taken for
  // changes of its own (learnVolatile). The read is counted from the call,
  // in the same task as the fetch it follows, so there is no idle moment
  // between the two.
  for (const m of ["arrayBuffer", "blob", "bytes", "formData", "json", "text"]) {
    const orig = Response.prototype[m];
    if (typeof orig !== "function") continue;
    Response.prototype[m] = function (...args) {
      C.pending++;
      return orig.apply(this, args).finally(() => { C.pending--; });
    };
  }

  const shown = (e) => e === document.body || (e.checkVisibility ? e.checkVisibility({ visibilityProperty: true }) : e.getClientRects().length > 0);
  const enabled = (e) => !e.disabled && !e.closest("fieldset[disabled], [inert]") && e.getAttribute("aria-disabled") !== "true";
  // Classes that say how a control looks now rather than which control it is.
  const stateClass = /^(active|done|next|hidden|primary|mention|presenting|late|missing|field-error|danger|sub)$/;

  function isSubmit(e) {
    return e.tagName === "BUTTON" && e.form && (e.getAttribute("type") || "submit") === "submit";
  }

  // key names a control by what it is: its id, or the path from the nearest
  // ancestor with an id (classes and data attributes, no positions) and its
  // text. Repeated controls of one kind (a Reply under each message, the
  // buttons of each person's row) share a key, so the census exercises one
  // of them and counts the rest.
  C.key = (e) => {
    if (e.id) return e.tagName.toLowerCase() + "#" + e.id;
    const parts = [];
    for (let n = e; n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
      if (n !== e && n.id) { parts.unshift("#" + n.id); break; }
      let s = n.tagName.toLowerCase();
      const cls = [...n.classList].filter((c) => !stateClass.test(c)).sort();
      if (cls.length) s += "." + cls.join(".");
      // A person's id names which row of the people list a control is
      // in, not which control it is: the rows share their keys.
      for (const [k, v] of Object.entries(n.dataset)) if (!/^(seq|census|state)/.test(k)) s += "[" + k + "=" + v.replace(/^p-[0-9a-f]{12}$/, "{person}") + "]";
      if (n.tagName === "INPUT") s += "[type=" + n.type + "]" + (n.name ? "[name=" + n.name + "]" : "");
      parts.unshift(s);
    }
    let text = "";
    if (e.tagName !== "FORM" && e.tagName !== "INPUT" && e.tagName !== "SELECT") {
      text = (e.getAttribute("aria-label") || e.textContent || "").replace(/[0-9✓]+/g, "").replace(/\s+/g, " ").trim().slice(0, 40);
    }
    return parts.join(" > ") + (text ? ' "' + text + '"' : "");
  };

  const CONTROLS = 'button, a[href], form, select, summary, input[type=checkbox], input[type=radio], [role=button], [role=tab], [tabindex]:not([tabindex="-1"]):not(input):not(textarea)';

  function kindOf(e) {
    if (e.tagName === "FORM") return "form";
    if (e.tagName === "SELECT") return "select";
    if (e.tagName === "A") {
      const h = e.getAttribute("href") || "";
      return h.startsWith("#") || h.startsWith("javascript:") ? "button" : "link";
    }
    if (e.tagName === "INPUT") return "toggle";
    return "button";
  }

  // usedEls are the elements the census used: one that only changed its
  // label afterwards ("Copy" → "Copied") is not a new control.
  const usedEls = new WeakSet();
  let finding = false;
  C.used = (key) => { const e = C.find(key); if (e) usedEls.add(e); return true; };

  function all() {
    const out = [];
    for (const e of document.querySelectorAll(CONTROLS)) {
      if (!shown(e) || (!finding && usedEls.has(e))) continue;
      if (e.tagName === "FORM") {
        const sub = [...e.querySelectorAll("button, input[type=submit]")].find((b) => (b.getAttribute("type") || "submit") === "submit" && shown(b));
        if (!sub || !enabled(sub)) continue; // a form without a way to submit it is only its fields
      } else {
        if (!enabled(e) || isSubmit(e)) continue;
      }
      out.push(e);
    }
    return out;
  }

  // controls lists the enabled, visible controls of the page, one entry per
  // key with how many controls share it.
  C.controls = () => {
    const by = new Map();
    for (const e of all()) {
      const k = C.key(e);
      if (by.has(k)) { by.get(k).count++; continue; }
      by.set(k, { key: k, kind: kindOf(e), count: 1, href: e.tagName === "A" ? e.href : "", target: e.getAttribute("target") || "" });
    }
    return [...by.values()];
  };

  // current reports whether the control is the choice shown now (the open
  // channel, the selected tab): using it again has nothing to change.
  C.current = (key) => {
    const e = C.find(key);
    return !!e && (e.classList.contains("active") || e.getAttribute("aria-current") === "true" || e.getAttribute("aria-current") === "page" || e.getAttribute("aria-selected") === "true");
  };

  C.find = (key) => { finding = true; try { return all().find((e) => C.key(e) === key) || null; } finally { finding = false; } };

  // point scrolls the control into view and returns where a click lands,
  // or why it cannot be clicked there.
  C.point = (key) => {
    let e = C.find(key);
    if (!e) return { error: "gone" };
    if (e.tagName === "FORM") {
      e = [...e.querySelectorAll("button, input[type=submit]")].find((b) => (b.getAttribute("type") || "submit") === "submit" && shown(b));
    }
    if (e.tagName === "INPUT" && e.labels && e.labels.length && e.getBoundingClientRect().width === 0) e = e.labels[0];
    e.scrollIntoView({ block: "center", inline: "center" });
    const r = e.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const hit = document.elementFromPoint(x, y);
    if (!hit || !(hit === e || e.contains(hit) || (e.labels && [...e.labels].some((l) => l.contains(hit))) || hit.contains(e) && hit.tagName === "LABEL")) {
      return { error: "covered by " + (hit ? C.key(hit) : "nothing") + " at " + Math.round(x) + "," + Math.round(y) };
    }
    return { x, y };
  };

  // fill fills a form's fields with valid values: values (by element id)
  // first, then a plain value for each field still empty.
  C.fill = (key, values) => {
    const f = C.find(key);
    if (!f) return "gone";
    const set = (e, v) => {
      e.focus();
      e.value = v;
      e.dispatchEvent(new Event("input", { bubbles: true }));
      e.dispatchEvent(new Event("change", { bubbles: true }));
    };
    let n = 0;
    for (const e of f.querySelectorAll("input, textarea, select")) {
      if (!shown(e) || e.disabled) continue;
      n++;
      if (values && e.id && values[e.id] !== undefined) { set(e, values[e.id]); continue; }
      if (e.tagName === "SELECT") {
        if (!e.value) { const o = [...e.options].find((o) => o.value && !o.disabled); if (o) set(e, o.value); }
        continue;
      }
      if (e.type === "radio") {
        const group = f.querySelectorAll('input[type=radio][name="' + CSS.escape(e.name) + '"]');
        if (![...group].some((g) => g.checked)) { const mid = group[Math.floor(group.length / 2)]; mid.checked = true; mid.dispatchEvent(new Event("change", { bubbles: true })); }
        continue;
      }
      if (e.type === "checkbox" || e.type === "hidden" || e.type === "submit" || e.type === "button") continue;
      if (e.value.trim() !== "") continue;
      if (e.type === "date") { set(e, "2026-12-31"); continue; }
      if (e.type === "datetime-local" || e.type === "month") {
        // Two days ahead: after the server's (fake) now, tomorrow 14:00.
        const d = new Date(Date.now() + 2 * 86400000), p2 = (n) => String(n).padStart(2, "0");
        const ym = d.getFullYear() + "-" + p2(d.getMonth() + 1);
        set(e, e.type === "month" ? ym : ym + "-" + p2(d.getDate()) + "T14:00");
        continue;
      }
      if (e.type === "time") { set(e, "14:05"); continue; }
      if (e.type === "url") { set(e, "https://wiki.example.com/census"); continue; }
      if (e.type === "email") { set(e, "census@example.com"); continue; }
      if (e.type === "number") { set(e, "3"); continue; }
      const label = (e.labels && e.labels[0] && e.labels[0].textContent.trim()) || e.getAttribute("aria-label") || e.id || e.name;
      set(e, "Census " + (++C.n) + ": " + label.replace(/\s*\*$/, "") + ".");
    }
    // A field the browser still finds invalid needs a recipe (census_exercise_test.go).
    const bad = [...f.querySelectorAll("input, textarea, select")].filter((e) => !e.checkValidity()).map((e) => "#" + e.id + ": " + e.validationMessage);
    return bad.length ? "invalid " + bad.join("; ") : "filled " + n;
  };

  // submitWithoutButton submits a form whose submit button is not clickable.
  C.requestSubmit = (key) => { const f = C.find(key); if (f) f.requestSubmit(); };

  // selectOther picks another option of a select, as a person would.
  C.selectOther = (key) => {
    const s = C.find(key);
    if (!s) return "gone";
    const o = [...s.options].find((o) => o.value !== s.value && !o.disabled);
    if (!o) return "no other option";
    s.focus();
    s.value = o.value;
    s.dispatchEvent(new Event("input", { bubbles: true }));
    s.dispatchEvent(new Event("change", { bubbles: true }));
    return "chose " + JSON.stringify(o.value);
  };

  // check fetches a link's target with the page's session, as opening it
  // would.
  C.check = async (href) => {
    const res = await fetch(href, { credentials: "same-origin", redirect: "follow" });
    const body = await res.text();
    return { status: res.status, type: res.headers.get("content-type") || "", bytes: body.length, url: res.url };
  };

  // sig is what the page shows: every rendered element's own text, value,
  // classes and inline style, the address, the selection and the colours.
  C.sig = () => {
    const out = new Map();
    out.set("@url", location.href);
    out.set("@title", document.title);
    const cs = getComputedStyle(document.body);
    out.set("@colors", cs.backgroundColor + " " + cs.color);
    out.set("@selection", String(getSelection()));
    const walk = (el, path) => {
      if (!shown(el)) return;
      let own = "";
      for (const n of el.childNodes) if (n.nodeType === 3) own += n.data;
      let v = own.trim() + "|" + el.className + "|" + (el.getAttribute("style") || "") + (el.disabled ? "|disabled" : "");
      if (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT") v += "|" + el.value + (el.checked ? "|checked" : "");
      if (el.tagName === "IMG") v += "|" + el.getAttribute("src");
      if (el.tagName === "DETAILS") v += el.open ? "|open" : "";
      out.set(path, v);
      let i = 0;
      for (const c of el.children) walk(c, path + "/" + c.tagName.toLowerCase() + (i++));
    };
    walk(document.body, "body");
    return out;
  };

  const diff = (a, b) => {
    const out = [];
    for (const [k, v] of b) if (a.get(k) !== v) out.push(k);
    for (const k of a.keys()) if (!b.has(k)) out.push(k);
    return out;
  };
  const isVolatile = (k) => { for (const v of C.volatile) if (k === v || k.startsWith(v + "/")) return true; return false; };

  // learnVolatile watches the page untouched for a while: what changes on
  // its own (the drill clock) is not counted as a control's effect.
  C.learnVolatile = async (ms) => {
    const a = C.sig();
    await new Promise((r) => origSetTimeout(r, ms));
    for (const k of diff(a, C.sig())) C.volatile.add(k);
    return [...C.volatile];
  };

  C.snap = () => { C.base = C.sig(); C.dialogs = 0; return true; };

  // changed lists what differs from the last snap, the page's own ticking
  // aside.
  C.changed = () => {
    const now = C.sig();
    return diff(C.base, now).filter((k) => !isVolatile(k)).slice(0, 8).map((k) => k + " = " + JSON.stringify((now.get(k) || "(gone)").slice(0, 80)));
  };

  // pathOf is an element's path as sig names it.
  const pathOf = (el) => {
    const parts = [];
    for (let n = el; n && n !== document.body; n = n.parentElement) {
      if (!n.parentElement) return null; // not in the document's body
      parts.unshift(n.tagName.toLowerCase() + [...n.parentElement.children].indexOf(n));
    }
    return el ? "body" + (parts.length ? "/" + parts.join("/") : "") : null;
  };
  const ready = () => document.readyState === "complete" && (!document.querySelector("#messages") || document.body.dataset.ready === "true") && C.pending === 0 && timers.size === 0;

  // settle waits until the page is idle: loaded, its room stream (if any)
  // live, no fetch (or read of its body) in flight, no short timer pending and nothing but the
  // page's own ticking changed for quietMs. It watches the page's mutations instead of comparing
  // whole-page signatures over and over, and answers false after maxMs.
  C.settle = (quietMs, maxMs) => new Promise((resolve) => {
    const start = performance.now();
    let last = start;
    const mo = new MutationObserver((recs) => {
      for (const r of recs) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        const p = el && pathOf(el);
        if (p === null || !isVolatile(p)) { last = performance.now(); return; }
      }
    });
    mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    const tick = () => {
      const now = performance.now();
      if (!ready()) last = now;
      if (now - last >= quietMs || now - start >= maxMs) {
        mo.disconnect();
        resolve(now - last >= quietMs);
        return;
      }
      origSetTimeout(tick, 25);
    };
    tick();
  });

  // before readies the use of a control: whether it is the current choice,
  // where to click it, and a snapshot of the page to compare with after.
  C.before = (key) => {
    const current = C.current(key);
    const pt = C.point(key);
    C.used(key);
    C.snap();
    return { current, x: pt.x || 0, y: pt.y || 0, error: pt.error || "" };
  };

  // after reports what the use of a control did: the address, what changed,
  // the uncaught errors, the controls now on the page and whether the
  // session is still there.
  C.after = async () => {
    let signedIn = true;
    try { signedIn = !!(await (await origFetch("/api/session", { credentials: "same-origin" })).json()).signedIn; } catch (_) { signedIn = false; }
    return { url: location.href, changed: C.changed(), errors: C.takeErrors(), controls: C.controls(), signedIn };
  };

  C.takeErrors = () => { const e = C.errors; C.errors = []; return e; };
})();
