// The side panel of the drill room, by role: the facilitator's controls, the
// designer's and observer's notes and scenario, the participant's response
// roles and notice forms. Everything is built with text nodes only.
import { clear, el, fmtClock, langLinks, prose } from "./common.js";
import { t } from "./i18n.js";
import { fieldHelp, fieldLabel, optionText } from "./words.js";

let ctx = null;
let roomRef = null;
const path = (p) => "/api/drills/" + encodeURIComponent(ctx.drillId) + p;

/** renderSide rebuilds the side panel for the viewer's role, keeping open forms' input. */
export function renderSide(room, actions) {
  ctx = actions;
  roomRef = room;
  const side = $("side");
  const keep = saveInputs(side);
  const focused = document.activeElement && side.contains(document.activeElement) ? document.activeElement.id : "";
  // Focus is restored by id: every control in what is kept open (the
  // confirmations' buttons, the skip forms', the scenario's <summary>) has
  // a stable one, so a keyboard user keeps their place.
  // The panel is rebuilt whenever the view changes (each probe round while a
  // fault is in effect): what the viewer opened (a confirmation, a skip
  // form, the scenario's details) stays open, and the panel keeps its scroll.
  const opened = [...side.querySelectorAll("[data-keep-open]:not(.hidden)")].map((e) => e.id);
  // Open <details> are kept by id, not by position: a section that comes
  // or goes above them must not open the wrong one.
  const details = [...side.querySelectorAll("details[id]")].filter((d) => d.open).map((d) => d.id);
  const scroll = side.scrollTop;
  clear(side);
  const s = room.sess, v = room.view;
  const fac = s.admin || s.role === "facilitator";
  if (fac) facilitatorPanel(side, room);
  else if (s.role === "designer" || s.role === "observer") staffPanel(side, room);
  else participantPanel(side, room);
  restoreInputs(side, keep);
  // Only what the new panel still offers is reopened: a confirmation whose
  // action no longer applies (End once the drill ended) is built without
  // data-keep-open and stays closed.
  for (const id of opened) if ($(id) && $(id).hasAttribute("data-keep-open")) $(id).classList.remove("hidden");
  for (const id of details) if ($(id)) $(id).open = true;
  side.scrollTop = scroll;
  if (focused && $(focused)) $(focused).focus();
  void v;
}

function $(id) { return document.getElementById(id); }

// drafts keeps what was typed in the panel's inputs across re-renders, also
// for forms not shown at the moment (another notice tab).
const drafts = new Map();
function saveInputs(root) {
  for (const e of root.querySelectorAll("input[id], textarea[id], select[id]")) drafts.set(e.id, e.value);
  return drafts;
}
function restoreInputs(root, m) {
  for (const e of root.querySelectorAll("input[id], textarea[id], select[id]")) if (m.has(e.id)) e.value = m.get(e.id);
}

function errBox(id) { return el("p", { class: "error", id, role: "alert" }); }

async function act(errId, fn) {
  const box = $(errId);
  if (box) box.textContent = "";
  try { await fn(); await ctx.refresh(); } catch (e) { if ($(errId)) $(errId).textContent = e.message; }
}

// personaName is a persona's display name (never its id).
function personaName(room, id) {
  if (!id) return t("scenarioNote"); // a back-room note, from nobody in the story
  const p = (room.view.personas || []).find((x) => x.id === id);
  return p ? p.name : id;
}

// channelTitle is a channel as people see it: "# name".
function channelTitle(room, id) {
  const c = (room.view.channels || []).find((x) => x.id === id);
  return "# " + String((c && c.title) || id || "").replace(/^#\s*/, "");
}

// whoName names the actor of an event: a person of the drill, or the drill
// itself when the engine acted on schedule.
function whoName(room, id) {
  if (!id || id === "engine") return t("onSchedule");
  const p = (room.view.people || []).find((x) => x.id === id);
  return p ? p.name : t(id);
}

/** previewText shows a scripted text before it is posted: its template placeholders in words. */
export function previewText(text, room) {
  return String(text || "").replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, expr) => {
    const f = expr.match(/^\(fault\s+"([^"]+)"\)\.(\w+)$/);
    if (f && room) {
      const def = ((room.view.staff.scenario || {}).faults || []).find((x) => x.id === f[1]);
      if (def && f[2] === "Title") return def.title || def.id;
    }
    const key = { ".Now": "tplNow", ".Elapsed": "tplElapsed", ".Remaining": "tplRemaining", ".DrillTitle": "tplTitle", ".Team": "tplTeam" }[expr];
    return "[" + t(key || "tplValue") + "]";
  });
}

// ---- facilitator ---------------------------------------------------------

