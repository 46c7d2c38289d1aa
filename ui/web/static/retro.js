// The retrospective: the person's form (saved as they type, kept across a
// reload), the presentation order, the question queue, follow-up actions,
// the facilitator's console, and the drill's private parts opened at the end.
import { api, chrome, clear, el, fmtClock, langLinks, loadSession, prose } from "./common.js";
import { questionText, rt, translateRT } from "./retro-i18n.js";
import { currentLang, t } from "./i18n.js";
import { phrase, say } from "./words.js";

const drillId = decodeURIComponent(location.pathname.split("/")[2] || "");
const base = "/api/drills/" + encodeURIComponent(drillId);
const $ = (id) => document.getElementById(id);

let me = null;          // session
let view = null;        // latest RetroView
let storeKey = "";      // localStorage key of this person's unsent answers
let saveTimer = null, saving = false, again = false, dirty = false;

// ---- the form ----

function ratingInputs(set, name) {
  const fs = $(set);
  for (let v = 1; v <= 5; v++) {
    fs.append(el("label", {}, el("input", { type: "radio", name, value: String(v), id: name + v }), String(v)));
  }
}

function collect() {
  const rating = (name) => { const c = document.querySelector(`input[name=${name}]:checked`); return c ? Number(c.value) : 0; };
  const extra = {};
  for (const q of (view && view.form.questions) || []) {
    const e = document.querySelector(`[data-q="${CSS.escape(q.id)}"]`);
    if (!e) continue;
    if (e.tagName === "FIELDSET") { const c = e.querySelector("input:checked"); if (c) extra[q.id] = c.value; }
    else if (e.value.trim() !== "") extra[q.id] = e.value;
  }
  return {
    wentWell: $("wentWell").value, lacking: $("lacking").value, better: $("better").value,
    before: rating("before"), after: rating("after"), extra, anonymous: $("anonymous").checked,
  };
}

function fill(a) {
  $("wentWell").value = a.wentWell || "";
  $("lacking").value = a.lacking || "";
  $("better").value = a.better || "";
  for (const name of ["before", "after"]) {
    for (const i of document.querySelectorAll(`input[name=${name}]`)) i.checked = Number(i.value) === a[name];
  }
  $("anonymous").checked = !!a.anonymous;
  $("anonNamed").checked = !a.anonymous;
  for (const q of view.form.questions) {
    const e = document.querySelector(`[data-q="${CSS.escape(q.id)}"]`);
    const v = (a.extra || {})[q.id] || "";
    if (!e) continue;
    if (e.tagName === "FIELDSET") { for (const i of e.querySelectorAll("input")) i.checked = i.value === v; }
    else e.value = v;
  }
}

function buildExtra(questions) {
  const box = clear($("extra"));
  for (const q of questions) {
    if (q.type === "scale") {
      const fs = el("fieldset", { class: "rating", "data-q": q.id }, el("legend", {}, questionText(q) + (q.required ? " *" : "")));
      for (let v = 1; v <= 5; v++) fs.append(el("label", {}, el("input", { type: "radio", name: "q-" + q.id, value: String(v) }), String(v)));
      box.append(fs);
    } else {
      const id = "q-" + q.id;
      box.append(el("label", { for: id }, questionText(q) + (q.required ? " *" : "")));
      box.append(el(q.type === "text" ? "input" : "textarea", { id, "data-q": q.id, rows: 2, maxlength: 4000 }));
    }
  }
}

function setState(key, vars) {
  // Once the retro is closed a submission is final: "you can still edit" no longer holds.
  const text = key === "submitted" && view && view.closed ? rt("submittedFinal") : rt(key, vars);
  $("saveState").textContent = text; $("saveState").dataset.state = key;
}

function remember() {
  localStorage.setItem(storeKey, JSON.stringify({ answers: collect(), dirty }));
}

