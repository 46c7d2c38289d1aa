import { api, loadSession } from "./common.js";
import { say, translateWords } from "./words.js";

// "My drills": the signed-in person's own before/after self-ratings across
// the drills they linked to their account, oldest first.
translateWords();
const tbody = document.getElementById("myDrills");
const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };
try {
  const me = await api("GET", "/api/me/drills");
  document.getElementById("myTitle").textContent = say("me.title") + " — " + me.name;
  const rated = [];
  for (const d of me.drills) {
    const tr = document.createElement("tr");
    tr.dataset.drill = d.drillId;
    const answered = d.before > 0 && d.after > 0;
    if (answered) rated.push(d);
    tr.append(cell(d.title), cell(d.team || "–"), cell(answered ? String(d.before) : "–"), cell(answered ? String(d.after) : "–"),
      cell(answered ? (d.after - d.before >= 0 ? "+" : "") + (d.after - d.before) : say("me.notAnswered")));
    tbody.append(tr);
  }
  const trend = document.getElementById("trend");
  if (rated.length >= 2) {
    trend.textContent = say("me.trend", { ratings: rated.map((d) => d.after).join(" → ") });
  } else {
    trend.textContent = say("me.trendLater");
  }
} catch (e) {
  document.getElementById("error").textContent = e.message;
}
document.getElementById("signOut").textContent = say("me.signOut");
document.getElementById("signOut").addEventListener("click", async () => {
  await loadSession();
  await api("POST", "/api/logout");
  location.assign("/login");
});