function facilitatorPanel(side, room) {
  const v = room.view;
  const running = v.state === "running";
  const over = ["ended", "aborted", "closed", "retro"].includes(v.state);
  const post = (p, body) => ctx.api("POST", path(p), body);

  // A confirmation is kept open across rebuilds only while its action
  // applies, and its yes-button is disabled when it does not.
  const abortBox = el("div", { class: "hidden", id: "abortConfirm", dataset: over ? {} : { keepOpen: "" } },
    el("p", { class: "error" }, t("abortConfirm")),
    el("button", { type: "button", class: "danger", id: "abortYes", disabled: over, onclick: () => act("ctlErr", async () => {
      $("abortConfirm").classList.add("hidden");
      const rep = await post("/abort", { confirm: true, why: "aborted from the console" });
      lastAbort = { drill: v.id, rep };
    }) }, t("abort")),
    " ", el("button", { type: "button", id: "abortNo", onclick: () => $("abortConfirm").classList.add("hidden") }, t("cancel")));
  side.append(
    el("h2", {}, t("controls")),
    el("div", { class: "controls" },
      v.state === "draft" || v.state === "scheduled" ? el("button", { type: "button", id: "briefingBtn", title: "open the channels before the start", onclick: () => act("ctlErr", () => post("/briefing")) }, t("briefingStart")) : null,
      el("button", { type: "button", class: "primary", id: "startBtn", disabled: v.state !== "draft" && v.state !== "scheduled" && v.state !== "briefing", onclick: () => act("ctlErr", () => post("/start")) }, t("start")),
      running && !v.paused ? el("button", { type: "button", id: "pauseBtn", onclick: () => act("ctlErr", () => post("/pause", { why: "" })) }, t("pause")) : null,
      running && v.paused ? el("button", { type: "button", id: "resumeBtn", onclick: () => act("ctlErr", () => post("/resume")) }, t("resume")) : null,
      el("button", { type: "button", id: "endBtn", disabled: !running, onclick: () => { if ($("endConfirm")) $("endConfirm").classList.remove("hidden"); } }, t("end")),
      el("button", { type: "button", class: "danger", id: "abortBtn", disabled: over, onclick: () => $("abortConfirm").classList.remove("hidden") }, t("abort"))),
    el("div", { class: "hidden", id: "endConfirm", dataset: running ? { keepOpen: "" } : {} }, el("p", {}, t("endConfirm")),
      el("button", { type: "button", class: "primary", id: "endYes", disabled: !running, onclick: () => { $("endConfirm").classList.add("hidden"); act("ctlErr", () => post("/end", { why: "" })); } }, t("end")),
      " ", el("button", { type: "button", id: "endNo", onclick: () => $("endConfirm").classList.add("hidden") }, t("cancel"))),
    abortBox,
    errBox("ctlErr"),
    // Element.append writes a null as the text "null": nothing to report is "".
    abortReportBox(v) || "",
    clockControl(v));

  const id = encodeURIComponent(v.id);
  side.append(el("nav", { class: "nav", id: "facNav" },
    el("a", { href: "/console" }, t("console")), " · ", el("a", { href: "/history" }, t("historyLink")),
    over ? [" · ", el("a", { href: "/room/" + id + "/retro" }, t("retroLink")), " · ", el("a", { href: "/room/" + id + "/record", id: "recordLink" }, t("recordLink")),
      el("span", { id: "recordLangs" }, langLinks("/room/" + id + "/record", t("recordLink")))] : null));
  faultsSection(side, room, true);
  hintsSection(side, room, true);
  timelineSection(side, room);
  peopleSection(side, room);
  const brief = el("div", { class: "prose", id: "briefing" }, v.staff.briefing ? prose(v.staff.briefing) : t("none"));
  side.append(el("h2", {}, t("briefingText")), brief, copyButton(brief, "copy", v.staff.briefing || ""));
  notesSection(side, room, true);
  scenarioSection(side, room);
}

// lastAbort is the kill switch's report of this page's last abort, kept
// across re-renders of the panel.
let lastAbort = null;

// abortReportBox shows what the abort did to each fault: reverted, or still
// being retried with its latest error.
function abortReportBox(v) {
  if (!lastAbort || lastAbort.drill !== v.id) return null;
  const rep = lastAbort.rep;
  const time = (s) => { const d = new Date(s); return isNaN(d) ? "" : d.toLocaleTimeString(); };
  return el("div", { id: "abortReport", role: "status", dataset: { complete: String(!!rep.complete) } },
    el("p", { class: rep.complete ? "ok" : "error" }, t(rep.complete ? "abortDone" : "abortNotDone")),
    (rep.pending || []).length ? el("div", {}, el("strong", {}, t("abortPending")),
      el("ul", {}, rep.pending.map((p) => el("li", { dataset: { pending: p.id } }, p.title || p.id, ": ", p.error,
        p.nextAttempt ? " (" + t("abortNext") + " " + time(p.nextAttempt) + ")" : "")))) : null,
    (rep.reverted || []).length ? el("div", {}, el("strong", {}, t("abortReverted")),
      el("ul", {}, rep.reverted.map((f) => el("li", { dataset: { reverted: f.id } }, f.title || f.id)))) : null);
}

