// The scenario studio's library: every scenario the room knows, with its
// team, difficulties, faults, last edit and last drill; search and filters;
// upload a YAML file (validated; refused with line:column problems).
import { api, chrome, clear, el, loadSession } from "./common.js";
import { t } from "./i18n.js";
import { sw, translateStudio } from "./words.js";

const $ = (id) => document.getElementById(id);
let lib = { scenarios: [], problems: [] };

function when(iso) { return new Date(iso).toLocaleString(); }

function lastEdit(s) {
  if (s.version) return sw("version", { n: s.version, who: s.author, when: when(s.saved) });
  return sw("file", { file: s.source.split("/").pop() });
}

function matches(s) {
  const q = $("q").value.trim().toLowerCase();
  const team = $("teamFilter").value, src = $("sourceFilter").value;
  if (team && (s.team || "") !== team) return false;
  if (src === "studio" && s.source !== "studio") return false;
  if (src === "file" && s.source === "studio") return false;
  if (!q) return true;
  return [s.name, s.title, s.team, s.description, s.designer, ...(s.faults || [])].some((v) => (v || "").toLowerCase().includes(q));
}

function render() {
  translateStudio();
  const teams = [...new Set(lib.scenarios.map((s) => s.team || ""))].sort();
  const tf = $("teamFilter"), cur = tf.value;
  clear(tf).append(el("option", { value: "" }, sw("allTeams")), ...teams.filter((x) => x).map((x) => el("option", { value: x }, x)));
  tf.value = teams.includes(cur) ? cur : "";
  const tb = clear($("scenarios"));
  const shown = lib.scenarios.filter(matches);
  for (const s of shown) {
    const enc = encodeURIComponent(s.name);
    tb.append(el("tr", { dataset: { scenario: s.name } },
      el("td", {}, el("a", { href: "/studio/edit?name=" + enc, class: "st-title" }, s.title || s.name), el("div", { class: "muted mono" }, s.name)),
      el("td", {}, s.team || sw("none")),
      el("td", {}, (s.difficulties || []).map((d) => t(d)).join(", ") || sw("none")),
      el("td", { class: "mono" }, (s.faults || []).join(", ")),
      el("td", {}, lastEdit(s), s.writable ? null : el("div", { class: "muted" }, sw("readOnly"))),
      el("td", {}, s.lastDrill ? [s.lastDrill.title, el("div", { class: "muted" }, t(s.lastDrill.state) + " · " + when(s.lastDrill.createdAt))] : sw("none")),
      el("td", { class: "links" },
        el("a", { href: "/api/studio/scenarios/" + enc + "/yaml", download: s.name + ".yaml" }, sw("download")), " · ",
        el("a", { href: "/api/studio/scenarios/" + enc + "/injects.csv", download: s.name + "-injects.csv" }, sw("csv")))));
  }
  $("empty").hidden = shown.length > 0;
  $("problemsBox").hidden = !lib.problems.length;
  clear($("problems")).append(...lib.problems.map((p) => el("li", { class: "mono" }, p)));
}

async function refresh() {
  lib = await api("GET", "/api/studio/scenarios");
  render();
}

// showRefusal lists a refused upload's problems at their line:column.
function showRefusal(e) {
  $("error").textContent = sw("refused", { msg: e.message });
  const lines = (e.body && e.body.lines) || [];
  clear($("importProblems")).append(...lines.map((p) => el("li", { class: "mono" }, sw("lineCol", { l: p.line, c: p.column }) + " " + (p.path ? p.path + ": " : "") + p.message)));
}

$("importYaml").addEventListener("change", async (ev) => {
  const f = ev.target.files[0];
  if (!f) return;
  $("error").textContent = "";
  clear($("importProblems"));
  try {
    const v = await api("POST", "/api/studio/scenarios", { yaml: await f.text(), base: 0 });
    $("error").textContent = "";
    await refresh();
    clear($("importProblems")).append(el("li", { class: "ok" }, sw("imported", { name: v.name, n: v.version })));
  } catch (e) {
    showRefusal(e);
  } finally {
    ev.target.value = "";
  }
});

for (const id of ["q", "teamFilter", "sourceFilter"]) $(id).addEventListener("input", render);

chrome(render);
(async () => {
  const s = await loadSession();
  $("navConsole").hidden = !s.admin;
  try { await refresh(); } catch (e) { $("error").textContent = e.message; }
})();
