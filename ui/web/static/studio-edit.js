// The scenario studio's editor: CodeMirror 6 (bundled: studio/editor.js)
// with the server's validator as the designer types, the plan as a Gantt
// per difficulty, persona messages as they will read, versions with diffs,
// YAML and injects CSV in and out, and a rehearsal with robots.
import { api, chrome, clear, el, loadSession } from "./common.js";
import { t } from "./i18n.js";
import { sw, translateStudio } from "./words.js";
import { createEditor } from "./studio/editor.js";
import { drawGantt } from "./studio-gantt.js";
import { wire as wireRehearse } from "./studio-rehearse.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let name = params.get("name") || "";
let version = 0, savedText = "", writable = true, last = null, editor = null;

const TEMPLATE = `apiVersion: firedrill/v1
kind: Scenario
metadata:
  name: new-scenario
  title: 주문 API 설정 변경 (Order API config change)
  team: ""
personas:
  - id: cs
    name: 고객센터 Customer Center
    kind: customer-center
channels:
  - id: incident
    incident: true
  - id: cs-inquiries
faults:
  - id: db-config
    title: DB 설정 변경 (DB config changed)
    injector: kubernetes/configmap-key
    target: {namespace: shop, kind: ConfigMap, name: order-api-config}
    params: {key: DB_HOST, value: nowhere}
    at: 2m
    resolvedWhen:
      manual: true
injects:
  - id: first-call
    at: 5m
    persona: cs
    channel: cs-inquiries
    text: "{{.Now}}부터 주문이 안 된다는 문의가 들어옵니다."
`;

function status(text) { $("status").textContent = text; }

// check sends the text to the server's validator; its answer also feeds
// the problem list and the preview.
async function check(text) {
  let res;
  try {
    res = await api("POST", "/api/studio/check", { yaml: text });
  } catch (e) {
    status(e.message);
    return [];
  }
  last = Object.assign(res, { yaml: text });
  showProblems(res.problems);
  showPreview();
  return res.problems;
}

function showProblems(ps) {
  const box = clear($("problems"));
  const e = ps.filter((p) => p.severity !== "warning").length;
  $("problemCount").textContent = ps.length ? sw("nProblems", { e, w: ps.length - e }) : "";
  if (!ps.length) { box.append(el("p", { class: "muted", id: "valid" }, sw("valid"))); return; }
  for (const p of ps) {
    const b = el("button", { type: "button", class: "st-problem " + p.severity, dataset: { line: p.line }, title: sw("goTo", { l: p.line }), onclick: () => {
      // The problem chosen stays marked while the caret is on it.
      for (const o of box.querySelectorAll(".st-problem")) { o.removeAttribute("aria-current"); o.classList.remove("active"); }
      b.setAttribute("aria-current", "true");
      b.classList.add("active");
      editor.goTo(p.line, p.column);
    } },
      el("span", { class: "sev mono" }, sw("lineCol", { l: p.line, c: p.column })), " ", p.path ? el("span", { class: "mono" }, p.path + ": ") : null, p.message);
    box.append(b);
  }
}

function showPreview() {
  const sel = $("difficulty");
  const plans = (last && last.plans) || [];
  $("noPreview").hidden = plans.length > 0;
  const cur = sel.value;
  // A scenario that keeps candidates is previewed as each candidate at
  // each difficulty: "candidate/difficulty".
  const key = (p) => (p.candidate ? p.candidate + "/" : "") + p.difficulty;
  const label = (p) => (p.candidateTitle ? p.candidateTitle + " · " : "") + (p.difficulty ? t(p.difficulty) : sw("none"));
  clear(sel).append(...plans.map((p) => el("option", { value: key(p), dataset: { candidate: p.candidate || "" } }, label(p))));
  sel.disabled = plans.length < 2;
  if (plans.some((p) => key(p) === cur)) sel.value = cur;
  const plan = plans.find((p) => key(p) === sel.value) || plans[0];
  drawGantt($("gantt"), plan, sw);
  clear($("notes")).append(...((plan && plan.notes) || []).map((n) => el("li", { class: "muted" }, n)));
  const box = clear($("personaMsgs"));
  for (const m of (last && last.messages) || []) {
    box.append(el("div", { class: "st-msg", dataset: { kind: m.kind } },
      el("div", {}, el("span", { class: "who" }, m.persona || "?"), " → #", m.channel, " ", el("span", { class: "muted" }, sw("kind_" + m.kind) + " · " + m.when)),
      el("div", { class: "text" }, m.text)));
  }
}

