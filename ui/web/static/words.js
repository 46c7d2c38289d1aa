// Words for what the server sends as codes: the built-in notice forms'
// labels and help, the retro timeline's phrases and why a drill ended, in
// English and Korean. They are the drill record's own words
// (control/record/words.json, served as words-dict.js), so the room, the
// retro and the printable record say the same things the same way.
import { currentLang, t } from "./i18n.js";
import dict from "./words-dict.js";

// The people pages: the admin's sessions page, the team's participant
// trend on the history page, awards per team, "my drills".
Object.assign(dict.en, {
  "sess.title": "Signed-in people", "sess.intro": "People signed in with the identity provider. Ending a person's sessions signs them out in every browser and closes their drill streams; they can sign in again unless the identity provider stops them.",
  "sess.name": "Name", "sess.kind": "Signed in for", "sess.teams": "Teams", "sess.browsers": "Browsers", "sess.until": "Expires by",
  "sess.staff": "console", "sess.personal": "my drills", "sess.allTeams": "every team", "sess.you": "(you)",
  "sess.revoke": "End sessions", "sess.confirm": "End every session of {name} ({n} browsers)? They are signed out everywhere at once.",
  "sess.why": "Reason, for the log", "sess.yes": "End their sessions", "sess.no": "Keep them", "sess.done": "{name}: {n} sessions ended.",
  "sess.none": "Nobody is signed in with the identity provider.", "sess.console": "Console",
  "trend.title": "Participants' trend (team aggregate)", "trend.pick": "Pick a team to see its participants' trend.",
  "trend.shown": "{people} participants who linked at least two drills of {team}: {before} before their first drill → {after} after their latest (average self-ratings, 1–5).",
  "trend.suppressed": "Fewer than {min} participants of {team} linked two or more drills: not shown, so that no one's own trend can be read from it.",
  "awards.team": "Awards of {team}", "awards.season": "season {season}", "awards.allSeasons": "all seasons",
  "me.title": "My drills", "me.signOut": "Sign out",
  "me.notAnswered": "not answered yet", "me.trend": "Trend: after each drill you rated yourself {ratings} (out of 5).",
  "me.trendLater": "Your trend shows once you answered the retro of two drills.",
  "me.intro": "Your own before/after self-ratings of your incident response, drill by drill. Only you see them; your team sees them only averaged with everyone else's.",
  "me.drill": "Drill", "me.team": "Team", "me.before": "Before", "me.after": "After", "me.change": "Change",
});
Object.assign(dict.ko, {
  "sess.title": "로그인한 사람", "sess.intro": "ID 공급자로 로그인한 사람입니다. 세션을 끝내면 모든 브라우저에서 로그아웃되고 훈련 스트림이 닫힙니다. ID 공급자가 막지 않는 한 다시 로그인할 수 있습니다.",
  "sess.name": "이름", "sess.kind": "로그인 목적", "sess.teams": "팀", "sess.browsers": "브라우저", "sess.until": "만료",
  "sess.staff": "콘솔", "sess.personal": "내 훈련", "sess.allTeams": "모든 팀", "sess.you": "(나)",
  "sess.revoke": "세션 끝내기", "sess.confirm": "{name} 님의 모든 세션({n}개 브라우저)을 끝낼까요? 모든 곳에서 바로 로그아웃됩니다.",
  "sess.why": "이유 (로그에 남습니다)", "sess.yes": "세션 끝내기", "sess.no": "그대로 두기", "sess.done": "{name}: 세션 {n}개를 끝냈습니다.",
  "sess.none": "ID 공급자로 로그인한 사람이 없습니다.", "sess.console": "콘솔",
  "trend.title": "참여자 추이 (팀 합계)", "trend.pick": "팀을 고르면 그 팀 참여자의 추이를 봅니다.",
  "trend.shown": "{team}의 훈련 두 번 이상을 계정에 연결한 참여자 {people}명: 첫 훈련 전 {before} → 최근 훈련 후 {after} (자기 평가 평균, 1–5).",
  "trend.suppressed": "{team}에서 훈련 두 번 이상을 연결한 참여자가 {min}명 미만입니다. 개인의 추이가 드러나지 않도록 보여 주지 않습니다.",
  "awards.team": "{team} 시상", "awards.season": "{season} 시즌", "awards.allSeasons": "전체 시즌",
  "me.title": "내 훈련", "me.signOut": "로그아웃",
  "me.notAnswered": "아직 답하지 않음", "me.trend": "추이: 훈련마다 훈련 후 자기 평가가 {ratings}였습니다 (5점 만점).",
  "me.trendLater": "두 훈련의 회고에 답하면 추이가 보입니다.",
  "me.intro": "훈련마다 남긴 나의 장애 대응 자기 평가(전/후)입니다. 나만 볼 수 있으며, 팀에는 다른 사람들과 합친 평균으로만 보입니다.",
  "me.drill": "훈련", "me.team": "팀", "me.before": "전", "me.after": "후", "me.change": "변화",
});

