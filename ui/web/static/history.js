// The drill history: drills per team and season, people trained, the
// before → after self-rating, the time-to-incident-notice trend, open
// follow-up actions and the season's awards.
import { api, chrome, clear, el, fmtClock, loadSession } from "./common.js";
import { rt, translateRT } from "./retro-i18n.js";
import { t } from "./i18n.js";
import { endReason, say, translateWords } from "./words.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let last = null;

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function trend(points) {
  const box = clear($("trend"));
  const pts = points.filter((p) => p.ms !== null && p.ms !== undefined);
  if (!pts.length) { box.append(el("p", { class: "muted" }, rt("none"))); return; }
  const w = 700, h = 180, l = 50, b = 30, max = Math.max(...pts.map((p) => p.ms)) * 1.15;
  const s = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", "aria-label": rt("noticeTrend") });
  const x = (i) => l + (pts.length === 1 ? (w - l - 20) / 2 : i * (w - l - 20) / (pts.length - 1));
  const y = (v) => h - b - v / max * (h - b - 10);
  for (let m = 0; m * 60000 <= max; m += Math.max(1, Math.ceil(max / 60000 / 5))) {
    s.append(svg("line", { x1: l, x2: w - 10, y1: y(m * 60000), y2: y(m * 60000), stroke: "#c8ced8" }));
    s.append(svg("text", { x: l - 6, y: y(m * 60000) + 4, "text-anchor": "end", "font-size": 11, fill: "currentColor" }, m + "m"));
  }
  s.append(svg("polyline", { points: pts.map((p, i) => x(i) + "," + y(p.ms)).join(" "), fill: "none", stroke: "#2f6fdf", "stroke-width": 2 }));
  pts.forEach((p, i) => {
    const c = svg("circle", { cx: x(i), cy: y(p.ms), r: 4, fill: "#2f6fdf" });
    c.append(svg("title", {}, p.date + " " + p.drillId + ": " + fmtClock(p.ms)));
    s.append(c, svg("text", { x: x(i), y: h - 8, "text-anchor": "middle", "font-size": 11, fill: "currentColor" }, p.date));
  });
  box.append(s);
}

function options(sel, values, cur) {
  clear(sel);
  sel.append(el("option", { value: "" }, rt("all")));
  for (const v of values) sel.append(el("option", { value: v, selected: v === cur }, v));
}

// awardList lists a set of awards: the largest gain, the most efficient
// participation, the most realistic scenario, and thanks to the designers.
function awardList(aw, a, drillName) {
  if (a.largestGain) aw.append(el("li", {}, el("strong", {}, rt("largestGain")), el("span", { class: "grow" }, ` ${a.largestGain.name}: ${a.largestGain.before} → ${a.largestGain.after} (+${a.largestGain.gain})${drillName(a.largestGain.drillId) ? ", " + drillName(a.largestGain.drillId) : ""}`)));
  if (a.mostEfficient) aw.append(el("li", {}, el("strong", {}, rt("mostEfficient")), el("span", { class: "grow" }, ` ${a.mostEfficient.title} (${a.mostEfficient.team || "—"}): ${a.mostEfficient.why}`)));
  if (a.mostRealistic) aw.append(el("li", {}, el("strong", {}, rt("mostRealistic")), el("span", { class: "grow" }, ` ${a.mostRealistic.title}: ${a.mostRealistic.score} / 5 (${a.mostRealistic.answers})`)));
  if (a.designers.length) aw.append(el("li", {}, el("strong", {}, rt("thanks")), el("span", { class: "grow" }, " " + a.designers.join(", "))));
}

