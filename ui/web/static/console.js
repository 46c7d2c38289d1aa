import { api, chrome, clear, el, langLinks, loadSession } from "./common.js";
import { translateWords } from "./words.js";
import { t } from "./i18n.js";

let scenarios = [];

/** difficulties offers the levels the chosen scenario prepared its faults at. */
function difficulties() {
  const sc = scenarios.find((s) => s.name === document.getElementById("scenario").value);
  const sel = document.getElementById("difficulty");
  const cur = sel.value;
  clear(sel).append(el("option", { value: "" }, t("dDefault") + (sc && sc.difficulty ? " (" + t(sc.difficulty) + ")" : "")));
  for (const d of (sc && sc.difficulties) || []) sel.append(el("option", { value: d }, t(d)));
  sel.value = [...sel.options].some((o) => o.value === cur) ? cur : "";
}

/**
 * candidates offers the candidate scenarios the chosen file keeps, with
 * their titles and descriptions; none is picked for the facilitator, since
 * there is no default.
 */
function candidates() {
  const sc = scenarios.find((s) => s.name === document.getElementById("scenario").value);
  const list = (sc && sc.candidates) || [];
  const box = clear(document.getElementById("candidates"));
  const cur = pickedCandidate();
  document.getElementById("candidateBox").classList.toggle("hidden", list.length === 0);
  for (const c of list) {
    box.append(el("label", { class: "candidate" },
      el("input", { type: "radio", name: "candidate", value: c.id, checked: c.id === cur, dataset: { candidate: c.id } }),
      " ", el("strong", {}, c.title), " ", el("span", { class: "mono muted" }, "(" + c.id + ")"),
      c.description ? el("span", { class: "muted candidate-desc" }, c.description) : null));
  }
}

/** pickedCandidate returns the id of the candidate picked, or "". */
function pickedCandidate() {
  const r = document.querySelector('#candidates input[name="candidate"]:checked');
  return r ? r.value : "";
}

function scenarioChosen() { difficulties(); candidates(); }

async function refresh() {
  const [scs, drills] = await Promise.all([api("GET", "/api/scenarios"), api("GET", "/api/drills")]);
  scenarios = scs;
  const sel = document.getElementById("scenario");
  const cur = sel.value;
  clear(sel);
  for (const s of scs) sel.append(el("option", { value: s.name }, s.title ? s.title + " (" + s.name + ")" : s.name));
  if (scs.some((s) => s.name === cur)) sel.value = cur;
  // A team's observer (or designer of no team they facilitate) creates no
  // drill: the form shows to those with a scenario they may run.
  document.getElementById("createBox").classList.toggle("hidden", scs.length === 0);
  // The studio edits the scenarios of the teams one designs or
  // facilitates drills for: the same list.
  document.getElementById("toStudio").classList.toggle("hidden", scs.length === 0);
  scenarioChosen();
  const tb = clear(document.getElementById("drills"));
  for (const d of drills.slice().reverse()) {
    tb.append(el("tr", {},
      el("td", {}, d.title || d.id), el("td", {}, d.scenario), el("td", {}, t(d.state)),
      el("td", {}, new Date(d.createdAt).toLocaleString()),
      el("td", { class: "links" }, el("a", { href: (d.role === "facilitator" ? "/console/drills/" : "/room/") + encodeURIComponent(d.id), dataset: { open: d.id } }, t("open")),
        ["ended", "aborted", "retro", "closed"].includes(d.state) ? [" · ", el("a", { href: "/room/" + encodeURIComponent(d.id) + "/retro" }, t("retroLink")),
          " · ", el("a", { href: "/room/" + encodeURIComponent(d.id) + "/record", dataset: { record: d.id } }, t("recordLink")),
          el("span", { dataset: { recordLangs: d.id } }, langLinks("/room/" + encodeURIComponent(d.id) + "/record", t("recordLink")))] : null)));
  }
}

chrome(() => { translateWords(); refresh(); });
translateWords();
(async () => {
  const s = await loadSession();
  if (!s.admin) { location.assign("/"); return; }
  // The sessions page and the drill program are the org-wide admin's: the
  // admin credential or a group mapped to every team.
  const orgWide = !s.teams || s.breakGlass || s.teams["*"] === "facilitator";
  document.getElementById("toSessions").classList.toggle("hidden", !orgWide);
  document.getElementById("toProgram").classList.toggle("hidden", !orgWide);
  await refresh();
})();

document.getElementById("scenario").addEventListener("change", scenarioChosen);
// A scenario saved in the studio (another tab) is in the list when the
// console is looked at again.
window.addEventListener("focus", () => { refresh().catch((e) => { document.getElementById("error").textContent = e.message; }); });

document.getElementById("create").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("error");
  err.textContent = "";
  const sc = scenarios.find((s) => s.name === document.getElementById("scenario").value);
  if (sc && sc.candidates && sc.candidates.length && !pickedCandidate()) {
    err.textContent = t("pickCandidate");
    return;
  }
  try {
    const d = await api("POST", "/api/drills", {
      scenario: document.getElementById("scenario").value,
      difficulty: document.getElementById("difficulty").value,
      candidate: pickedCandidate(),
      title: document.getElementById("title").value,
      timeScale: Number(document.getElementById("timeScale").value) || 0,
    });
    location.assign("/console/drills/" + encodeURIComponent(d.id));
  } catch (e) { err.textContent = e.message; }
});

document.getElementById("signout").addEventListener("click", async () => {
  await api("POST", "/api/logout");
  location.assign("/login");
});