// clockControl lets the facilitator choose the drill clock until the start:
// real time for the drill, faster for a rehearsal. Afterwards it says which.
function clockControl(v) {
  if (!["draft", "scheduled", "briefing"].includes(v.state)) {
    return el("p", { class: "muted", id: "clockChoice" }, t("clock") + ": " + scaleText(v.timeScale));
  }
  const scales = [1, 10, 60];
  if (!scales.includes(v.timeScale)) scales.push(v.timeScale);
  return el("div", {},
    el("label", { for: "timeScaleSel" }, t("clock")),
    el("select", { id: "timeScaleSel", onchange: (e) => act("ctlErr", () => ctx.api("POST", path("/time-scale"), { timeScale: Number(e.target.value) })) },
      scales.map((s) => el("option", { value: String(s), selected: s === v.timeScale }, scaleText(s)))));
}

/** scaleText words a drill clock speed. */
export function scaleText(s) {
  if (s === 1) return t("cReal");
  return t("cRehearsal", { scale: s, minutes: Math.round(90 / s * 10) / 10 });
}

function peopleSection(side, room) {
  const post = (p, body) => ctx.api("POST", path(p), body);
  const linkBox = el("div", { id: "linkBox" });
  // A closed drill takes nobody new.
  if (room.view.state === "closed") return;
  side.append(el("h2", {}, t("addPerson")),
    el("form", { id: "addPerson", onsubmit: (e) => {
      e.preventDefault();
      act("personErr", async () => {
        const res = await post("/people", { name: $("personName").value, role: $("personRole").value });
        $("personName").value = "";
        showLink(res);
      });
    } },
    el("label", { for: "personName" }, t("name")), el("input", { id: "personName", required: true, maxlength: 80 }),
    el("label", { for: "personRole" }, t("role")),
    el("select", { id: "personRole" }, ["participant", "observer", "designer"].map((r) => el("option", { value: r }, t(r)))),
    el("p", {}, el("button", { type: "submit", id: "addPersonBtn" }, t("add")))),
    errBox("personErr"), linkBox);
  showLinks();
  const ul = el("ul", { class: "people" });
  for (const p of room.view.people || []) ul.append(personRow(p, post));
  side.append(ul);
}

// confirming is the person action awaiting the facilitator's confirmation
// ({pid, kind: "remove" | "end"}), kept across re-renders of the panel.
let confirming = null;
// sessionsEnded are the people whose sessions this console ended and who
// have no new link yet: their row says so (the drill's view does not change).
const sessionsEnded = new Set();

// personRow is one person of the people list with their access controls:
// a new link, ending their sessions, and removing them (with a reason).
// Both access-ending actions ask for confirmation first.
function personRow(p, post) {
  const base = "/people/" + encodeURIComponent(p.id);
  const li = el("li", { dataset: { personRow: p.id } }, p.name + " · " + t(p.role) + " ");
  if (p.removed) {
    li.append(el("span", { class: "muted" }, t("personRemoved")));
    return li;
  }
  li.append(el("button", { type: "button", dataset: { newLink: p.id }, onclick: () => act("personErr", async () => {
    showLink(await post(base + "/link"));
    if (sessionsEnded.delete(p.id)) ctx.rerender();
  }) }, t("newLink")));
  if (sessionsEnded.has(p.id)) li.append(" ", el("span", { class: "muted", dataset: { sessionsEnded: p.id } }, t("sessionsEndedNote")));
  // The facilitator's own access ends by signing out, not from here.
  if (p.role === "facilitator") return li;
  const ask = (kind) => () => { confirming = { pid: p.id, kind }; ctx.rerender(); };
  li.append(" ",
    el("button", { type: "button", dataset: { endSessions: p.id }, onclick: ask("end") }, t("endSessions")), " ",
    el("button", { type: "button", dataset: { remove: p.id }, onclick: ask("remove") }, t("removePerson")));
  if (!confirming || confirming.pid !== p.id) return li;
  const cancel = el("button", { type: "button", dataset: { cancelAccess: p.id }, onclick: () => { confirming = null; ctx.rerender(); } }, t("cancel"));
  // The drill's view may not change (ending sessions keeps the person):
  // the panel is rebuilt here so the confirmation goes away either way.
  const done = (fn) => act("personErr", async () => { await fn(); confirming = null; ctx.rerender(); });
  if (confirming.kind === "end") {
    li.append(el("div", { class: "confirm" }, el("p", {}, t("endSessionsConfirm", { name: p.name })),
      el("button", { type: "button", dataset: { confirmEnd: p.id }, onclick: () => done(async () => {
        await post(base + "/sessions/end");
        sessionsEnded.add(p.id);
      }) }, t("endSessions")), " ", cancel));
  } else {
    const why = el("input", { id: "removeWhy-" + p.id, maxlength: 500, required: true });
    li.append(el("form", { class: "confirm", onsubmit: (e) => {
      e.preventDefault();
      done(() => post(base + "/remove", { why: why.value }));
    } }, el("p", {}, t("removeConfirm", { name: p.name })),
    el("label", { for: why.id }, t("removeWhy")), why,
    el("button", { type: "submit", dataset: { confirmRemove: p.id } }, t("removePerson")), " ", cancel));
  }
  return li;
}

