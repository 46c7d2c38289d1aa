// The drill program: a season's plan of team drills, applications to
// accept, scheduling (the time stays secret from participants; they see the
// day), rescheduling and cancelling with a reason, the day-before notice,
// the season's awards and the compliance report links.
import { api, clear, el, loadSession } from "./common.js";

const $ = (id) => document.getElementById(id);
let view = null; // the season's view
let editing = ""; // the team being edited, "" when adding
let target = ""; // the team of the schedule, cancel or notice form

const enc = encodeURIComponent;
const teamPath = (team) => "/api/program/seasons/" + enc(view.season) + "/teams/" + enc(team);

function fail(e) { $("error").textContent = e.message; }
async function run(fn) {
  $("error").textContent = "";
  try { await fn(); } catch (e) { fail(e); }
}

async function loadSeasons(pick) {
  const s = await api("GET", "/api/program/seasons");
  const sel = clear($("season"));
  if (!s.seasons.length) sel.append(el("option", { value: "" }, "no season yet"));
  for (const season of s.seasons) sel.append(el("option", { value: season }, season));
  const want = pick || (s.seasons.includes(s.current) ? s.current : s.seasons[s.seasons.length - 1]);
  if (want) { sel.value = want; await loadSeason(want); }
  $("newSeasonBox").open = !s.seasons.length;
  if (!$("nsSeason").value) $("nsSeason").value = s.current;
}

async function loadSeason(season) {
  render(await api("GET", "/api/program/seasons/" + enc(season)));
}

function hideForms() {
  for (const id of ["scheduleForm", "cancelForm", "notice"]) $(id).classList.add("hidden");
}

function render(v) {
  view = v;
  $("plan").classList.remove("hidden");
  $("planHead").textContent = `Season ${v.season} · owner ${v.owner} · process document ${v.processUrl}` + (v.timeZone ? ` · days in ${v.timeZone}` : "");
  const q = "/api/program/report?season=" + enc(v.season);
  $("reportHtml").href = q + "&format=html";
  $("reportCsv").href = q + "&format=csv";
  $("reportJson").href = q + "&format=json";
  $("reportYear").href = "/api/program/report?year=" + enc(v.season.slice(0, 4)) + "&format=html";
  const sc = clear($("tScenario"));
  sc.append(el("option", { value: "" }, "to design"));
  for (const n of v.scenarios) sc.append(el("option", { value: n }, n));
  const tb = clear($("teams"));
  for (const t of v.teams) tb.append(teamRow(t, v.drills[t.name]));
  if (v.awards) awards(v.awards);
  const j = clear($("journal"));
  for (const e of v.journal.slice().reverse()) {
    j.append(el("li", {}, `${new Date(e.at).toLocaleString()} · ${e.actor} · ${e.team ? e.team + ": " : ""}${e.action}` +
      (e.detail ? " — " + e.detail : "") + (e.reason ? " (reason: " + e.reason + ")" : "")));
  }
}

function awards(a) {
  const aw = clear($("awards"));
  if (a.largestGain) aw.append(el("li", {}, `Biggest before → after gain: ${a.largestGain.name} (${a.largestGain.before} → ${a.largestGain.after})`));
  if (a.mostEfficient) aw.append(el("li", {}, `Most efficient participation: ${a.mostEfficient.title} — ${a.mostEfficient.why}`));
  if (a.mostRealistic) aw.append(el("li", {}, `Most realistic scenario: ${a.mostRealistic.title} (${a.mostRealistic.score} / 5)`));
  if (a.designers.length) aw.append(el("li", {}, "Thanks to every designer: " + a.designers.join(", ")));
  if (!aw.firstChild) aw.append(el("li", { class: "muted" }, "No drill of this season has run yet."));
}

function teamRow(t, d) {
  const act = (label, id, fn, cls) => el("button", { type: "button", class: cls, dataset: { team: t.name, action: id }, onclick: () => run(fn) }, label);
  const actions = [];
  if (t.status === "applied") actions.push(act("Accept", "accept", () => api("POST", teamPath(t.name) + "/accept").then(render)));
  if (t.status !== "cancelled") actions.push(act("Edit", "edit", async () => edit(t)));
  if (t.status === "planned") actions.push(act("Schedule", "schedule", async () => openSchedule(t, false)));
  if (t.status === "scheduled") {
    actions.push(act("Reschedule", "reschedule", async () => openSchedule(t, true)));
    actions.push(act("Notice", "notice", () => openNotice(t)));
  }
  if (t.status !== "cancelled") actions.push(act("Cancel", "cancel", async () => openCancel(t), "danger"));
  let drill = "";
  if (d) drill = el("span", {}, d.state + (d.day ? " · " + d.day : "") + " ", el("a", { href: "/console/drills/" + enc(t.drillId) }, t.drillId));
  return el("tr", { dataset: { team: t.name } },
    el("td", {}, t.name, t.contact ? el("div", { class: "muted" }, "applied by " + t.contact + (t.note ? ": " + t.note : "")) : null),
    el("td", {}, t.status + (t.cancelReason ? " (" + t.cancelReason + ")" : "")),
    el("td", {}, t.targetMonth || "—"), el("td", {}, t.designer || "—"), el("td", {}, t.facilitator || "—"),
    el("td", {}, t.scenario || "to design"), el("td", {}, drill), el("td", {}, actions));
}