function render(h) {
  options($("team"), h.teams, h.filter.team || "");
  options($("season"), h.seasons, h.filter.season || "");
  $("nDrills").textContent = h.drills.length;
  $("nTrained").textContent = h.peopleTrained;
  const r = h.ratings;
  // Fewer than three answers are not averaged (the server sends only the
  // count): an average of one or two gives away someone's own ratings.
  $("ratings").textContent = h.ratingsHidden ? rt("tooFewAnswers") : r.count ? `${r.before.toFixed(1)} → ${r.after.toFixed(1)} (${r.changePct >= 0 ? "+" : ""}${r.changePct}%)` : "–";
  $("nActions").textContent = h.openActions.length;
  // A drill is named by its title (and date), never by its id.
  const titles = new Map(h.drills.map((d) => [d.drillId, d.title + " (" + d.date + ")"]));
  const drillName = (id) => titles.get(id) || "";
  awardList(clear($("awards")), h.awards, drillName);
  // The practice's awards proper: per team and season.
  const ta = clear($("teamAwards"));
  for (const x of h.teamAwards || []) {
    const list = el("ul", { class: "rt-list" });
    awardList(list, x.awards, drillName);
    ta.append(el("div", { class: "team-awards", dataset: { team: x.team, season: x.season } },
      el("h3", {}, say("awards.team", { team: x.team || "—" }) + " · " + say("awards.season", { season: x.season })), list));
  }
  trendFor(h);
  $("leftOut").textContent = h.rehearsalsLeftOut ? rt("rehearsalsLeftOut", { n: h.rehearsalsLeftOut }) : "";
  const tb = clear($("drills"));
  for (const d of h.drills) {
    tb.append(el("tr", {}, el("td", {}, d.date), el("td", {}, el("a", { href: "/room/" + encodeURIComponent(d.drillId) + "/retro" }, d.title),
        d.timeScale && d.timeScale !== 1 ? el("span", { class: "tag rehearsal", dataset: { rehearsal: d.drillId } }, " " + rt("rehearsalTag", { scale: d.timeScale })) : null),
      el("td", {}, d.team || "—"), el("td", {}, d.endReason ? endReason(d.endReason) : t(d.state)),
      el("td", {}, d.timeToIncidentNoticeMs == null ? "—" : fmtClock(d.timeToIncidentNoticeMs)),
      el("td", {}, d.timeToResolutionNoticeMs == null ? "—" : fmtClock(d.timeToResolutionNoticeMs)),
      el("td", {}, String(d.hintsUsed)), el("td", { dataset: { ratings: d.drillId } }, d.ratingsHidden ? rt("tooFewAnswers") : d.ratings.count ? `${d.ratings.before.toFixed(1)} → ${d.ratings.after.toFixed(1)}` : "—")));
  }
  trend(h.noticeTrend);
  const al = clear($("actions"));
  for (const x of h.openActions) {
    al.append(el("li", {}, el("span", { class: "grow" }, x.title, el("span", { class: "muted small" }, ` — ${rt(x.kind)}${x.owner ? ", " + x.owner : ""}${x.due ? ", " + x.due : ""}${drillName(x.drillId) ? " · " + drillName(x.drillId) : ""}`)),
      x.overdue ? el("span", { class: "tag rejected" }, rt("overdue")) : null));
  }
}

// trendFor shows the chosen team's participants' trend, aggregated; the
// server leaves out a group too small to hide anyone's own ratings.
async function trendFor(h) {
  const box = $("teamTrend");
  if (!h.filter.team) { box.textContent = say("trend.pick"); return; }
  const q = new URLSearchParams({ team: h.filter.team });
  if (h.filter.season) q.set("season", h.filter.season);
  try {
    const tr = await api("GET", "/api/history/trend?" + q.toString());
    box.dataset.shown = String(tr.shown);
    box.textContent = tr.shown
      ? say("trend.shown", { people: tr.people, team: tr.team, before: tr.before.toFixed(1), after: tr.after.toFixed(1) }) + ` (${tr.changePct >= 0 ? "+" : ""}${tr.changePct}%)`
      : say("trend.suppressed", { min: tr.minPeople, team: tr.team });
  } catch (e) { box.textContent = e.message; }
}

async function load() {
  const q = new URLSearchParams();
  if ($("team").value) q.set("team", $("team").value);
  if ($("season").value) q.set("season", $("season").value);
  if ($("rehearsals").checked) q.set("rehearsals", "1");
  try {
    last = await api("GET", "/api/history?" + q.toString());
    $("error").textContent = "";
    render(last);
  } catch (e) { $("error").textContent = e.message; }
}

chrome(() => { translateRT(); translateWords(); if (last) render(last); });
translateRT();
translateWords();
(async () => {
  const s = await loadSession();
  if (!s.admin) { location.assign("/"); return; }
  $("team").addEventListener("change", load);
  $("season").addEventListener("change", load);
  $("rehearsals").addEventListener("change", load);
  await load();
})();