// newLinks are the join links issued in this console since the facilitator
// last dismissed them: each is shown once by the server, so none is lost
// when several people are added one after another.
let newLinks = [];
function showLink(res) {
  newLinks = newLinks.filter((l) => l.person.id !== res.person.id).concat([res]);
  showLinks();
}

function showLinks() {
  const box = $("linkBox");
  if (!box) return;
  clear(box);
  if (!newLinks.length) return;
  box.append(el("label", {}, t("joinLinks")));
  for (const res of newLinks) {
    const link = el("div", { class: "link", dataset: { person: res.person.id, role: res.person.role } }, res.url);
    box.append(el("div", { class: "linkrow" }, el("strong", {}, res.person.name + " · " + t(res.person.role)), link, copyButton(link)));
  }
  const block = el("pre", { class: "link", id: "linkBlock" },
    t("briefingBlock", { title: (roomRef && roomRef.view.title) || "" }) + "\n" + newLinks.map((l) => "- " + l.person.name + " (" + t(l.person.role) + "): " + l.url).join("\n"));
  box.append(el("label", {}, t("joinLinksBlock")), block,
    el("div", { class: "controls" }, copyButton(block, "copyAll"),
      el("button", { type: "button", id: "dismissLinks", onclick: () => { newLinks = []; showLinks(); } }, t("dismissLinks"))));
}

/** copyButton copies the node's text, or selects it where the clipboard is not available. */
function copyButton(node, label = "copy", text = null) {
  return el("button", { type: "button", dataset: { copy: node.id || "" }, onclick: async (e) => {
    try {
      await navigator.clipboard.writeText(text !== null ? text : node.textContent);
      e.target.textContent = t("copied");
    } catch (_) {
      const r = document.createRange();
      r.selectNodeContents(node);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
    }
  } }, t(label));
}

/** parseDur parses a scenario duration such as "1h30m" or "45s" into milliseconds. */
function parseDur(s) {
  let ms = 0;
  for (const m of String(s || "").matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) ms += Number(m[1]) * { h: 3600000, m: 60000, s: 1000 }[m[2]];
  return ms;
}

// faultTrigger words when a fault fires.
function faultTrigger(room, f) {
  if (f.onDemand) return t("triggerOnDemand");
  if (f.triggerAfter) {
    const a = f.triggerAfter;
    const other = (room.view.staff.faults || []).find((x) => x.id === a.fault);
    return t("triggerAfter", { fault: (other && other.title) || a.fault, event: t("chain." + a.event) }) +
      (a.delayMs ? " " + t("triggerDelay", { delay: fmtClock(a.delayMs) }) : "");
  }
  return t("triggerAt", { at: fmtClock(f.triggerAt || 0) });
}

// recursLine says how a cascade comes back while its cause persists: the
// rule and count, when it comes back next, or that it stays fixed.
function recursLine(room, r) {
  const cause = r.cause && ((room.view.staff.faults || []).find((x) => x.id === r.cause) || {}).title || r.cause;
  const args = { cause, while: r.while, after: fmtClock(r.afterMs), count: r.count, times: r.times };
  return el("div", { class: "recurs muted", dataset: { recurs: String(r.count), staysFixed: String(!!r.staysFixed) } },
    t(cause ? "recursRule" : "recursRuleWhile", args),
    r.staysFixed ? " · " + t("recursStaysFixed") : "",
    r.dueMs != null && !r.staysFixed ? " · " + t(cause ? "recursDue" : "recursDueWhile", { ...args, at: fmtClock(r.dueMs) }) : "");
}

// live is a duration that the room's clock tick keeps moving: drill time
// since the given drill millisecond.
function live(sinceMs, extra = {}) {
  return el("span", { class: "live", dataset: { since: String(sinceMs) }, ...extra }, fmtClock(Math.max(0, ctx.elapsedMs() - sinceMs)));
}

function checksList(f) {
  if (f.manual && !(f.checks || []).length) return el("div", { class: "muted" }, t("manualResolve"));
  const ul = el("ul", { class: "checks" });
  for (const c of f.checks || []) {
    const state = c.checkedMs < 0 ? "unchecked" : c.ok ? "pass" : "fail";
    ul.append(el("li", { class: "check check-" + state, dataset: { check: c.name, checkState: state } },
      el("span", { class: "mark", "aria-hidden": "true" }, { pass: "✓", fail: "✗", unchecked: "…" }[state]), " ",
      el("span", {}, c.name), " ", el("span", { class: "pill" }, t("check." + state)),
      c.detail ? el("div", { class: "muted detail" }, c.detail) : null));
  }
  return ul;
}