function edit(t) {
  editing = t.name;
  $("teamFormTitle").textContent = "Edit " + t.name + "'s drill";
  $("tName").value = t.name; $("tName").disabled = true;
  $("tMonth").value = t.targetMonth || ""; $("tDesigner").value = t.designer || "";
  $("tFacilitator").value = t.facilitator || ""; $("tScenario").value = t.scenario || "";
  $("tSave").textContent = "Save"; $("tReset").classList.remove("hidden");
  $("tName").scrollIntoView();
}

function resetTeamForm() {
  editing = "";
  $("teamForm").reset(); $("tName").disabled = false;
  $("teamFormTitle").textContent = "Plan a team's drill";
  $("tSave").textContent = "Add to the plan"; $("tReset").classList.add("hidden");
}

function openSchedule(t, re) {
  hideForms(); target = t.name;
  $("scheduleTitle").textContent = (re ? "Reschedule " : "Schedule ") + t.name + "'s drill";
  $("sReason").value = ""; $("sReason").required = re;
  $("sReason").classList.toggle("hidden", !re); $("sReasonLabel").classList.toggle("hidden", !re);
  $("sSubmit").textContent = re ? "Reschedule" : "Schedule";
  $("scheduleForm").dataset.mode = re ? "reschedule" : "schedule";
  $("scheduleForm").classList.remove("hidden");
}

function openCancel(t) {
  hideForms(); target = t.name;
  $("cancelTitle").textContent = "Cancel " + t.name + "'s drill";
  $("cReason").value = "";
  $("cancelForm").classList.remove("hidden");
}

async function openNotice(t) {
  hideForms(); target = t.name;
  const n = await api("GET", teamPath(t.name) + "/notice");
  $("noticeTitle").textContent = "Day-before notice for " + t.name;
  $("noticeSubject").textContent = n.subject;
  $("noticeText").value = n.subject + "\n\n" + n.text;
  $("icsLink").href = teamPath(t.name) + "/notice.ics";
  $("postNotice").disabled = !view.webhook;
  $("postNotice").title = view.webhook ? "" : "No webhook is configured (program.noticeWebhook)";
  $("noticeStatus").textContent = "";
  $("notice").classList.remove("hidden");
}

$("season").addEventListener("change", () => run(() => loadSeason($("season").value)));

$("newSeason").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(async () => {
    const v = await api("POST", "/api/program/seasons", {
      season: $("nsSeason").value.trim(), owner: $("nsOwner").value, processUrl: $("nsProcess").value, timeZone: $("nsZone").value,
    });
    $("newSeason").reset();
    await loadSeasons(v.season);
  });
});

$("teamForm").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(async () => {
    const body = { name: $("tName").value, targetMonth: $("tMonth").value, designer: $("tDesigner").value, facilitator: $("tFacilitator").value, scenario: $("tScenario").value };
    const v = editing ? await api("PUT", teamPath(editing), body) : await api("POST", "/api/program/seasons/" + enc(view.season) + "/teams", body);
    resetTeamForm();
    render(v);
  });
});
$("tReset").addEventListener("click", resetTeamForm);

$("scheduleForm").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(async () => {
    const at = new Date($("sAt").value);
    if (isNaN(at)) throw new Error("Choose a date and a time.");
    const mode = $("scheduleForm").dataset.mode;
    const body = { at: at.toISOString() };
    if (mode === "reschedule") body.reason = $("sReason").value;
    render(await api("POST", teamPath(target) + "/" + mode, body));
    hideForms();
  });
});
$("sClose").addEventListener("click", hideForms);

$("cancelForm").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run(async () => {
    render(await api("POST", teamPath(target) + "/cancel", { reason: $("cReason").value }));
    hideForms();
  });
});
$("cClose").addEventListener("click", hideForms);

$("copyNotice").addEventListener("click", () => run(async () => {
  $("noticeText").select();
  try { await navigator.clipboard.writeText($("noticeText").value); } catch (_) { document.execCommand("copy"); }
  $("noticeStatus").textContent = "Copied.";
}));
$("postNotice").addEventListener("click", () => run(async () => {
  $("noticeStatus").textContent = "Posting…";
  try {
    await api("POST", teamPath(target) + "/notice/post");
    $("noticeStatus").textContent = "Posted to the chat webhook.";
    await loadSeason(view.season);
  } catch (e) { $("noticeStatus").textContent = ""; throw e; }
}));
$("closeNotice").addEventListener("click", hideForms);

(async () => {
  const s = await loadSession();
  if (!s.admin) { location.assign("/"); return; }
  await run(() => loadSeasons());
})();
