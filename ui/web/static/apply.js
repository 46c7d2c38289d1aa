// A team applies for a drill: the practice starts with a team applying.
import { api, clear, el, loadSession } from "./common.js";

const $ = (id) => document.getElementById(id);

(async () => {
  await loadSession();
  const s = await api("GET", "/api/program/apply");
  const sel = clear($("aSeason"));
  for (const season of s.seasons) sel.append(el("option", { value: season }, season));
  if (!s.seasons.length) {
    sel.append(el("option", { value: "" }, "no season is open"));
    $("aSubmit").disabled = true;
  }
})();

$("apply").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("error").textContent = "";
  try {
    const r = await api("POST", "/api/program/apply", {
      season: $("aSeason").value, team: $("aTeam").value, contact: $("aContact").value, targetMonth: $("aMonth").value, note: $("aNote").value,
    });
    $("apply").classList.add("hidden");
    $("done").textContent = `Thank you: ${r.team}'s application for ${r.season} is in. The program owner will get back to you to plan the drill.`;
    $("done").classList.remove("hidden");
  } catch (e) { $("error").textContent = e.message; }
});