function faultsSection(side, room, controls) {
  const post = (p) => ctx.api("POST", path(p));
  side.append(el("h2", {}, t("faults")));
  for (const f of room.view.staff.faults || []) {
    const fp = (a) => "/faults/" + encodeURIComponent(f.id) + "/" + a;
    const inEffect = f.phase === "in-effect" && f.injectedMs != null;
    const passing = (f.checks || []).filter((c) => c.ok && c.checkedMs >= 0).length, total = (f.checks || []).length;
    side.append(el("div", { class: "fault", dataset: { fault: f.id, phase: f.phase } },
      el("div", {}, el("strong", {}, f.title || f.id), " ", el("span", { class: "phase phase-" + f.phase }, t(f.phase))),
      el("div", { class: "muted" }, faultTrigger(room, f)),
      inEffect ? el("div", {}, t("inEffectFor") + " ", live(f.injectedMs, { class: "live", id: "since-" + f.id }),
        " (" + t("sinceAt", { at: fmtClock(f.injectedMs) }) + ")",
        total ? " · " + t("checksPassing", { n: passing, total }) : "") : null,
      inEffect && f.recoveringMs != null ? el("div", { class: "ok" }, t("recovering") + " ",
        live(f.recoveringMs), " / " + fmtClock(f.stableForMs || 0)) : null,
      f.resolvedMs != null ? el("div", { class: "muted" }, t("resolvedAt", { at: fmtClock(f.resolvedMs) }) + (f.resolvedBy ? " · " + t("by." + f.resolvedBy) : "")) : null,
      f.phase === "in-effect" || f.phase === "resolved" ? checksList(f) : null,
      f.lastError ? el("div", { class: "error" }, f.lastError) : null,
      f.recurs ? recursLine(room, f.recurs) : null,
      f.fireRequested && f.phase === "pending" ? el("div", { class: "muted" }, t("firesOnResume")) : null,
      controls ? el("div", { class: "controls" },
        // A pending fault fires now only in a running drill (paused: when it resumes).
        f.phase === "pending" && !f.fireRequested && room.view.state === "running" ? el("button", { type: "button", id: "faultFire-" + f.id, onclick: () => act("faultErr", () => post(fp("fire"))) }, t("fire")) : null,
        f.phase === "pending" ? el("button", { type: "button", id: "faultSkip-" + f.id, onclick: () => {
          const why = prompt(t("skipFaultWhy"));
          if (why && why.trim()) act("faultErr", () => ctx.api("POST", path(fp("skip")), { why }));
        } }, t("skip")) : null,
        f.phase === "in-effect" ? el("button", { type: "button", id: "faultResolve-" + f.id, onclick: () => act("faultErr", () => post(fp("resolve"))) }, t("resolve")) : null) : null));
  }
  if (controls) side.append(errBox("faultErr"));
}

function hintsSection(side, room, controls) {
  const post = (p) => ctx.api("POST", path(p));
  const sc = room.view.staff.scenario;
  side.append(el("h2", {}, t("hints")));
  // A scenario without hints says so rather than leave the heading empty.
  if (!(room.view.staff.hints || []).length) {
    side.append(el("p", { class: "muted", id: "noHints" }, t("noHints")));
    return;
  }
  const pending = (room.view.staff.hints || []).some((h) => h.givenAt == null && !h.skipped);
  // A pending hint can be skipped until the drill stops.
  const skippable = controls && ["draft", "scheduled", "briefing", "running"].includes(room.view.state);
  if (controls) side.append(el("button", { type: "button", id: "nextHint", disabled: !pending || room.view.state !== "running", onclick: () => act("hintErr", () => post("/hints/next")) }, t("fireNextHint")));
  const ul = el("ul", { class: "timeline", id: "hintList" });
  for (const h of room.view.staff.hints || []) {
    const def = (sc.hints || []).find((x) => x.id === h.id) || {};
    const done = h.givenAt != null || h.skipped;
    const skipId = "hintWhy-" + h.id;
    const skipForm = skippable && !done ? el("form", { class: "hidden inline", id: "hintSkip-" + h.id, dataset: { keepOpen: "" }, onsubmit: (e) => {
      e.preventDefault();
      const why = $(skipId).value.trim();
      if (!why) { $("hintErr").textContent = t("skipWhyNeeded"); $(skipId).classList.add("field-error"); $(skipId).focus(); return; }
      act("hintErr", () => ctx.api("POST", path("/hints/" + encodeURIComponent(h.id) + "/skip"), { why }));
    } },
    el("label", { for: skipId }, t("skipHintWhy")), el("input", { id: skipId, maxlength: 500 }),
    el("button", { type: "submit", class: "danger", id: "hintSkipYes-" + h.id, dataset: { skipHintYes: h.id } }, t("skip")),
    " ", el("button", { type: "button", id: "hintSkipNo-" + h.id, onclick: () => $("hintSkip-" + h.id).classList.add("hidden") }, t("cancel"))) : null;
    ul.append(el("li", { class: done ? "done" : "", dataset: { hint: h.id, hintState: h.givenAt != null ? "given" : h.skipped ? "skipped" : "pending" } },
      t("at") + " " + fmtClock(h.at / 1e6) + " · " + personaName(room, def.persona) + " → " + channelTitle(room, def.channel) + ": " + previewText(def.text || h.id, room),
      h.givenAt != null ? el("span", { class: "pill" }, t("given") + " " + fmtClock(h.givenAt / 1e6)) : null,
      h.skipped ? el("span", { class: "pill" }, t("skipped")) : null,
      h.skipped && h.reason ? el("div", { class: "muted" }, whoName(room, h.by) + ": " + h.reason) : null,
      skippable && !done ? el("button", { type: "button", id: "hintSkipBtn-" + h.id, dataset: { skipHint: h.id }, onclick: () => { $("hintSkip-" + h.id).classList.remove("hidden"); $(skipId).focus(); } }, t("skip")) : null,
      skipForm));
  }
  side.append(ul);
  if (controls) side.append(errBox("hintErr"));
}