function onInput() {
  if (!view || !view.open) return;
  dirty = true;
  remember();
  setState("unsaved");
  clearTimeout(saveTimer);
  saveTimer = setTimeout(save, 1000);
}

// lockChoice shows that the person's first save fixed whether they answer
// anonymously: answers once journaled under a name stay there.
let choiceLocked = false;
function lockChoice(anonymous) {
  choiceLocked = true;
  $("anonymous").checked = anonymous;
  $("anonNamed").checked = !anonymous;
  $("anonymous").disabled = $("anonNamed").disabled = true;
  $("anonLocked").textContent = rt(anonymous ? "anonLockedAnon" : "anonLockedNamed");
  $("anonLocked").classList.remove("hidden");
}

async function save() {
  if (saving) { again = true; return; }
  saving = true;
  setState("saving");
  const sent = collect();
  try {
    // The first save fixes the choice: lock it as it is sent, so that no
    // click can contradict a save already on its way.
    lockChoice(sent.anonymous);
    await api("PUT", base + "/retro/answers", sent);
    if (JSON.stringify(sent) === JSON.stringify(collect())) dirty = false;
    remember();
    setState(view.form.submitted ? "submitted" : "saved");
    $("formError").textContent = "";
  } catch (e) {
    setState("saveFailed", { msg: e.message });
  } finally {
    saving = false;
    if (again) { again = false; save(); }
  }
}

// A reload or a closed tab still sends what was typed since the last save.
window.addEventListener("pagehide", () => {
  if (!dirty || !view || !view.open) return;
  fetch(base + "/retro/answers", {
    method: "PUT", keepalive: true, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf }, body: JSON.stringify(collect()),
  });
});

async function submit(ev) {
  ev.preventDefault();
  const a = collect();
  // Only participants rate themselves; the staff's form has no ratings.
  if (view.form.selfRating) {
    $("beforeSet").classList.toggle("missing", !a.before);
    $("afterSet").classList.toggle("missing", !a.after);
    if (!a.before || !a.after) { $("formError").textContent = rt("needRatings"); return; }
  }
  clearTimeout(saveTimer);
  try {
    lockChoice(a.anonymous);
    await api("POST", base + "/retro/submit", a);
    dirty = false;
    remember();
    $("formError").textContent = "";
    await refresh();
    setState("submitted");
  } catch (e) {
    $("formError").textContent = e.message;
  }
}

// ---- shared parts ----