async function loadVersions() {
  const box = clear($("versions"));
  clear($("diff"));
  if (!name) { box.append(el("li", { class: "muted" }, sw("noVersions"))); return; }
  const sc = await api("GET", "/api/studio/scenarios/" + encodeURIComponent(name));
  version = sc.version; writable = sc.writable;
  if (!sc.versions.length) box.append(el("li", { class: "muted" }, sw("noVersions")));
  for (const v of sc.versions.slice().reverse()) {
    box.append(el("li", { dataset: { version: v.version } }, el("span", {}, sw("version", { n: v.version, who: v.author, when: new Date(v.saved).toLocaleString() })),
      el("button", { type: "button", class: "st-diffbtn", onclick: () => showDiff(v.version) }, sw("diff"))));
  }
  return sc;
}

async function showDiff(n) {
  const d = await api("GET", "/api/studio/scenarios/" + encodeURIComponent(name) + "/diff?from=" + (n - 1) + "&to=" + n);
  const box = clear($("diff"));
  box.append(el("div", { class: "muted" }, sw("diffTitle", { n })));
  for (const l of d.lines) box.append(el("div", { class: l.op === "+" ? "add" : l.op === "-" ? "del" : "" }, l.op + " " + l.text));
}

function links() {
  const enc = encodeURIComponent(name);
  $("scName").textContent = name || sw("newTitle");
  for (const [id, path, file] of [["downloadYaml", "/yaml", name + ".yaml"], ["exportCsv", "/injects.csv", name + "-injects.csv"]]) {
    $(id).hidden = !name;
    $(id).href = name ? "/api/studio/scenarios/" + enc + path : "#";
    $(id).setAttribute("download", file);
  }
  $("save").disabled = !writable;
  $("readOnly").hidden = writable;
}

async function save() {
  const text = editor.text();
  if (name && text === savedText && version > 0) { status(sw("unchanged", { n: version })); return; }
  // An invalid text is not sent: the problems say what to fix first.
  if (!text.trim() || (last && !last.valid && last.yaml === text)) {
    status(sw("fixFirst"));
    const first = document.querySelector("#problems .st-problem.error");
    if (first) first.focus();
    return;
  }
  status(sw("saving"));
  try {
    const v = await api("POST", "/api/studio/scenarios", { yaml: text, base: v0(text) });
    name = v.name; savedText = text;
    history.replaceState(null, "", "/studio/edit?name=" + encodeURIComponent(name));
    await loadVersions();
    links();
    status(sw("saved", { n: v.version }));
  } catch (e) {
    status(sw("refused", { msg: e.message }));
    if (e.body && e.body.lines) showProblems(e.body.lines);
  }
}

// v0 is the version the text was edited from: the loaded one when the
// name is unchanged, else 0 (a new scenario).
function v0(text) {
  const m = /^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*["']?([\w.-]+)/m.exec(text);
  return m && m[1] === name ? version : 0;
}

$("save").addEventListener("click", save);
$("template").addEventListener("click", () => { editor.setText(TEMPLATE); editor.relint(); });
$("difficulty").addEventListener("change", showPreview);
$("importCsv").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (!f) return;
  try {
    const res = await api("POST", "/api/studio/injects", { yaml: editor.text(), csv: await f.text() });
    editor.setText(res.yaml);
    status(sw("csvReplaced", { file: f.name }));
  } catch (e) {
    status(sw("refused", { msg: e.message }));
    if (e.body && e.body.lines) showProblems(e.body.lines);
  } finally {
    ev.target.value = "";
  }
});

chrome(() => { translateStudio(); links(); showPreview(); if (last) showProblems(last.problems); });
(async () => {
  await loadSession();
  translateStudio();
  const schema = await api("GET", "/api/studio/schema");
  let text = "";
  if (name) {
    try {
      const sc = await api("GET", "/api/studio/scenarios/" + encodeURIComponent(name));
      text = sc.yaml; version = sc.version; writable = sc.writable;
    } catch (e) { status(e.message); name = ""; }
  }
  savedText = text;
  editor = createEditor($("editor"), { doc: text, schema, validate: check, delay: 400, label: sw("studio") });
  window.firedrillEditor = editor;
  // Rehearse plays the text as it is in the editor (saved or not) with its
  // robots; a server with no cluster for them says so when clicked.
  wireRehearse(editor, status, (text) => Boolean(last && !last.valid && last.yaml === text));
  links();
  await loadVersions();
  editor.relint();
})();