function timelineSection(side, room) {
  const sc = room.view.staff.scenario;
  const st = new Map((room.view.staff.injects || []).map((i) => [i.id, i]));
  side.append(el("h2", {}, t("timeline")));
  const ul = el("ul", { class: "timeline" });
  // The next timed inject still to come is marked: what is next.
  const next = (sc.injects || []).filter((i) => i.at && (st.get(i.id) || {}).postedAt == null)
    .sort((a, b) => parseDur(a.at) - parseDur(b.at))[0];
  for (const i of sc.injects || []) {
    const s = st.get(i.id) || {};
    const when = i.at ? t("at") + " " + fmtClock(parseDur(i.at)) : i.on ? onWords(room, i.on) : "";
    ul.append(el("li", { class: s.postedAt != null ? "done" : i === next ? "next" : "", dataset: { inject: i.id } },
      (i === next ? "▶ " + t("next") + " · " : "") + when + " · " + personaName(room, i.persona) + " → " + channelTitle(room, i.channel) + ": " + previewText(i.text, room),
      i.expectedAction ? el("div", { class: "muted" }, "→ " + i.expectedAction) : null));
  }
  // Scripted alerts (at a time or on an event) are part of the plan too:
  // when they come, who posts them where, and whether they fired.
  const ast = new Map((room.view.staff.alerts || []).map((a) => [a.id, a]));
  for (const a of sc.alerts || []) {
    if (!a.at && !a.on) continue;
    const s = ast.get(a.id) || {};
    const when = a.at ? t("at") + " " + fmtClock(parseDur(a.at)) : onWords(room, a.on);
    ul.append(el("li", { class: s.firstFired != null ? "done" : "", dataset: { alert: a.id } },
      when + " · " + t("alertEntry") + " · " + personaName(room, a.persona) + " → " + channelTitle(room, a.channel) + ": " + a.title,
      s.firing ? el("span", { class: "pill" }, t("alertFiring")) : null,
      s.posts ? el("span", { class: "pill" }, t("alertPosted", { n: s.posts })) : null));
  }
  side.append(ul);
}

// onWords says in words when an event-triggered inject is posted.
function onWords(room, on) {
  const fault = on.fault ? ((room.view.staff.faults || []).find((f) => f.id === on.fault) || {}).title || on.fault : "";
  const alert = on.alert ? (((room.view.staff.scenario || {}).alerts || []).find((a) => a.id === on.alert) || {}).title || on.alert : "";
  const notice = on.notice ? t({ incident: "incidentNotice", "status-update": "statusNotice", resolution: "resolutionNotice" }[on.notice] || on.notice) : "";
  const match = on.match ? [...(on.match.words || []).map((x) => "“" + x + "”"), ...(on.match.regex ? ["/" + on.match.regex + "/"] : [])].join(" / ") : "";
  const target = on.check && on.check.target ? [on.check.target.kind, on.check.target.name].filter(Boolean).join(" ") : "";
  let w = t("on." + on.event, { fault, alert, notice, inject: on.inject || "", match, target, by: on.by ? fmtClock(parseDur(on.by)) : "" });
  if (on.delay) w += " " + t("triggerDelay", { delay: fmtClock(parseDur(on.delay)) });
  return w;
}

function scenarioSection(side, room) {
  const sc = room.view.staff.scenario;
  side.append(el("details", { id: "scenarioDetails" }, el("summary", { id: "scenarioSummary" }, t("scenarioText") + ": " + (sc.metadata.title || sc.metadata.name)),
    el("div", { class: "prose" }, prose(sc.metadata.summary || "")),
    sc.candidate ? el("p", { id: "playedCandidate" }, el("strong", {}, t("playedCandidate") + ": "), sc.candidate.title,
      sc.candidate.description ? el("span", { class: "muted" }, " — " + sc.candidate.description) : null) : null,
    el("h2", {}, t("solution")), el("div", { class: "prose", id: "solution" }, room.view.staff.solution ? prose(room.view.staff.solution) : t("none"))));
}