function renderShared() {
  const v = view;
  $("title").textContent = v.title;
  // The drill's state in words, and a rehearsal (a faster drill clock) says so.
  $("state").textContent = v.closed ? rt("closed") : t(v.state);
  $("rehearsal").textContent = v.timeScale && v.timeScale !== 1 ? rt("rehearsalTag", { scale: v.timeScale }) : "";
  $("rehearsal").classList.toggle("hidden", !(v.timeScale && v.timeScale !== 1));
  // The survey link is recorded when the retro closes; it ends the retro.
  $("survey").classList.toggle("hidden", !(v.closed && v.surveyUrl));
  if (v.surveyUrl) $("surveyLink").href = v.surveyUrl;
  $("roomLink").href = "/room/" + encodeURIComponent(v.drillId);
  // A person who joined by link keeps only the retro of a closed drill:
  // no link to a room that refuses them.
  $("roomLink").classList.toggle("hidden", v.closed && !v.exports.print);
  // The server's copy is English; a Korean room reads it in Korean.
  $("blameless").textContent = currentLang() === "ko" ? rt("blameless") : v.form.blameless;
  // The facilitator's retro controls work while the retro is open.
  for (const e of document.querySelectorAll(".fac")) e.classList.toggle("hidden", !v.facilitator || v.closed || !v.open);
  // An ended drill is still reverting its faults: the server closes it only after.
  const reverting = v.state === "ended";
  $("closeBtn").disabled = reverting;
  $("closeBtn").title = reverting ? rt("closeAfterRevert") : "";
  // Each role has its own questions: only participants rate themselves.
  for (const id of ["beforeSet", "afterSet", "thenTest"]) $(id).classList.toggle("hidden", !v.form.selfRating);
  for (const e of document.querySelectorAll("#form textarea, #form input, #submitBtn")) e.disabled = !v.open;
  $("submitBtn").textContent = rt(v.form.submitted ? "resubmit" : "submit");
  if (v.closed && v.form.submitted) setState("submitted");
  if (v.form.saved) lockChoice(!!v.form.answers.anonymous);
  else if (choiceLocked) lockChoice($("anonymous").checked);

  if (v.aggregate) {
    $("aggregate").classList.remove("hidden");
    const a = v.aggregate;
    $("aggText").textContent = rt(a.count === 1 ? "aggTextOne" : "aggText", { before: a.before.toFixed(1), after: a.after.toFixed(1), change: (a.changePct >= 0 ? "+" : "") + a.changePct, count: a.count });
    $("ratingsChart").src = v.exports.ratings + "?n=" + a.count + "-" + a.before + "-" + a.after + "&lang=" + currentLang();
  }

  const order = clear($("order"));
  for (const p of v.order) {
    order.append(el("li", { class: p.personId === v.presenting ? "presenting" : "" },
      el("span", { class: "who" }, p.name), " ", el("span", { class: "muted small" }, "(" + rt("role." + p.role) + ")"),
      p.personId === v.presenting ? el("span", { class: "small" }, " — " + rt("presenting")) : null,
      v.facilitator && p.submitted ? el("span", { class: "sub", title: "submitted" }, "✓") : null,
      v.facilitator && !p.submitted && p.started ? el("span", { class: "muted small" }, " …") : null));
  }
  // The facilitator learns how many answers are anonymous, never whose.
  $("submittedCount").textContent = rt("submittedCount", { n: v.submitted, m: v.people }) +
    (v.anonymousSubmitted ? " · " + rt("anonCount", { n: v.anonymousSubmitted }) : "");
  renderPresenting();

  const qs = clear($("questions"));
  for (const q of v.questions) {
    qs.append(el("li", { class: q.answered ? "done" : "" },
      el("span", { class: "grow" }, q.text), el("span", { class: "muted small who" }, q.authorId),
      q.answered ? el("span", { class: "tag accepted" }, rt("answered"))
        : (v.facilitator && v.open ? el("button", { type: "button", onclick: () => act(base + "/retro/questions/" + encodeURIComponent(q.id) + "/answered") }, rt("markAnswered")) : null)));
  }

  const as = clear($("actions"));
  for (const a of v.actions) {
    as.append(el("li", {},
      el("span", { class: "grow" }, a.title, el("span", { class: "muted small" }, " — " + rt(a.kind) + (a.owner ? ", " + a.owner : "") + (a.due ? ", " + a.due : ""))),
      el("span", { class: "tag " + a.status }, rt(a.status)),
      v.facilitator && v.open && a.status !== "accepted" ? el("button", { type: "button", onclick: () => act(base + "/retro/actions/" + a.id + "/accept") }, rt("accept")) : null,
      v.facilitator && v.open && a.status !== "rejected" ? el("button", { type: "button", onclick: () => act(base + "/retro/actions/" + a.id + "/reject") }, rt("reject")) : null));
  }
  const kind = $("actKind");
  if (!kind.options.length) for (const k of v.actionKinds) kind.append(el("option", { value: k }, rt(k)));
  for (const e of document.querySelectorAll("#askForm input, #askForm button, #actionForm input, #actionForm select, #actionForm button")) e.disabled = !v.open;

  const ex = clear($("exports"));
  if (!v.exports.print) ex.append(el("li", { class: "muted", id: "recordKept" }, rt("recordKept")));
  for (const k of ["print", "md", "html", "csv", "github", "json"]) {
    // What people read (the printable record, Markdown, HTML) is offered
    // in each language after the drill's own.
    if (v.exports[k]) ex.append(el("li", {}, el("a", { href: v.exports[k], target: k === "print" ? "_blank" : null, rel: "noopener" }, rt(k)),
      ["print", "md", "html"].includes(k) ? el("span", { dataset: { exportLangs: k } }, langLinks(v.exports[k], rt(k))) : null));
  }
  renderPrivate();
}

