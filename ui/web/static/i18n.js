// UI strings in English and Korean. Scenario text is shown as written.
const dict = {
  en: {
    banner: "EXERCISE — this is an incident drill. Nothing here is a real incident.",
    exercise: "EXERCISE",
    signIn: "Facilitator sign-in", secret: "Admin token or password", signInBtn: "Sign in",
    joining: "Joining the drill…", joinFailed: "This join link is not valid. Ask the facilitator for a new one.",
    refused: "You do not have access to this page.", back: "Back to my drill room",
    console: "Facilitator console", drills: "Drills", newDrill: "New drill", scenario: "Scenario",
    difficulty: "Difficulty", dDefault: "scenario default", hard: "hard", medium: "medium", easy: "easy",
    clock: "Drill clock", cDefault: "server setting (drill.timeScale)", cReal: "real time (90 minutes)",
    c10: "rehearsal ×10 (9 minutes)", c60: "rehearsal ×60 (90 seconds)",
    title: "Title", create: "Create", open: "Open", state: "State", created: "Created",
    channels: "Channels", people: "People", backroom: "back room", readOnly: "read-only",
    elapsed: "elapsed", left: "left", paused: "paused",
    send: "Send", reply: "Reply", replyingTo: "Replying to", cancel: "Cancel",
    asMyself: "as myself", speakAs: "Speak as", quickReplies: "Quick replies",
    composeHint: "Enter to send, Shift+Enter for a new line, Alt+↑/↓ to switch channel",
    briefingStart: "Open briefing", start: "Start", pause: "Pause", resume: "Resume", end: "End", abort: "Abort",
    abortConfirm: "Abort the drill? Every fault is reverted and the drill stops. This cannot be undone.",
    endConfirm: "End the drill now?",
    controls: "Drill", faults: "Faults", hints: "Hints", timeline: "Timeline", briefingText: "Briefing (send the day before)",
    fireNextHint: "Give next hint now", skip: "Skip", fire: "Fire now", resolve: "Mark resolved",
    skipFaultWhy: "Skip this fault? It will not fire, nor anything chained after it. Reason, for the record:",
    addPerson: "Add person", name: "Name", role: "Role", add: "Add", joinLink: "Join link (shown once — copy it now)",
    newLink: "New link", designer: "designer", observer: "observer", participant: "participant", facilitator: "facilitator",
    solution: "Solution", scenarioText: "Scenario",
    notes: "Observer notes", strength: "strength", weakness: "weakness", addNote: "Add note",
    balance: "Balance (aim for 1:1)",
    notices: "Notices", incidentNotice: "Incident notice", statusNotice: "Status update", resolutionNotice: "Resolution notice",
    post: "Post", posted: "Posted.",
    claims: "My response roles", claim: "Claim", release: "Release",
    "incident-commander": "incident commander", recovery: "recovery", propagation: "propagation / comms",
    "customer-liaison": "customer-center liaison",
    claimed: "{name} claimed {role}", released: "{name} released {role}",
    bot: "drill bot",
    "nudge.no-commander": "Nobody has claimed incident commander yet. Who leads this incident?",
    "nudge.no-propagation": "Nobody has claimed propagation yet. Who tells the customer center and the other departments?",
    "nudge.status-overdue": "A status update is overdue. Post current status, expected recovery time and follow-up.",
    "nudge.no-incident-notice": "No incident notice has been posted yet. Post it now with what you know.",
    "drill.created": "The drill was created.", "drill.scheduled": "The drill was scheduled.", "drill.started": "The drill has started.", "drill.paused": "The drill is paused.", "drill.resumed": "The drill resumed.",
    "drill.ended": "The drill has ended.", "drill.aborted": "The drill was aborted.", "drill.retro": "Retrospective started.",
    "drill.closed": "The drill is closed.", "drill.briefing": "Briefing: the channels are open; the drill starts soon.", "drill.restarted": "The drill room reconnected after a restart.",
    joined: "{name} joined as {role}",
    connecting: "connecting…", live: "live", retroOpen: "The drill has ended — open the retrospective →", reconnecting: "reconnecting…",
    theme: "Theme", lang: "한국어", signOut: "Sign out",
    copy: "Copy", copied: "Copied", next: "next",
    none: "none", you: "you", draft: "draft", briefing: "briefing", retro: "retro", closed: "closed", scheduled: "scheduled", running: "running", ended: "ended", aborted: "aborted",
    pending: "pending", "in-effect": "in effect", injecting: "injecting", resolved: "resolved", reverted: "reverted",
    reverting: "reverting", failed: "failed", skipped: "skipped", given: "given", at: "at",
    skipHintWhy: "Why skip this hint? (kept in the record)", skipWhyNeeded: "Say why you skip it, for the record.", onSchedule: "on schedule",
    tplNow: "time of posting", tplElapsed: "drill time so far", tplRemaining: "time left", tplTitle: "drill title", tplTeam: "team", tplValue: "filled in when posted",
    joinError: "Could not join:", ok: "OK",
    switchedSession: "This browser was signed in as {was}. The join link switched it to {now}; open the other link in another browser profile to be both.",
    "fp.required": "required.", "fp.option": "choose one of {options}.", "fp.scale": "choose a number from 1 to 5.",
    "fp.time": "write a clock time like 14:05, or \"unknown\".", "fp.duration": "write a duration like 20m.",
    "fp.too-long": "at most 4000 characters.", "fp.unknown": "not a field of this notice.",
    joinLinks: "New join links (each shown once — copy them before you dismiss them)", joinLinksBlock: "All new links, as one block for the briefing",
    briefingBlock: "Join links for the drill {title} — open yours in its own browser window:", copyAll: "Copy all", dismissLinks: "Dismiss links",
    triggerAt: "fires at {at}", triggerAfter: "fires after “{fault}” is {event}", triggerDelay: "+{delay}", "chain.resolved": "resolved", "chain.injected": "in effect",
    inEffectFor: "in effect for", sinceAt: "since {at}", checksPassing: "{n} of {total} checks pass",
    recovering: "all checks pass — holding", resolvedAt: "resolved at {at}", "by.probe": "by its checks", "by.manual": "marked by hand",
    manualResolve: "No automatic check: mark it resolved when the participants have fixed it.",
    "check.pass": "passes", "check.fail": "fails", "check.unchecked": "not checked yet",
    cRehearsal: "rehearsal ×{scale} (90 minutes in {minutes} min)", rehearsalBadge: "rehearsal ×{scale}", "drill.time-scale-set": "Drill clock: {clock}.",
    sendAs: "Send as {name}",
  },
  ko: {
    banner: "모의 훈련 — 장애 대응 훈련 중입니다. 실제 장애가 아닙니다.",
    exercise: "훈련",
    signIn: "진행자 로그인", secret: "관리자 토큰 또는 비밀번호", signInBtn: "로그인",
    joining: "훈련에 참여하는 중…", joinFailed: "유효하지 않은 참여 링크입니다. 진행자에게 새 링크를 요청하세요.",
    refused: "이 페이지에 접근할 권한이 없습니다.", back: "내 훈련 방으로",
    console: "진행자 콘솔", drills: "훈련 목록", newDrill: "새 훈련", scenario: "시나리오",
    difficulty: "난이도", dDefault: "시나리오 기본값", hard: "상", medium: "중", easy: "하",
    clock: "훈련 시계", cDefault: "서버 설정 (drill.timeScale)", cReal: "실제 시간 (90분)",
    c10: "리허설 ×10 (9분)", c60: "리허설 ×60 (90초)",
    title: "제목", create: "만들기", open: "열기", state: "상태", created: "생성",
    channels: "채널", people: "참여자", backroom: "뒷방", readOnly: "읽기 전용",
    elapsed: "경과", left: "남음", paused: "일시정지",
    send: "보내기", reply: "답장", replyingTo: "답장 대상", cancel: "취소",
    asMyself: "본인으로", speakAs: "발신자", quickReplies: "빠른 응답",
    composeHint: "Enter 보내기, Shift+Enter 줄바꿈, Alt+↑/↓ 채널 이동",
    briefingStart: "브리핑 열기", start: "시작", pause: "일시정지", resume: "재개", end: "종료", abort: "중단",
    abortConfirm: "훈련을 중단할까요? 모든 장애가 원복되고 훈련이 멈춥니다. 되돌릴 수 없습니다.",
    endConfirm: "지금 훈련을 종료할까요?",
    controls: "훈련", faults: "장애", hints: "힌트", timeline: "타임라인", briefingText: "사전 공지 (전날 발송)",
    fireNextHint: "다음 힌트 지금 주기", skip: "건너뛰기", fire: "지금 발생", resolve: "해결로 표시",
    skipFaultWhy: "이 장애를 건너뛸까요? 이 장애와 그 뒤에 연결된 장애가 발생하지 않습니다. 기록에 남길 이유:",
    addPerson: "사람 추가", name: "이름", role: "역할", add: "추가", joinLink: "참여 링크 (한 번만 표시 — 지금 복사하세요)",
    newLink: "새 링크", designer: "설계자", observer: "관찰자", participant: "참여자", facilitator: "진행자",
    solution: "모범 해결", scenarioText: "시나리오",
    notes: "관찰 노트", strength: "잘한 점", weakness: "아쉬운 점", addNote: "노트 추가",
    balance: "균형 (1:1 목표)",
    notices: "공지", incidentNotice: "장애 공지", statusNotice: "상황 공유", resolutionNotice: "해소 공지",
    post: "게시", posted: "게시했습니다.",
    claims: "내 대응 역할", claim: "맡기", release: "내려놓기",
    "incident-commander": "장애 대응 리더", recovery: "복구", propagation: "전파",
    "customer-liaison": "고객센터 담당",
    claimed: "{name} 님이 {role} 역할을 맡았습니다", released: "{name} 님이 {role} 역할을 내려놓았습니다",
    bot: "훈련 봇",
    "nudge.no-commander": "아직 장애 대응 리더가 없습니다. 누가 이번 장애를 이끄나요?",
    "nudge.no-propagation": "아직 전파 담당이 없습니다. 고객센터와 유관 부서에는 누가 알리나요?",
    "nudge.status-overdue": "상황 공유가 늦었습니다. 현재 상황, 예상 복구 시간, 후속 조치를 공유하세요.",
    "nudge.no-incident-notice": "아직 장애 공지가 없습니다. 아는 만큼 지금 게시하세요.",
    "drill.created": "훈련이 만들어졌습니다.", "drill.scheduled": "훈련 일정이 잡혔습니다.", "drill.started": "훈련이 시작되었습니다.", "drill.paused": "훈련이 일시정지되었습니다.", "drill.resumed": "훈련이 재개되었습니다.",
    "drill.ended": "훈련이 종료되었습니다.", "drill.aborted": "훈련이 중단되었습니다.", "drill.retro": "회고를 시작합니다.",
    "drill.closed": "훈련이 닫혔습니다.", "drill.briefing": "브리핑: 채널이 열렸습니다. 곧 훈련이 시작됩니다.", "drill.restarted": "재시작 후 다시 연결되었습니다.",
    joined: "{name} 님이 {role}(으)로 참여했습니다",
    connecting: "연결 중…", live: "실시간", retroOpen: "훈련이 끝났습니다 — 회고 열기 →", reconnecting: "다시 연결 중…",
    theme: "테마", lang: "English", signOut: "로그아웃",
    copy: "복사", copied: "복사됨", next: "다음",
    none: "없음", you: "나", draft: "준비", briefing: "브리핑", retro: "회고", closed: "닫힘", scheduled: "예정", running: "진행 중", ended: "종료", aborted: "중단",
    pending: "대기", "in-effect": "발생 중", injecting: "주입 중", resolved: "해결", reverted: "원복",
    reverting: "원복 중", failed: "실패", skipped: "건너뜀", given: "제공", at: "시점",
    skipHintWhy: "이 힌트를 건너뛰는 이유 (기록에 남습니다)", skipWhyNeeded: "기록을 위해 건너뛰는 이유를 적어 주세요.", onSchedule: "예정대로",
    tplNow: "게시 시각", tplElapsed: "훈련 경과 시간", tplRemaining: "남은 시간", tplTitle: "훈련 제목", tplTeam: "팀", tplValue: "게시할 때 채워짐",
    joinError: "참여하지 못했습니다:", ok: "확인",
    switchedSession: "이 브라우저는 {was}(으)로 로그인되어 있었습니다. 참여 링크로 {now}(으)로 전환했습니다. 둘 다 쓰려면 다른 링크는 다른 브라우저 프로필에서 여세요.",
    "fp.required": "필수 항목입니다.", "fp.option": "{options} 중에서 고르세요.", "fp.scale": "1부터 5 사이의 숫자를 고르세요.",
    "fp.time": "14:05 같은 시각이나 \"미정\"을 쓰세요.", "fp.duration": "20m 같은 시간 길이를 쓰세요.",
    "fp.too-long": "4000자 이하로 쓰세요.", "fp.unknown": "이 공지의 항목이 아닙니다.",
    joinLinks: "새 참여 링크 (한 번만 표시 — 닫기 전에 복사하세요)", joinLinksBlock: "브리핑용으로 모든 새 링크를 한 번에",
    briefingBlock: "{title} 훈련 참여 링크 — 각자 자기 링크를 별도 브라우저 창에서 여세요:", copyAll: "모두 복사", dismissLinks: "링크 닫기",
    triggerAt: "{at}에 발생", triggerAfter: "“{fault}” {event} 후 발생", triggerDelay: "+{delay}", "chain.resolved": "해결", "chain.injected": "발생",
    inEffectFor: "발생 중", sinceAt: "{at}부터", checksPassing: "확인 {total}개 중 {n}개 통과",
    recovering: "모든 확인 통과 — 유지 중", resolvedAt: "{at}에 해결", "by.probe": "자동 확인", "by.manual": "수동 표시",
    manualResolve: "자동 확인이 없습니다. 참여자가 고치면 해결로 표시하세요.",
    "check.pass": "통과", "check.fail": "실패", "check.unchecked": "아직 확인 전",
    cRehearsal: "리허설 ×{scale} (90분을 {minutes}분에)", rehearsalBadge: "리허설 ×{scale}", "drill.time-scale-set": "훈련 시계: {clock}.",
    sendAs: "{name}(으)로 보내기",
  },
};

let lang = localStorage.getItem("firedrill.lang") || (navigator.language || "en").slice(0, 2);
if (!dict[lang]) lang = "en";
document.documentElement.lang = lang;

/** t returns the UI string for key in the current language, with {name} placeholders filled. */
export function t(key, vars) {
  let s = (dict[lang] && dict[lang][key]) || dict.en[key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
  return s;
}

export function currentLang() { return lang; }

/** setLang switches the UI language and re-renders through onChange. */
export function toggleLang() {
  lang = lang === "en" ? "ko" : "en";
  localStorage.setItem("firedrill.lang", lang);
  document.documentElement.lang = lang;
}

/** translate fills every element carrying data-i18n with its string. */
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}