function notesSection(side, room, canWrite) {
  const notes = room.view.staff.notes || [];
  const s = notes.filter((n) => n.tag === "strength").length, w = notes.length - s;
  const bal = el("div", { class: "balance", title: s + " : " + w });
  const sd = el("div", { class: "s" }), wd = el("div", { class: "w" });
  const tot = Math.max(1, s + w);
  sd.style.width = (100 * s) / tot + "%"; wd.style.width = (100 * w) / tot + "%";
  bal.append(sd, wd);
  side.append(el("h2", {}, t("notes")),
    el("div", { class: "muted", id: "balanceText" }, t("balance") + ": " + t("strength") + " " + s + " : " + w + " " + t("weakness")), bal);
  // A closed drill takes no more notes.
  if (canWrite && room.view.state !== "closed") {
    side.append(el("form", { id: "noteForm", onsubmit: (e) => {
      e.preventDefault();
      act("noteErr", async () => {
        await ctx.api("POST", path("/notes"), { tag: $("noteTag").value, text: $("noteText").value });
        $("noteText").value = "";
      });
    } },
    el("select", { id: "noteTag", "aria-label": "tag" }, el("option", { value: "strength" }, t("strength")), el("option", { value: "weakness" }, t("weakness"))),
    el("textarea", { id: "noteText", rows: 2, maxlength: 4000, "aria-label": t("notes") }),
    el("button", { type: "submit", id: "noteBtn" }, t("addNote"))), errBox("noteErr"));
  }
  for (const n of notes.slice().reverse()) {
    side.append(el("div", { class: "note" }, el("span", { class: "tag-" + n.tag }, t(n.tag)), " " + fmtClock(n.drillTimeMs) + " · " + n.authorName + ": ", n.text));
  }
}

// ---- designer and observer -----------------------------------------------

function staffPanel(side, room) {
  notesSection(side, room, true);
  faultsSection(side, room, false);
  hintsSection(side, room, false);
  timelineSection(side, room);
  scenarioSection(side, room);
}

// ---- participants --------------------------------------------------------

let noticeKind = "incident";
// defaultTitles are the built-in notice forms' titles: the room says them in
// the viewer's language; a scenario's own titles are shown as written.
const defaultTitles = ["Incident notice", "Status update", "Resolution notice"];

function participantPanel(side, room) {
  const v = room.view;
  const me = (v.people || []).find((p) => p.id === room.sess.personId) || { claims: [] };
  const mine = new Set(me.claims || []);
  // Roles are claimed until the drill ends (the server refuses them after):
  // the buttons then only show who held what.
  const over = ["ended", "retro", "closed", "aborted"].includes(v.state);
  side.append(el("h2", {}, t("claims")),
    el("div", { class: "controls" }, v.claimRoles.map((r) => el("button", {
      type: "button", class: mine.has(r) ? "primary" : "", dataset: { claim: r }, "aria-pressed": String(mine.has(r)), disabled: over,
      onclick: () => claim(r, mine.has(r), false),
    }, (mine.has(r) ? "✓ " : "") + t(r)))), el("div", { id: "takeOver", class: "hidden" }), errBox("claimErr"));
  confirmationsSection(side, v);

  const kinds = [["incident", v.notices.incident, "incidentNotice"], ["status-update", v.notices.statusUpdate, "statusNotice"], ["resolution", v.notices.resolution, "resolutionNotice"]].filter((k) => k[1]);
  if (!kinds.length) return;
  if (v.state !== "running") {
    // The server takes notices only while the drill runs.
    side.append(el("h2", {}, t("notices")), el("p", { class: "muted", id: "noticesClosed" }, t("noticesWhileRunning")));
    return;
  }
  if (!kinds.some((k) => k[0] === noticeKind)) noticeKind = kinds[0][0];
  side.append(el("h2", {}, t("notices")),
    el("div", { class: "tabs" }, kinds.map(([k, tpl, label]) => el("button", {
      type: "button", class: k === noticeKind ? "active" : "", dataset: { noticeTab: k },
      onclick: () => { noticeKind = k; ctx.rerender(); },
    }, tpl.title && !defaultTitles.includes(tpl.title) ? tpl.title : t(label)))));
  const tpl = kinds.find((k) => k[0] === noticeKind)[1];
  const form = el("form", { id: "noticeForm", dataset: { kind: noticeKind }, novalidate: true, onsubmit: (e) => { e.preventDefault(); postNotice(tpl); } });
  for (const f of tpl.fields) {
    const id = "nf-" + noticeKind + "-" + f.id;
    const label = el("label", { for: id }, fieldLabel(noticeKind, f) + (f.required ? " *" : ""));
    let input;
    if (f.type === "textarea") input = el("textarea", { id, rows: 3, dataset: { field: f.id } });
    else if (f.type === "select") {
      const opts = f.options && f.options.length ? f.options : (v.notices.grades && v.notices.grades.length ? v.notices.grades : ["SEV1", "SEV2", "SEV3", "SEV4"]);
      input = el("select", { id, dataset: { field: f.id } }, el("option", { value: "" }, "—"), opts.map((o) => el("option", { value: o }, optionText(f, o))));
    }
    else if (f.type === "scale") input = el("select", { id, dataset: { field: f.id } }, el("option", { value: "" }, "—"), [1, 2, 3, 4, 5].map((o) => el("option", { value: String(o) }, String(o))));
    else input = el("input", { id, dataset: { field: f.id }, placeholder: f.type === "time" ? t("eg", { v: "14:05" }) : f.type === "duration" ? t("eg", { v: "20m" }) : "" });
    if (f.required) input.setAttribute("aria-required", "true");
    form.append(label, input);
    if (f.help) form.append(el("div", { class: "muted" }, fieldHelp(noticeKind, f)));
  }
  form.append(errBox("noticeErr"), el("p", { class: "ok", id: "noticeOk" }), el("button", { type: "submit", class: "primary", id: "noticeBtn" }, t("post")));
  side.append(form);
}