/** say returns a people-page string in the page's language, with {name} placeholders filled. */
export function say(key, vars) { return fill(w(key) || key, vars || {}); }

/** translateWords fills every element carrying data-w with its string. */
export function translateWords(root = document) {
  for (const e of root.querySelectorAll("[data-w]")) e.textContent = say(e.dataset.w);
}

const noticeTitles = { incident: ["Incident notice", "incidentNotice"], "status-update": ["Status update", "statusNotice"], resolution: ["Resolution notice", "resolutionNotice"] };

/** w returns the string for key in the room's language, or undefined when neither language has it. */
function w(key) {
  const d = dict[currentLang()] || dict.en;
  return d[key] !== undefined ? d[key] : dict.en[key];
}

// builtIn reports whether text is what the built-in form says for key, in
// English: a designer's own wording is kept as written.
function builtIn(key, text) { return dict.en[key] !== undefined && dict.en[key] === text; }

/** fieldLabel says a notice field's label in the room's language when it is the built-in one. */
export function fieldLabel(kind, f) {
  const key = "nf." + kind + "." + f.id;
  return builtIn(key, f.label) ? w(key) : f.label;
}

/** fieldHelp says a notice field's help text in the room's language when it is the built-in one. */
export function fieldHelp(kind, f) {
  const key = "nf." + kind + "." + f.id + ".help";
  return builtIn(key, f.help) ? w(key) : f.help;
}

/** optionText words a built-in notice status; other options are shown as written. */
export function optionText(f, o) {
  return f.id === "status" && dict.en["status." + o] !== undefined ? w("status." + o) : o;
}

/** noticeTitle says a notice form's title, translated when it is a built-in one. */
export function noticeTitle(kind, title) {
  const b = noticeTitles[kind];
  const fallback = kind.charAt(0).toUpperCase() + kind.slice(1) + " notice"; // the server's name for a form it lacks
  if (b && (!title || title === b[0] || title === fallback)) return t(b[1]);
  return title || kind;
}

/** endReason words why a drill ended; an unknown reason is shown as written. */
export function endReason(r) {
  return (r && w("end." + r)) || r || "";
}

// fill fills {name} placeholders; a [bracketed] part is left out when one
// of its placeholders is empty.
function fill(tpl, args) {
  tpl = tpl.replace(/\[([^\]]*)\]/g, (_, part) => (part.match(/\{\w+\}/g) || []).some((m) => !args[m.slice(1, -1)]) ? "" : part);
  return tpl.replace(/\{(\w+)\}/g, (_, k) => args[k] === undefined ? "" : String(args[k]));
}

// engineWhy says a reason the engine wrote in English in the room's
// language, as the record does (control/record/phrase.go); a person's own
// reason is kept as written.
function engineWhy(why) {
  const keys = ["why.stopped-fired", "why.stopped-injected", "why.faults-resolved", "why.skipped-by-facilitator", "why.given-early"];
  const k = keys.find((k) => dict.en[k] === why);
  if (k) return w(k);
  const prefix = dict.en["why.skipped-by-facilitator"] + ": ";
  if (why.startsWith(prefix)) return fill(w("why.skipped-for"), { why: why.slice(prefix.length) });
  if (/^(it fires only if |it fires unless |its predecessor )/.test(why) || why.includes(" was not resolved before ")) return w("why.condition");
  return why;
}

