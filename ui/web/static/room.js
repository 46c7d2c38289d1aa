// The drill room: channels, chat, notices as cards, the drill clock and the
// role's side panel. One WebSocket carries every channel; each event has a
// per-drill sequence number, and a reconnect resumes after the last one seen
// within the stream's epoch. A chat message is streamed while the server
// commits it; if the commit fails, or the server restarted since, the
// server resets the stream (4009) and the room starts over from the journal.
import { api, chrome, clear, el, fmtClock, loadSession } from "./common.js";
import { t } from "./i18n.js";
import { renderSide, scaleText } from "./panels.js";
import { endReason, fieldLabel, noticeTitle, optionText } from "./words.js";

const drillId = decodeURIComponent(location.pathname.split("/").pop());
const room = {
  drillId, sess: null, view: null, skew: 0,
  lastSeq: 0, epoch: null, channel: null,
  items: new Map(),      // channel id -> [item]
  bySeq: new Map(),      // message seq -> message payload
  unread: new Map(),     // channel id -> count
  replyTo: null,
  ws: null, failures: 0,
};
window.firedrillRoom = room; // for debugging in the console

const $ = (id) => document.getElementById(id);

function lastReadKey(ch) { return "firedrill.read." + drillId + "." + (room.sess.personId || "admin") + "." + ch; }

// ---- view ----------------------------------------------------------------

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => refreshView().catch(refreshRefused), 150);
}

// refreshRefused: when the drill closes, a person who joined by link keeps
// only its retrospective; the room they still have open says so (the
// server's words in its tooltip), points to the retro and stops reconnecting.
// A 401 is a session that ended without the socket's 4003 (it expired):
// the room says the access ended, as on 4003, and stops asking.
function refreshRefused(err) {
  if (err && err.status === 401) { endAccess(); return; }
  if (!err || err.status !== 403) throw err;
  room.closed = true;
  $("conn").dataset.state = "";
  $("conn").textContent = t("drill.closed");
  $("conn").title = err.message;
  document.body.dataset.accessEnded = "true";
  if (room.ws) room.ws.close();
  if (room.retroOpen) openRetro();
}

// endAccess says this person's access ended and stops the room: no view
// poll, no reconnecting socket.
function endAccess() {
  $("conn").dataset.state = "";
  $("conn").textContent = t("accessEnded");
  document.body.dataset.accessEnded = "true";
  room.accessEnded = true; // nothing more to read: the view's poll stops too
  if (room.ws) room.ws.close();
}

async function refreshView() {
  const before = Date.now();
  const v = await api("GET", "/api/drills/" + encodeURIComponent(drillId));
  room.skew = Date.parse(v.serverNow) - (before + Date.now()) / 2;
  const key = JSON.stringify({ ...v, serverNow: "", seq: 0 });
  if (key === room.viewKey) return; // nothing changed: keep the panels (and what is being typed) as they are
  room.viewKey = key;
  room.view = v;
  if (!room.channel || !v.channels.some((c) => c.id === room.channel)) room.channel = v.incidentChannel || (v.channels[0] && v.channels[0].id);
  renderChrome();
  renderSide(room, sideActions);
}

function renderChrome() {
  const v = room.view;
  if ($("conn").dataset.state === "live") $("conn").textContent = "● " + t("live");
  document.title = "firedrill — " + v.title;
  $("title").textContent = v.title;
  $("state").textContent = v.paused ? t("paused") : t(v.state);
  if (v.staff && v.staff.endReason && ["ended", "retro", "closed"].includes(v.state)) $("state").textContent += " · " + endReason(v.staff.endReason);
  // A rehearsal says so, for everyone, all the time.
  $("scale").classList.toggle("hidden", v.timeScale === 1);
  $("scale").textContent = v.timeScale === 1 ? "" : t("rehearsalBadge", { scale: v.timeScale });
  // Participants know the day of a scheduled drill, never the time.
  if (v.state === "scheduled" && v.scheduledDay) $("state").textContent += " · " + t("scheduledFor") + " " + v.scheduledDay;
  $("me").textContent = (room.sess.name || "") + " · " + t(room.sess.role || "facilitator");
  renderChannels();
  renderPeople();
  renderComposer();
  renderMarks();
}