// renderPresenting shows the facilitator the answers of the person
// presenting, with the questions of that person's role.
function renderPresenting() {
  const box = clear($("presentingAnswers"));
  const p = view.presentingAnswers;
  if (!view.facilitator) return;
  if (!p) { box.append(el("p", { class: "muted" }, rt("presentingNone"))); return; }
  box.append(el("p", {}, el("strong", { id: "presentingName" }, p.name), " ", el("span", { class: "muted small" }, "(" + rt("role." + p.role) + ")"),
    p.answered && !p.submitted ? el("span", { class: "muted small" }, " — " + rt("draft")) : null));
  if (!p.answered || p.anonymous) {
    box.append(el("p", { class: "muted", id: "presentingNote" }, rt(p.anonymous ? "presentingAnon" : "presentingEmpty", { name: p.name })));
    return;
  }
  const a = p.answers, dl = el("dl", { class: "answers" });
  const item = (key, label, value) => { if (value) dl.append(el("dt", {}, label), el("dd", { "data-a": key }, value)); };
  item("wentWell", rt("qWentWell"), a.wentWell);
  item("lacking", rt("qLacking"), a.lacking);
  item("better", rt("qBetter"), a.better);
  if (a.before && a.after) item("ratings", rt("ratingsPair"), a.before + " → " + a.after);
  for (const q of p.questions) item(q.id, questionText(q), (a.extra || {})[q.id]);
  box.append(dl);
}

function renderPrivate() {
  const v = view, sc = v.scenario;
  const box = clear($("scenario"));
  box.append(el("p", {}, el("strong", {}, sc.title), " ", el("span", { class: "muted" }, "(" + sc.name + (sc.variant ? ", " + rt("variant") + " " + sc.variant : "") + (sc.candidate ? ", " + rt("candidate") + " " + sc.candidate : "") + (sc.designer ? ", " + rt("designer") + " " + sc.designer : "") + ")")));
  if (sc.summary) box.append(el("p", {}, sc.summary));
  const fl = el("ul", { class: "rt-list" });
  for (const f of sc.faults || []) fl.append(el("li", {}, el("span", { class: "grow" }, el("strong", {}, f.title || f.id), f.impact ? " — " + f.impact : "", f.description ? el("div", { class: "muted small" }, f.description) : null)));
  box.append(fl);
  if (sc.solution) box.append(el("h2", {}, rt("solution")), el("div", { class: "solution prose" }, prose(sc.solution)));

  $("timelineChart").src = v.exports.timeline + "?seq=" + v.timeline.length + "&lang=" + currentLang();
  // Full size, the chart's labels are legible on any screen and each says
  // its whole fault title when pointed at.
  $("timelineFull").href = $("timelineChart").src;
  const showChat = $("showChat").checked;
  const tl = clear($("timeline"));
  for (const e of v.timeline) {
    if (e.kind === "chat" && !showChat) continue;
    tl.append(el("tr", {}, el("td", {}, fmtClock(e.atMs)), el("td", { class: "kind" }, rt("kind." + e.kind)), el("td", {}, phrase(e))));
  }
  const br = clear($("backroom"));
  // Every line here is the back room's: the channel is said by the
  // heading, never as its id ("#backroom").
  for (const m of v.backroom) br.append(el("li", {}, el("span", { class: "muted small" }, fmtClock(m.atMs)),
    el("span", { class: "grow" }, m.say === "chat" && m.args ? (m.args.name || "") + ": " + (m.args.text || "") : phrase(m))));
  if (!v.backroom.length) br.append(el("li", { class: "muted" }, rt("none")));
  const nl = clear($("notes"));
  for (const n of v.notes) nl.append(el("li", {}, el("span", { class: "muted small" }, fmtClock(n.atMs)), el("span", { class: "tag " + n.tag }, tagWords(n.tag)), el("span", { class: "grow" }, n.text)));
  if (!v.notes.length) nl.append(el("li", { class: "muted" }, rt("none")));
}