/** phrase words a timeline entry ({say, args, summary}) in the room's language; an entry without a known phrase shows its summary. */
export function phrase(e) {
  const tpl = e.say && w(e.say);
  if (!tpl) return e.summary;
  const a = Object.assign({}, e.args || {});
  if (a.role) a.roleWords = t(a.role);
  if (a.nudge) a.nudgeWords = w("nudged." + a.nudge) || a.nudge.replaceAll("-", " ");
  if (a.by) a.byWords = w("by." + a.by) || a.by;
  if (a.why && ["fault.skipped", "hint.given", "hint.skipped"].includes(e.say)) a.why = engineWhy(a.why);
  if (a.tag) a.tagWords = w("tag." + a.tag) || a.tag;
  if (a.actionKind) a.actionKindWords = w("actkind." + a.actionKind) || a.actionKind.replaceAll("-", " ");
  if (e.say === "drill.clock") a.scaleWords = !a.scale || a.scale === "1" ? w("scale.real") : fill(w("scale.rehearsal"), { scale: a.scale });
  if (a.notice) a.title = noticeTitle(a.notice, a.title);
  if (a.notice && e.rows) {
    // The notice's fields as its form labels them, in the form's order.
    a.fields = e.rows.map((r) => fieldLabel(a.notice, r) + ": " + optionText(r, r.value)).join("; ");
  }
  if (e.say.startsWith("drill.") && e.say !== "drill.clock") {
    // Why the drill stopped, in words; the engine's own explanation is
    // English and says the same, so only a person's reason is quoted.
    const r = a.reason && !(e.say === "drill.aborted" && a.reason === "aborted") ? endReason(a.reason) : "";
    const why = a.why && !["cap", "resolved"].includes(a.reason) ? a.why : "";
    return fill(tpl + "[ ({r})][: {why}]", { r, why });
  }
  return fill(tpl, a);
}