// channelName shows a channel as "# name"; scenario titles often carry
// their own "#" already.
function channelName(c) {
  return "# " + String(c.title || c.id).replace(/^#\s*/, "");
}

function renderChannels() {
  const ul = clear($("channels"));
  for (const c of room.view.channels) {
    const n = room.unread.get(c.id) || 0;
    const li = el("li", {
      class: (c.id === room.channel ? "active " : "") + (c.backroom ? "backroom" : ""), tabindex: 0,
      dataset: { channel: c.id }, onclick: () => switchChannel(c.id),
      onkeydown: (e) => { if (e.key === "Enter") switchChannel(c.id); },
    }, el("span", {}, (c.backroom ? "🔒 " + t("backroom") : channelName(c))),
      n ? el("span", { class: "unread", "aria-label": "unread" }, String(n)) : null);
    ul.append(li);
  }
  const c = room.view.channels.find((x) => x.id === room.channel);
  $("chname").textContent = c ? (c.backroom ? "🔒 " + t("backroom") : channelName(c)) : "";
  $("chtopic").textContent = c ? (c.topic || "") + (c.readOnly ? " (" + t("readOnly") + ")" : "") : "";
}

function renderPeople() {
  const ul = clear($("people"));
  for (const p of room.view.people || []) {
    ul.append(el("li", { dataset: { person: p.id } },
      el("span", {}, p.name + (p.id === room.sess.personId ? " (" + t("you") + ")" : "")),
      el("span", { class: "muted" }, " · " + t(p.role)),
      (p.claims || []).map((c) => el("span", { class: "claim" }, t(c)))));
  }
}

function renderComposer() {
  const v = room.view;
  const fac = room.sess.admin || room.sess.role === "facilitator";
  $("composer").classList.toggle("hidden", !writable(v));
  $("personaRow").classList.toggle("hidden", !fac);
  if (fac) {
    const sel = $("persona");
    const cur = sel.value;
    clear(sel).append(el("option", { value: "" }, t("asMyself")));
    for (const p of v.personas) sel.append(el("option", { value: p.id }, (p.avatar ? p.avatar + " " : "") + p.name));
    sel.value = cur;
    renderQuick();
  }
}

// armPersona shows which persona the next message goes out as: the composer
// is marked and the send button names the persona, so nobody speaks as the
// CTO by accident.
function armPersona() {
  const p = room.view && room.view.personas.find((x) => x.id === $("persona").value);
  $("composer").classList.toggle("as-persona", !!p);
  $("sendBtn").textContent = p ? t("sendAs", { name: p.name }) : t("send");
}

// writable reports whether the open channel takes messages now: chat opens
// at the briefing (the server refuses messages before it) and the room
// stops showing the composer at the end, until the retrospective.
function writable(v) {
  const c = v.channels.find((x) => x.id === room.channel);
  return !!c && !c.readOnly && ["briefing", "running", "retro"].includes(v.state);
}

function renderQuick() {
  armPersona();
  const q = clear($("quick"));
  const p = room.view.personas.find((x) => x.id === $("persona").value);
  const replies = (p && p.quickReplies) || [];
  q.classList.toggle("hidden", replies.length === 0);
  for (const r of replies) q.append(el("button", { type: "button", onclick: () => { $("input").value = r; $("input").focus(); } }, r));
}

function renderMarks() {
  const bar = $("bar");
  for (const m of bar.querySelectorAll(".mark")) m.remove();
  const lim = room.view.timeLimitMs;
  const marks = room.view.hintMarksMs || [];
  for (const m of marks) {
    const d = el("div", { class: "mark", title: fmtClock(m) });
    d.style.left = Math.min(100, (100 * m) / lim) + "%";
    bar.append(d);
  }
}

/** elapsedMs returns the drill clock now, from the last view. */
export function elapsedMs() {
  const v = room.view;
  if (!v) return 0;
  let e = v.clockBaseMs;
  if (v.clockSince) e += (Date.now() + room.skew - Date.parse(v.clockSince)) * v.timeScale;
  return Math.max(0, e);
}

function tick() {
  if (!room.view) return;
  const e = elapsedMs(), lim = room.view.timeLimitMs;
  $("elapsed").textContent = fmtClock(e) + " " + t("elapsed");
  // Once the drill is over there is no time left to count down: say so.
  const over = ["ended", "retro", "closed", "aborted"].includes(room.view.state);
  $("left").textContent = over ? t(room.view.state) : fmtClock(Math.max(0, lim - e)) + " " + t("left");
  $("fill").style.width = Math.min(100, (100 * e) / lim) + "%";
  // The next update a notice promised: shown to everyone, marked once due.
  const nu = room.view.nextUpdate;
  const box = $("nextUpdate");
  box.classList.toggle("hidden", !nu);
  if (nu) {
    const late = e >= nu.dueMs;
    box.textContent = t(late ? "nextUpdateLate" : "nextUpdate", { time: nu.promised });
    box.classList.toggle("late", late);
  }
  const marks = room.view.hintMarksMs || [];
  $("clock").classList.toggle("late", marks.length > 0 && e >= marks[0]);
  // Durations in the side panel ("in effect for 4:12") move with the clock.
  for (const s of document.querySelectorAll("[data-since]")) s.textContent = fmtClock(Math.max(0, e - Number(s.dataset.since)));
}

// ---- items ---------------------------------------------------------------

function push(channel, item) {
  if (!room.items.has(channel)) room.items.set(channel, []);
  room.items.get(channel).push(item);
  if (channel === room.channel) {
    const box = $("messages");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    box.append(renderItem(item));
    if (atBottom || item.mine) box.scrollTop = box.scrollHeight;
    localStorage.setItem(lastReadKey(channel), String(item.seq));
  } else if (item.seq > Number(localStorage.getItem(lastReadKey(channel)) || 0) && item.kind !== "sys") {
    room.unread.set(channel, (room.unread.get(channel) || 0) + 1);
    if (room.view) renderChannels();
  }
}

function switchChannel(id) {
  room.channel = id;
  room.unread.delete(id);
  const list = room.items.get(id) || [];
  if (list.length) localStorage.setItem(lastReadKey(id), String(list[list.length - 1].seq));
  const box = clear($("messages"));
  for (const it of list) box.append(renderItem(it));
  box.scrollTop = box.scrollHeight;
  renderChannels();
  renderComposer();
  cancelReply();
  $("input").focus();
}

function personaOf(id) { return room.view && room.view.personas.find((p) => p.id === id); }
function personName(id) {
  const p = room.view && (room.view.people || []).find((x) => x.id === id);
  return p ? p.name : id;
}

/** withMentions renders text with @name mentions highlighted, as text nodes only. */
function withMentions(text) {
  const names = ((room.view && room.view.people) || []).map((p) => p.name).filter(Boolean).sort((a, b) => b.length - a.length);
  if (!names.length) return [text];
  const esc = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp("@(" + esc.join("|") + ")", "g");
  const out = []; let last = 0, m;
  while ((m = re.exec(text))) {
    out.push(text.slice(last, m.index), el("span", { class: "at" }, m[0]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

function mentionsMe(text) {
  return room.sess.name && text.includes("@" + room.sess.name);
}

function avatarFor(m) {
  if (m.authorKind === "persona") {
    const p = personaOf(m.authorId);
    const a = el("div", { class: "avatar", "aria-hidden": "true" }, (p && p.avatar) || (m.authorName || "?").slice(0, 1));
    if (p && /^#[0-9a-fA-F]{6}$/.test(p.color || "")) { a.style.background = p.color; a.style.color = "#fff"; }
    return a;
  }
  return el("div", { class: "avatar", "aria-hidden": "true" }, (m.authorName || "?").slice(0, 1).toUpperCase());
}

// privateWords says who a private briefing is for: "only you see this" to
// its recipient, "private to <names>" to staff.
function privateWords(to) {
  if (to.includes(room.sess.personId)) return t("privateForYou");
  return t("privateTo", { names: to.map(personName).join(", ") });
}

function renderItem(it) {
  switch (it.kind) {
    case "msg": {
      const m = it.m;
      const persona = m.authorKind === "persona";
      const ref = m.replyTo ? room.bySeq.get(m.replyTo) : null;
      const alert = (m.source || "").startsWith("alert:");
      const priv = (m.to || []).length > 0;
      return el("div", { class: "msg" + (mentionsMe(m.text) ? " mention" : "") + (alert ? " alert" : "") + (priv ? " private" : ""), dataset: { seq: it.seq, kind: persona ? "persona" : "person" } },
        avatarFor(m),
        el("div", {},
          ref ? el("div", { class: "replyref" }, "↪ " + ref.authorName + ": " + ref.text.slice(0, 80)) : null,
          el("div", {},
            el("span", { class: "who" }, m.authorName),
            persona ? el("span", { class: "badge", title: t("banner") }, t("exercise")) : null,
            priv ? el("span", { class: "badge private", dataset: { private: m.to.join(",") } }, privateWords(m.to)) : null,
            el("span", { class: "when" }, fmtClock(it.drillMs))),
          el("div", { class: "text" }, withMentions(m.text)),
          canReply() ? el("div", { class: "actions" }, el("button", { type: "button", onclick: () => startReply(it.seq) }, t("reply"))) : null));
    }
    case "notice": return renderNotice(it);
    case "bot":
      return el("div", { class: "msg bot", dataset: { seq: it.seq, kind: "bot" } },
        el("div", { class: "avatar", "aria-hidden": "true" }, "🤖"),
        el("div", {}, el("div", {}, el("span", { class: "who" }, t("bot")), el("span", { class: "badge" }, t("exercise")),
          el("span", { class: "when" }, fmtClock(it.drillMs))),
        el("div", { class: "text" }, t("nudge." + it.nudge))));
    default:
      return el("div", { class: "sys", dataset: { seq: it.seq } }, it.text());
  }
}

function noticeTemplate(kind) {
  const n = (room.view && room.view.notices) || {};
  return { incident: n.incident, "status-update": n.statusUpdate, resolution: n.resolution }[kind];
}

function renderNotice(it) {
  const p = it.p;
  const tpl = noticeTemplate(p.kind) || { fields: [] };
  const title = noticeTitle(p.kind, tpl.title);
  const dl = el("dl");
  const seen = new Set();
  for (const f of tpl.fields || []) {
    if (p.fields[f.id] === undefined) continue;
    seen.add(f.id);
    dl.append(el("dt", {}, fieldLabel(p.kind, f)), el("dd", {}, f.type === "select" ? optionText(f, p.fields[f.id]) : p.fields[f.id]));
  }
  for (const [k, v] of Object.entries(p.fields)) if (!seen.has(k)) dl.append(el("dt", {}, k), el("dd", {}, v));
  return el("div", { class: "card notice", dataset: { seq: it.seq, notice: p.kind } },
    el("h3", {}, "📣 " + title, " ", el("span", { class: "muted" }, "— " + personName(p.authorId) + " · " + fmtClock(it.drillMs))),
    dl);
}

function canReply() {
  return !!room.view && writable(room.view);
}

function startReply(seq) {
  const m = room.bySeq.get(seq);
  if (!m) return;
  room.replyTo = seq;
  const r = clear($("replying"));
  r.classList.remove("hidden");
  r.append(t("replyingTo") + " " + m.authorName + ": " + m.text.slice(0, 60) + " ",
    el("button", { type: "button", onclick: cancelReply }, t("cancel")));
  $("input").focus();
}

function cancelReply() {
  room.replyTo = null;
  clear($("replying")).classList.add("hidden");
}

// ---- events --------------------------------------------------------------

function handle(ev) {
  if (ev.seq <= room.lastSeq) return; // already have it
  room.lastSeq = ev.seq;
  const p = ev.payload || {};
  const drillMs = ev.drillTimeMs;
  if (ev.type === "drill.retro" || ev.type === "drill.aborted") {
    // The retrospective opens at once when the drill ends, because people
    // forget: participants are taken there; staff get a link.
    room.retroOpen = true;
    if (room.replayed) openRetro();
  }
  switch (ev.type) {
    case "chat.message":
      room.bySeq.set(ev.seq, p);
      push(p.channel, { kind: "msg", seq: ev.seq, drillMs, m: p, mine: p.authorId === room.sess.personId });
      // Personas speak when something happened: what participants may
      // confirm can have changed with it.
      if (p.authorKind === "persona" && room.replayed) refreshSoon();
      break;
    case "fault.confirmed":
      push(incident(), { kind: "sys", seq: ev.seq, text: () => t("confirmedEvent", { name: personName(p.by), label: p.label || p.detail || "" }) });
      refreshSoon();
      break;
    case "notice.posted":
      push(p.channel, { kind: "notice", seq: ev.seq, drillMs, p });
      // A notice can promise the next update (shown to everyone in the top
      // bar) or keep the last promise, and staff see the injects it fires.
      refreshSoon();
      break;
    case "room.nudge":
      push(p.channel, { kind: "bot", seq: ev.seq, drillMs, nudge: p.kind });
      break;
    case "room.claim":
      push(incident(), { kind: "sys", seq: ev.seq, text: () => p.takeOverFrom
        ? t("tookOver", { name: personName(p.personId), role: t(p.role), from: personName(p.takeOverFrom) })
        : t(p.release ? "released" : "claimed", { name: personName(p.personId), role: t(p.role) }) });
      refreshSoon();
      break;
    case "person.added":
      push(incident(), { kind: "sys", seq: ev.seq, text: () => t("joined", { name: p.name, role: t(p.role) }) });
      refreshSoon();
      break;
    default:
      if (ev.type === "drill.time-scale-set") {
        push(incident(), { kind: "sys", seq: ev.seq, text: () => t(ev.type, { clock: scaleText(p.timeScale) }) });
      } else if (ev.type === "drill.ended" && p.reason) {
        // Why it ended, in words: "time cap reached", never "cap".
        push(incident(), { kind: "sys", seq: ev.seq, text: () => t(ev.type) + " (" + endReason(p.reason) + ")" });
      } else if (ev.type.startsWith("drill.")) {
        push(incident(), { kind: "sys", seq: ev.seq, text: () => t(ev.type) });
      }
      refreshSoon();
  }
}

// openRetro shows everyone that the drill has ended, with the link to the
// retrospective: nobody is taken away from the room, so the person who
// posted the resolution notice sees their card and everyone can read the
// last messages before going.
function openRetro() {
  const href = "/room/" + encodeURIComponent(drillId) + "/retro";
  if (document.getElementById("retro-link")) return;
  const a = el("a", { id: "retro-link", href, class: "retro-link" }, t("retroOpen"));
  document.body.insertBefore(a, $("layout"));
  document.body.dataset.ended = "true";
}

function incident() { return (room.view && room.view.incidentChannel) || "incident"; }

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const epoch = room.epoch ? "&epoch=" + encodeURIComponent(room.epoch) : "";
  const ws = new WebSocket(proto + "//" + location.host + "/api/drills/" + encodeURIComponent(drillId) + "/ws?after=" + room.lastSeq + epoch);
  room.ws = ws;
  $("conn").textContent = room.failures ? t("reconnecting") : t("connecting");
  ws.onmessage = (msg) => {
    const f = JSON.parse(msg.data);
    if (f.kind === "event") handle(f.event);
    else if (f.kind === "ready") {
      // Everything up to f.seq that this viewer may see has arrived.
      room.lastSeq = Math.max(room.lastSeq, f.seq || 0);
      room.epoch = f.epoch || null;
      room.failures = 0;
      room.resets = 0;
      room.replayed = true;
      if (room.retroOpen) openRetro();
      $("conn").dataset.state = "live";
      $("conn").textContent = "● " + t("live");
      document.body.dataset.ready = "true";
    }
  };
  ws.onclose = async (e) => {
    room.ws = null;
    document.body.dataset.ready = "false";
    if (room.closed || room.accessEnded) return; // the drill closed or the access ended: nothing to reconnect to
    $("conn").dataset.state = "";
    if (e.code === 4009) { // wire.CloseReset: what this room holds may not be the drill's events
      startOver();
      // Every page of the drill starts over at once: spread their
      // replays, and back off if resets repeat.
      room.resets = (room.resets || 0) + 1;
      setTimeout(connect, Math.min(5000, 200 * room.resets) + Math.random() * 800);
      return;
    }
    if (e.code === 4003) { // wire.CloseAccessEnded: this person's link was renewed, or their access ended
      let s = null;
      try { s = await api("GET", "/api/session"); } catch (_) { /* server down: keep trying */ }
      if (s && !s.signedIn) { endAccess(); return; }
      // Still signed in: the drill may have closed, which leaves its
      // retro readable and the room refused.
      try { await refreshView(); } catch (err) {
        if (err && (err.status === 401 || err.status === 403)) { refreshRefused(err); return; }
      }
    }
    room.failures++;
    $("conn").textContent = t("reconnecting");
    if (room.failures > 3) {
      try {
        const s = await api("GET", "/api/session");
        if (!s.signedIn) { location.assign("/"); return; }
      } catch (_) { /* server down: keep trying */ }
    }
    setTimeout(connect, Math.min(5000, 300 * room.failures));
  };
}

// startOver forgets every event the room holds, so that the next
// connection replays the drill from the journal: a message it showed may
// have been withdrawn (its commit failed), or the server restarted since.
// What is being written stays in the composer.
function startOver() {
  room.lastSeq = 0;
  room.epoch = null;
  room.replayed = false;
  room.items = new Map();
  room.bySeq = new Map();
  room.unread = new Map();
  // The message replied to may be the one withdrawn, and its number
  // another event's.
  cancelReply();
  clear($("messages"));
  if (room.view) renderChannels();
}

// showSwitched says, once, that a join link replaced the session this
// browser held before (another drill, or the facilitator's sign-in).
function showSwitched() {
  const raw = sessionStorage.getItem("firedrill.switchedFrom");
  if (!raw) return;
  sessionStorage.removeItem("firedrill.switchedFrom");
  let from = {};
  try { from = JSON.parse(raw) || {}; } catch (_) { return; }
  const was = from.admin ? t("facilitator") + (from.name ? " (" + from.name + ")" : "")
    : (from.name || "") + " · " + t(from.role || "participant") + (from.drillTitle ? " — " + from.drillTitle : "");
  const box = el("div", { class: "notice-bar", id: "switched", role: "status" },
    t("switchedSession", { was, now: (room.sess.name || "") + " · " + t(room.sess.role) + " — " + room.view.title }), " ",
    el("button", { type: "button", id: "switchedOk", onclick: () => box.remove() }, t("ok")));
  document.body.insertBefore(box, $("layout"));
}

// ---- composer ------------------------------------------------------------

async function send() {
  const input = $("input");
  const text = input.value.trim();
  if (!text) return;
  $("sendError").textContent = "";
  const body = { channel: room.channel, text };
  if (room.replyTo) body.replyTo = room.replyTo;
  const persona = $("persona").value;
  if (persona && !$("personaRow").classList.contains("hidden")) body.persona = persona;
  try {
    await api("POST", "/api/drills/" + encodeURIComponent(drillId) + "/messages", body);
    input.value = "";
    cancelReply();
    // A persona speaks for one message: the next goes out as the
    // facilitator unless a persona is chosen again.
    if (body.persona) { $("persona").value = ""; renderQuick(); }
  } catch (e) { $("sendError").textContent = e.message; }
}

function moveChannel(delta) {
  const ids = room.view.channels.map((c) => c.id);
  const i = ids.indexOf(room.channel);
  switchChannel(ids[(i + delta + ids.length) % ids.length]);
}

// rerender rebuilds the side panel from the view at hand, for changes that
// are the viewer's own (a notice tab) and need no server round trip.
const sideActions = { refresh: refreshView, rerender: () => renderSide(room, sideActions), api, drillId, switchChannel, elapsedMs };

async function main() {
  chrome(() => { renderChrome(); renderSide(room, sideActions); switchChannel(room.channel); });
  room.sess = await loadSession();
  if (!room.sess.signedIn) { location.assign("/"); return; }
  await refreshView();
  showSwitched();
  $("side").classList.toggle("hidden", false);
  $("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
  $("input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
    if (e.key === "Escape") cancelReply();
  });
  $("persona").addEventListener("change", renderQuick);
  document.addEventListener("keydown", (e) => {
    if (e.altKey && e.key === "ArrowDown") { e.preventDefault(); moveChannel(1); }
    if (e.altKey && e.key === "ArrowUp") { e.preventDefault(); moveChannel(-1); }
  });
  switchChannel(room.channel);
  connect();
  setInterval(tick, 500);
  // Resolution checks are polled by the engine without a journal event:
  // staff re-read the view while faults are in effect.
  setInterval(() => {
    const v = room.view;
    if (room.accessEnded || room.closed) return;
    if (v && v.staff && v.state === "running" && (v.staff.faults || []).some((f) => f.phase === "in-effect")) refreshView().catch((err) => {
      // An expired session (401) or a closed drill (403) stops the poll;
      // anything else (the server restarting) is retried by the next one.
      if (err && (err.status === 401 || err.status === 403)) refreshRefused(err);
    });
  }, 3000);
  tick();
}

main().catch((e) => { $("sendError").textContent = e.message; });