// fieldProblems words a refused notice in the viewer's language, with the
// form's labels, in the form's order.
function fieldProblems(tpl, problems) {
  const out = [];
  for (const f of tpl.fields) {
    const p = problems[f.id];
    if (p) out.push("“" + fieldLabel(noticeKind, f) + "”: " + t("fp." + p, { options: (f.options || []).map((o) => optionText(f, o)).join(", ") }));
  }
  for (const [id, p] of Object.entries(problems)) if (!tpl.fields.some((f) => f.id === id)) out.push("“" + id + "”: " + t("fp." + p));
  return out.join(" ");
}

// claim claims or releases a response role. Incident commander is held by
// one person at a time: claiming it from someone asks to take over.
// confirmationsSection lists what participants confirm in the room for a
// fault to count as resolved (what no probe sees): a button each, until
// someone confirmed it.
function confirmationsSection(side, v) {
  const cs = v.confirmations || [];
  if (!cs.length) return;
  side.append(el("h2", {}, t("confirmTitle")), el("p", { class: "muted" }, t("confirmHelp")),
    el("ul", { class: "confirmations" }, cs.map((c) => el("li", { dataset: { confirmation: c.key } },
      el("div", {}, c.label),
      c.confirmedBy
        ? el("div", { class: "ok", dataset: { confirmed: "true" } }, "✓ " + t("confirmedBy", { name: personNameOf(v, c.confirmedBy) }))
        : el("button", { type: "button", class: "primary", disabled: !c.open, dataset: { confirm: c.key }, onclick: () => confirmIt(c.key) }, t("confirmBtn"))))),
    errBox("confirmErr"));
}

function personNameOf(v, id) {
  const p = (v.people || []).find((x) => x.id === id);
  return p ? p.name : id;
}

async function confirmIt(key) {
  $("confirmErr").textContent = "";
  try {
    await ctx.api("POST", path("/confirmations/" + encodeURIComponent(key)));
    await ctx.refresh();
  } catch (e) {
    $("confirmErr").textContent = e.message;
  }
}

async function claim(role, release, takeOver) {
  const box = $("takeOver");
  $("claimErr").textContent = "";
  try {
    await ctx.api("POST", path("/claims"), { role, release, takeOver });
    if (box) clear(box).classList.add("hidden");
    await ctx.refresh();
  } catch (e) {
    if (e.status === 409 && e.body && e.body.holderName && box) {
      clear(box).classList.remove("hidden");
      box.append(el("p", {}, t("takeOverAsk", { name: e.body.holderName, role: t(role) })),
        el("button", { type: "button", class: "primary", id: "takeOverYes", onclick: () => claim(role, false, true) }, t("takeOver")), " ",
        el("button", { type: "button", id: "takeOverNo", onclick: () => clear(box).classList.add("hidden") }, t("cancel")));
      return;
    }
    $("claimErr").textContent = e.message;
  }
}

async function postNotice(tpl) {
  const form = $("noticeForm");
  const fields = {};
  for (const i of form.querySelectorAll("[data-field]")) {
    i.classList.remove("field-error");
    i.removeAttribute("aria-invalid");
    if (i.value.trim() !== "") fields[i.dataset.field] = i.value;
  }
  $("noticeErr").textContent = ""; $("noticeOk").textContent = "";
  try {
    await ctx.api("POST", path("/notices"), { kind: form.dataset.kind, fields });
    for (const i of form.querySelectorAll("[data-field]")) i.value = "";
    $("noticeOk").textContent = t("posted");
    const ch = tpl.channel;
    if (ch) ctx.switchChannel(ch);
  } catch (e) {
    $("noticeErr").textContent = e.problems ? fieldProblems(tpl, e.problems) : e.message;
    for (const f of e.fields || []) {
      const i = form.querySelector('[data-field="' + CSS.escape(f) + '"]');
      if (i) { i.classList.add("field-error"); i.setAttribute("aria-invalid", "true"); }
    }
    const first = form.querySelector(".field-error");
    if (first) first.focus();
  }
}
