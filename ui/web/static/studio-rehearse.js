// The studio's Rehearse button (issue 15; control/rehearse's Report is what
// GET /api/rehearsals/{id} answers): the scenario as it is in the editor is
// played with robot participants on the drill clock ×600 (POST
// /api/rehearsals), and the report is shown as it comes (GET
// /api/rehearsals/{id}): every check with its outcome, passed or failed.
import { api, clear, el } from "./common.js";
import { sw } from "./words.js";

const $ = (id) => document.getElementById(id);

function render(r) {
  $("rehearsalBox").hidden = false;
  const st = r.status || "running";
  $("rehearsalStatus").textContent = st === "running" ? sw("rehearsing", { status: sw("running") }) : sw(st === "passed" ? "passed" : "failed");
  $("rehearsalStatus").dataset.status = st;
  const checks = (r.checks || []).map((c) =>
    el("li", { class: c.outcome === "passed" ? "pass" : c.outcome === "failed" ? "fail" : "", dataset: { outcome: c.outcome } },
      (c.what ? c.what + ": " : "") + (c.message || c.outcome)));
  if (r.error) checks.unshift(el("li", { class: "fail" }, r.error));
  clear($("rehearsalChecks")).append(...checks);
}

/** wire connects the Rehearse button to the editor; invalid(text) says
 * whether the last check found the text invalid. */
export function wire(editor, status, invalid) {
  const btn = $("rehearse");
  btn.hidden = false;
  btn.addEventListener("click", async () => {
    // Nothing is sent that cannot be played: an invalid text says what to
    // fix first, a text with no robots says to add them.
    const text = editor.text();
    if (!text.trim() || invalid(text)) { status(sw("fixFirst")); return; }
    if (!/^rehearsal:/m.test(text)) { status(sw("noRobots")); return; }
    btn.disabled = true;
    try {
      // The preview's choice is "difficulty", or "candidate/difficulty" for
      // a scenario that keeps candidates: the rehearsal plays that one.
      const choice = $("difficulty").value.split("/");
      const difficulty = choice.pop(), candidate = choice.join("/");
      const { id } = await api("POST", "/api/rehearsals", { scenario: editor.text(), difficulty, candidate, timeScale: 600 });
      render({ status: "running", checks: [] });
      for (;;) {
        const r = await api("GET", "/api/rehearsals/" + encodeURIComponent(id));
        render(r);
        if (r.status !== "running") break;
        await new Promise((ok) => setTimeout(ok, 1000));
      }
    } catch (e) {
      status(sw("refused", { msg: e.message }));
    } finally {
      btn.disabled = false;
    }
  });
}