// The scenario studio's words (studio.html, studio-edit.html): elements
// carry data-sw="key"; sw(key) says one in the page's language.
const studio = {
  en: {
    studio: "Scenario studio", library: "Library", consoleLink: "Facilitator console", newScenario: "New scenario",
    importYaml: "Upload YAML", search: "Search", team: "Team", allTeams: "every team", source: "Source", allSources: "files and studio",
    fromFiles: "files", fromStudio: "studio", title: "Title", difficulties: "Difficulties", faults: "Faults", lastEdit: "Last edit",
    lastDrill: "Last drill", none: "—", file: "file {file}", readOnly: "read-only", version: "v{n} by {who}, {when}",
    problems: "Files that did not load", noScenarios: "No scenario matches.", open: "Edit", download: "YAML", csv: "Injects CSV",
    save: "Save", saved: "Saved version {n}.", unchanged: "Nothing changed since version {n}.", saving: "Saving…",
    checking: "Checking…", valid: "Valid: no problems.", nProblems: "{e} error(s), {w} warning(s)", problemsTitle: "Problems",
    preview: "Preview", plan: "Plan", messages: "Persona messages", difficulty: "Difficulty", noPreview: "The preview appears once the scenario is valid.",
    history: "Versions", diff: "Diff from previous", diffTitle: "Changes in version {n}", noVersions: "Not saved in the studio yet.",
    downloadYaml: "Download YAML", exportCsv: "Download injects CSV", importCsv: "Upload injects CSV", csvReplaced: "Injects replaced from {file}: check and save.",
    refused: "Refused: {msg}", imported: "Imported {name}: saved as version {n}.", rehearse: "Rehearse with robots",
    rehearsing: "Rehearsing… ({status})", rehearsal: "Rehearsal report", passed: "passed", failed: "failed", running: "running",
    readOnlyFile: "This scenario is a file firedrill may not write: change metadata.name to save it as a studio scenario.",
    cap: "90-minute cap", hintLine: "70 minutes: hints", at: "at {t}", waits: "waits: {why}", onDemand: "on demand",
    kind_fault: "fault", kind_inject: "inject", kind_hint: "hint", kind_alert: "alert", "kind_follow-up": "follow-up",
    unsaved: "unsaved changes", newTitle: "New scenario", lineCol: "line {l}:{c}", goTo: "Go to line {l}",
    template: "Start from the example", fixFirst: "Fix the problems first: the scenario is not valid yet.", noRobots: "Add a rehearsal section with robots first (see the scenario README): there is nobody to play the drill.",
  },
  ko: {
    studio: "시나리오 스튜디오", library: "라이브러리", consoleLink: "진행자 콘솔", newScenario: "새 시나리오",
    importYaml: "YAML 올리기", search: "검색", team: "팀", allTeams: "모든 팀", source: "출처", allSources: "파일과 스튜디오",
    fromFiles: "파일", fromStudio: "스튜디오", title: "제목", difficulties: "난이도", faults: "장애", lastEdit: "마지막 수정",
    lastDrill: "마지막 훈련", none: "—", file: "파일 {file}", readOnly: "읽기 전용", version: "v{n} · {who} · {when}",
    problems: "불러오지 못한 파일", noScenarios: "맞는 시나리오가 없습니다.", open: "편집", download: "YAML", csv: "메시지 CSV",
    save: "저장", saved: "버전 {n}으로 저장했습니다.", unchanged: "버전 {n} 이후 바뀐 것이 없습니다.", saving: "저장 중…",
    checking: "검사 중…", valid: "문제 없음.", nProblems: "오류 {e}개, 경고 {w}개", problemsTitle: "문제",
    preview: "미리 보기", plan: "계획", messages: "페르소나 메시지", difficulty: "난이도", noPreview: "시나리오가 올바르면 미리 보기가 나타납니다.",
    history: "버전", diff: "이전 버전과 비교", diffTitle: "버전 {n}의 변경", noVersions: "아직 스튜디오에 저장되지 않았습니다.",
    downloadYaml: "YAML 내려받기", exportCsv: "메시지 CSV 내려받기", importCsv: "메시지 CSV 올리기", csvReplaced: "{file}의 메시지로 바꿨습니다. 확인하고 저장하세요.",
    refused: "거부됨: {msg}", imported: "{name}을(를) 가져와 버전 {n}으로 저장했습니다.", rehearse: "로봇으로 리허설",
    rehearsing: "리허설 중… ({status})", rehearsal: "리허설 보고서", passed: "통과", failed: "실패", running: "진행 중",
    readOnlyFile: "firedrill이 쓸 수 없는 파일입니다. metadata.name을 바꾸면 스튜디오 시나리오로 저장됩니다.",
    cap: "90분 제한", hintLine: "70분: 힌트", at: "{t}에", waits: "대기: {why}", onDemand: "요청 시",
    kind_fault: "장애", kind_inject: "메시지", kind_hint: "힌트", kind_alert: "알림", "kind_follow-up": "후속 메시지",
    unsaved: "저장하지 않은 변경", newTitle: "새 시나리오", lineCol: "{l}행 {c}열", goTo: "{l}행으로 이동",
    template: "예시로 시작", fixFirst: "먼저 문제를 고치세요. 시나리오가 아직 올바르지 않습니다.", noRobots: "먼저 로봇이 있는 rehearsal 섹션을 추가하세요 (시나리오 README 참고). 훈련을 진행할 참가자가 없습니다.",
  },
};

/** sw says a studio word in the page's language, with {name} placeholders filled. */
export function sw(key, vars) {
  const d = studio[currentLang()] || studio.en;
  let s = d[key] !== undefined ? d[key] : studio.en[key] !== undefined ? studio.en[key] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
  return s;
}

/** translateStudio fills every element carrying data-sw with its word. */
export function translateStudio(root = document) {
  for (const e of root.querySelectorAll("[data-sw]")) e.textContent = sw(e.dataset.sw);
  for (const e of root.querySelectorAll("[data-sw-placeholder]")) e.placeholder = sw(e.dataset.swPlaceholder);
}