// tagWords says an observer note's tag (strength, weakness) in the page's
// language; an unknown tag is shown as it is.
function tagWords(tag) {
  const s = say("tag." + tag);
  return s === "tag." + tag ? tag : s;
}

async function act(path, body) {
  try {
    await api("POST", path, body);
    $("facError").textContent = "";
    await refresh();
  } catch (e) {
    $("facError").textContent = e.message;
  }
}

async function refresh() {
  view = await api("GET", base + "/retro");
  renderShared();
  return view;
}

async function start() {
  me = await loadSession();
  storeKey = "firedrill.retro." + drillId + "." + (me.personId || "facilitator");
  ratingInputs("beforeSet", "before");
  ratingInputs("afterSet", "after");
  try {
    await refresh();
  } catch (e) {
    $("loadError").textContent = e.code === "conflict" ? rt("notOpen") : e.message;
    $("main").classList.add("hidden");
    // Waiting for the end of the drill: the retro opens at once.
    if (e.code === "conflict") setTimeout(() => location.reload(), 3000);
    return;
  }
  buildExtra(view.form.questions);
  // The server's save is the truth, unless this browser holds newer text
  // it had not sent yet (a reload in the middle of typing).
  let local = null;
  try { local = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (_) { local = null; }
  if (local && local.dirty && view.open) {
    fill(local.answers);
    dirty = true;
    save();
  } else {
    fill(view.form.answers);
    if (view.form.saved) setState(view.form.submitted ? "submitted" : "saved");
  }
  $("form").addEventListener("input", onInput);
  $("form").addEventListener("change", onInput);
  $("form").addEventListener("submit", submit);
  $("showChat").addEventListener("change", renderPrivate);
  $("askForm").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("askText").value.trim();
    if (!text) return;
    await act(base + "/retro/questions", { text });
    $("askText").value = "";
  });
  $("actionForm").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", base + "/retro/actions", { title: $("actTitle").value, kind: $("actKind").value, owner: $("actOwner").value, due: $("actDue").value });
      $("actTitle").value = ""; $("actOwner").value = ""; $("actDue").value = "";
      $("actError").textContent = "";
      await refresh();
    } catch (e) { $("actError").textContent = e.message; }
  });
  $("nextBtn").addEventListener("click", () => act(base + "/retro/next"));
  $("closeBtn").addEventListener("click", () => { if (confirm(rt("closeConfirm"))) act(base + "/retro/close"); });
  // Everyone follows the queue, the order and the actions: the drill's
  // stream says when the retro changed, and the page refetches its view.
  follow();
}

// follow listens to the drill's stream from the view's journal head and
// refreshes the view (at most every 300 ms) whenever something is appended;
// it reconnects while the retro is open.
function follow() {
  if (!view || view.closed) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/api/drills/" + encodeURIComponent(drillId) + "/ws?after=" + (view.seq || 0));
  let pending = null;
  ws.onmessage = (msg) => {
    const f = JSON.parse(msg.data);
    if (f.kind !== "event" || pending) return;
    pending = setTimeout(() => { pending = null; refresh().catch(() => {}); }, 300);
  };
  ws.onclose = () => { setTimeout(() => { refresh().then(follow, () => setTimeout(follow, 5000)); }, 1000); };
}

chrome(() => { translateRT(); if (view) renderShared(); });
translateRT();
start();
