// The org-wide admin's sessions page: the people signed in with the
// identity provider, and ending a person's sessions everywhere after a
// confirmation.
import { api, chrome, clear, el, loadSession } from "./common.js";
import { say, translateWords } from "./words.js";

const $ = (id) => document.getElementById(id);
let last = null;
let pending = null; // the person whose sessions the confirmation ends

function teams(p) {
  if (!p.staff) return "–";
  return Object.entries(p.teams).sort().map(([team, role]) => (team === "*" ? say("sess.allTeams") : team) + " (" + role + ")").join(", ");
}

function render() {
  const tb = clear($("people"));
  $("nobody").classList.toggle("hidden", last.people.length > 0);
  for (const p of last.people) {
    tb.append(el("tr", { dataset: { subject: p.subject } },
      el("td", {}, p.name, p.you ? el("span", { class: "muted small" }, " " + say("sess.you")) : null),
      el("td", {}, say(p.staff ? "sess.staff" : "sess.personal")),
      el("td", {}, teams(p)),
      el("td", {}, String(p.sessions)),
      el("td", {}, new Date(p.until).toLocaleString()),
      el("td", {}, el("button", { type: "button", class: "danger revoke", onclick: () => ask(p) }, say("sess.revoke")))));
  }
}

function ask(p) {
  pending = p;
  $("revokeText").textContent = say("sess.confirm", { name: p.name, n: p.sessions });
  $("revokeWhy").value = "";
  $("revokeConfirm").classList.remove("hidden");
  $("revokeWhy").focus();
}

async function load() {
  try {
    last = await api("GET", "/api/admin/sessions");
    $("error").textContent = "";
    render();
  } catch (e) { $("error").textContent = e.message; }
}

chrome(() => { translateWords(); if (last) render(); });
translateWords();
(async () => {
  await loadSession();
  $("revokeNo").addEventListener("click", () => { pending = null; $("revokeConfirm").classList.add("hidden"); });
  $("revokeYes").addEventListener("click", async () => {
    if (!pending) return;
    const p = pending;
    pending = null;
    $("revokeConfirm").classList.add("hidden");
    try {
      const res = await api("POST", "/api/admin/sessions/revoke", { subject: p.subject, why: $("revokeWhy").value });
      $("done").textContent = say("sess.done", { name: res.name, n: res.ended });
      if (p.you) { location.assign("/login"); return; }
    } catch (e) { $("error").textContent = e.message; }
    await load();
  });
  await load();
})();
