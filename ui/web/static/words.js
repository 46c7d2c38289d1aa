// Words for what the server sends as codes: the built-in notice forms'
// labels and help, the retro timeline's phrases and why a drill ended, in
// English and Korean. The English of the timeline phrases matches the
// server's (control/record/phrase.go), which the record's exports show.
import { currentLang, t } from "./i18n.js";

const dict = {
  en: {
    // Built-in notice forms (scenarios/notices.go): a label or help the
    // scenario's designer changed is shown as written.
    "nf.incident.started": "Start time", "nf.incident.impact": "Impact scope", "nf.incident.channel": "Response channel",
    "nf.incident.grade": "Internal grade", "nf.incident.status": "Status", "nf.incident.nextUpdate": "Next update",
    "nf.incident.started.help": "When users started to be affected, as far as known (e.g. 14:05).",
    "nf.incident.impact.help": "What users cannot do, in their words: \"customers cannot pay\", not \"latency high on A\".",
    "nf.incident.channel.help": "Where the response happens and questions go.",
    "nf.incident.nextUpdate.help": "When the next status update will be posted.",
    "nf.status-update.status": "Status", "nf.status-update.impact": "Current impact", "nf.status-update.progress": "What we are doing",
    "nf.status-update.expectedRecovery": "Expected recovery time", "nf.status-update.followUp": "Follow-up for customers", "nf.status-update.nextUpdate": "Next update",
    "nf.status-update.expectedRecovery.help": "Best estimate as a clock time (e.g. 14:30); write \"unknown\" when it is not known yet.",
    "nf.resolution.started": "Start time", "nf.resolution.ended": "End time", "nf.resolution.impact": "Impact", "nf.resolution.cause": "Cause",
    "nf.resolution.recovery": "Recovery", "nf.resolution.affectedCustomers": "Affected customers", "nf.resolution.followUp": "Follow-up",
    "nf.resolution.cause.help": "Verified facts only; the full 5 whys go into the incident report.",
    "nf.resolution.affectedCustomers.help": "How many, and how they are extracted for after-care.",
    "status.investigating": "investigating", "status.identified": "identified", "status.monitoring": "monitoring", "status.resolved": "resolved",
    // Why a drill ended (control.Drill.EndReason).
    "end.cap": "time cap reached", "end.resolved": "every fault resolved", "end.facilitator": "ended by the facilitator",
    "end.aborted": "aborted", "end.scheduled": "on schedule",
    "by.probe": "by its checks", "by.manual": "marked by hand",
    // Retro timeline phrases (record.Phrase keys).
    "drill.created": "Drill created", "drill.scheduled": "Drill scheduled", "drill.briefing": "Briefing", "drill.started": "Drill started",
    "drill.paused": "Drill paused", "drill.resumed": "Drill resumed", "drill.ended": "Drill ended", "drill.aborted": "Drill aborted",
    "drill.retro": "Retrospective opened", "drill.closed": "Drill closed", "drill.restarted": "Controller restarted",
    "fault.fire-requested": "Fault {fault}: fire requested", "fault.intent": "Fault {fault}: injecting (attempt {attempt})",
    "fault.prepared": "Fault {fault}: revert record saved", "fault.injected": "Fault {fault} injected",
    "fault.inject-failed": "Fault {fault}: inject failed: {error}", "fault.skipped": "Fault {fault} skipped[ ({why})]",
    "fault.recovering": "Fault {fault}: probes hold (recovering)[ ({why})]", "fault.regressed": "Fault {fault}: regressed[ ({why})]",
    "fault.resolved": "Fault {fault} resolved[ ({byWords})]", "fault.revert-intent": "Fault {fault}: reverting", "fault.reverted": "Fault {fault} reverted",
    "fault.revert-failed": "Fault {fault}: revert failed: {error}",
    "fault.partial": "Fault {fault}: inject failed half way; the record of what it changed is saved: {error}",
    raw: "{text}", other: "Another event", "drill.clock": "Drill clock set to {scaleWords}", "person.added": "{name} joined as {roleWords}",
    "person.removed": "{name} was removed from the drill[: {why}]", "survey.link": "After-drill survey link shared",
    "inject.posted": "Scripted message[ from {persona}][ in #{channel}]", "inject.followup": "Scripted follow-up[ from {persona}][ in #{channel}]",
    "inject.triggered": "Scripted message {inject} triggered[: {why}]",
    "hint.given": "Hint[ from {persona}][ in #{channel}] given[ ({why})]", "hint.skipped": "Hint[ from {persona}][ in #{channel}] skipped[ ({why})]",
    "scale.real": "real time", "scale.rehearsal": "rehearsal, ×{scale}",
    "alert.firing": "Alert {alert} firing", "alert.resolved": "Alert {alert} resolved",
    chat: "#{channel} {name}: {text}", "notice.posted": "{title} by {name}: {fields}", "notice.form": "{title} by {name} — {fields}",
    note: "Observer note ({tag}): {text}",
    "role.claimed": "{name} claimed {roleWords}", "role.released": "{name} released {roleWords}", "role.tookover": "{name} took over {roleWords} from {from}",
    nudge: "Drill bot reminded the team: {nudgeWords}",
    "retro.submitted": "Retro answers submitted", "retro.question": "Question: {text}", "retro.answered": "Question answered",
    "action.proposed": "Action proposed ({actionKind}): {title}", "action.accepted": "Action[ {title}] accepted", "action.rejected": "Action[ {title}] rejected",
    "retro.presents": "{name} presents", "retro.closed": "Retrospective closed",
    "nudged.no-commander": "nobody had claimed incident commander", "nudged.no-propagation": "nobody had claimed propagation",
    "nudged.status-overdue": "a status update was overdue", "nudged.no-incident-notice": "no incident notice had been posted",
    "nudged.recovery-and-propagation": "one person held both recovery and propagation while others were free",
  },
  ko: {
    "nf.incident.started": "시작 시각", "nf.incident.impact": "영향 범위", "nf.incident.channel": "대응 채널",
    "nf.incident.grade": "내부 등급", "nf.incident.status": "상태", "nf.incident.nextUpdate": "다음 공유 시각",
    "nf.incident.started.help": "아는 범위에서 사용자가 영향을 받기 시작한 시각 (예: 14:05).",
    "nf.incident.impact.help": "사용자가 무엇을 못 하는지 사용자의 말로: \"A 지연 증가\"가 아니라 \"고객이 결제를 못 함\".",
    "nf.incident.channel.help": "대응이 이루어지고 질문을 받는 곳.",
    "nf.incident.nextUpdate.help": "다음 상황 공유를 게시할 시각.",
    "nf.status-update.status": "상태", "nf.status-update.impact": "현재 영향", "nf.status-update.progress": "진행 중인 조치",
    "nf.status-update.expectedRecovery": "예상 복구 시각", "nf.status-update.followUp": "고객 후속 조치", "nf.status-update.nextUpdate": "다음 공유 시각",
    "nf.status-update.expectedRecovery.help": "시각으로 쓴 최선의 추정 (예: 14:30). 아직 모르면 \"미정\"이라고 쓰세요.",
    "nf.resolution.started": "시작 시각", "nf.resolution.ended": "종료 시각", "nf.resolution.impact": "영향", "nf.resolution.cause": "원인",
    "nf.resolution.recovery": "복구 조치", "nf.resolution.affectedCustomers": "영향받은 고객", "nf.resolution.followUp": "후속 조치",
    "nf.resolution.cause.help": "확인된 사실만 쓰세요. 5 Whys 전체는 장애 보고서에 씁니다.",
    "nf.resolution.affectedCustomers.help": "몇 명인지, 사후 대응을 위해 어떻게 추출하는지.",
    "status.investigating": "원인 파악 중", "status.identified": "원인 확인", "status.monitoring": "모니터링 중", "status.resolved": "해소",
    "end.cap": "제한 시간 도달", "end.resolved": "모든 장애 해결", "end.facilitator": "진행자가 종료",
    "end.aborted": "중단", "end.scheduled": "예정대로",
    "by.probe": "자동 확인", "by.manual": "수동 표시",
    "drill.created": "훈련 생성", "drill.scheduled": "훈련 일정 확정", "drill.briefing": "브리핑", "drill.started": "훈련 시작",
    "drill.paused": "훈련 일시정지", "drill.resumed": "훈련 재개", "drill.ended": "훈련 종료", "drill.aborted": "훈련 중단",
    "drill.retro": "회고 시작", "drill.closed": "훈련 닫힘", "drill.restarted": "컨트롤러 재시작",
    "fault.fire-requested": "장애 {fault}: 발생 요청", "fault.intent": "장애 {fault}: 주입 중 ({attempt}번째 시도)",
    "fault.prepared": "장애 {fault}: 원복 기록 저장", "fault.injected": "장애 {fault} 발생",
    "fault.inject-failed": "장애 {fault}: 주입 실패: {error}", "fault.skipped": "장애 {fault} 건너뜀[ ({why})]",
    "fault.recovering": "장애 {fault}: 확인 통과 유지 중 (복구 중)[ ({why})]", "fault.regressed": "장애 {fault}: 다시 실패[ ({why})]",
    "fault.resolved": "장애 {fault} 해결[ ({byWords})]", "fault.revert-intent": "장애 {fault}: 원복 중", "fault.reverted": "장애 {fault} 원복",
    "fault.revert-failed": "장애 {fault}: 원복 실패: {error}",
    "fault.partial": "장애 {fault}: 주입이 중간에 실패했습니다. 바뀐 내용의 기록은 저장되었습니다: {error}",
    raw: "{text}", other: "기타 이벤트", "drill.clock": "훈련 시계를 {scaleWords}(으)로 설정", "person.added": "{name} 님이 {roleWords}(으)로 참여",
    "person.removed": "{name} 님이 훈련에서 제외됨[: {why}]", "survey.link": "훈련 후 설문 링크 공유",
    "inject.posted": "스크립트 메시지[ ({persona})][ #{channel}]", "inject.followup": "스크립트 후속 메시지[ ({persona})][ #{channel}]",
    "inject.triggered": "스크립트 메시지 {inject} 발동[: {why}]",
    "hint.given": "힌트[ ({persona})][ #{channel}] 제공[ ({why})]", "hint.skipped": "힌트[ ({persona})][ #{channel}] 건너뜀[ ({why})]",
    "scale.real": "실제 시간", "scale.rehearsal": "리허설 ×{scale}",
    "alert.firing": "알림 {alert} 발생", "alert.resolved": "알림 {alert} 해제",
    chat: "#{channel} {name}: {text}", "notice.posted": "{title} — {name}: {fields}", "notice.form": "{title} — {name}: {fields}",
    note: "관찰자 메모 ({tag}): {text}",
    "role.claimed": "{name} 님이 {roleWords} 역할을 맡음", "role.released": "{name} 님이 {roleWords} 역할을 내려놓음",
    "role.tookover": "{name} 님이 {from} 님에게서 {roleWords} 역할을 넘겨받음",
    nudge: "훈련 봇 알림: {nudgeWords}",
    "retro.submitted": "회고 답변 제출", "retro.question": "질문: {text}", "retro.answered": "질문 답변됨",
    "action.proposed": "후속 조치 제안 ({actionKind}): {title}", "action.accepted": "후속 조치[ {title}] 채택", "action.rejected": "후속 조치[ {title}] 반려",
    "retro.presents": "{name} 님 발표", "retro.closed": "회고 닫힘",
    "nudged.no-commander": "장애 대응 리더를 맡은 사람이 없었음", "nudged.no-propagation": "전파를 맡은 사람이 없었음",
    "nudged.status-overdue": "상황 공유가 늦었음", "nudged.no-incident-notice": "장애 공지가 게시되지 않았음",
    "nudged.recovery-and-propagation": "다른 사람이 비어 있는데 한 사람이 복구와 전파를 모두 맡고 있었음",
  },
};

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

/** phrase words a timeline entry ({say, args, summary}) in the room's language; an entry without a known phrase shows its summary. */
export function phrase(e) {
  const tpl = e.say && w(e.say);
  if (!tpl) return e.summary;
  const a = Object.assign({}, e.args || {});
  if (a.role) a.roleWords = t(a.role);
  if (a.nudge) a.nudgeWords = w("nudged." + a.nudge) || a.nudge.replaceAll("-", " ");
  if (a.by) a.byWords = w("by." + a.by) || a.by;
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
    template: "Start from the example", fixFirst: "Fix the problems first: the scenario is not valid yet.",
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
    template: "예시로 시작", fixFirst: "먼저 문제를 고치세요. 시나리오가 아직 올바르지 않습니다.",
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
