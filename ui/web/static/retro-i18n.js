// Strings of the retrospective and history pages, English and Korean. The
// language follows the room's choice (i18n.js).
import { currentLang } from "./i18n.js";

const dict = {
  en: {
    banner: "EXERCISE — retrospective of an incident drill.", retro: "RETROSPECTIVE", backToRoom: "Drill room",
    surveyNote: "Thank you. One last thing: the after-drill survey.", surveyOpen: "Open the survey",
    yourAnswers: "Your answers", autosaveNote: "Answers save as you type and can be edited until the facilitator closes the retrospective.",
    qWentWell: "What went well?", qLacking: "What was lacking, and how could it improve?", qBetter: "How could we do better next time?",
    qBefore: "Your incident-response ability BEFORE this drill (1–5)", qAfter: "Your incident-response ability AFTER this drill (1–5)",
    thenTest: "Both are asked now, after the drill, on purpose: rating \"before\" with what you know today measures the change more honestly.",
    anonLegend: "First choose: answer with your name, or anonymously?", anonNamed: "With my name", anonymous: "Anonymously",
    anonNote: "Anonymous answers are sealed with the server's key: nobody reading the journal, the record or its exports, the facilitator included, can tell who wrote them; the facilitator sees only that you submitted. They appear without names, each question's answers in their own order, when the retrospective closes. Your first save fixes the choice. If few people answer anonymously, the named answers narrow down who wrote the rest.",
    anonLockedNamed: "You answer with your name: your first save was named, and the choice is kept until the retrospective closes.",
    anonLockedAnon: "You answer anonymously: your answers are sealed, and only you see them with your name. The choice is kept until the retrospective closes.",
    anonCount: "{n} of them anonymous (published when the retrospective closes)",
    submit: "Submit", resubmit: "Update my submission",
    saving: "Saving…", saved: "Saved", unsaved: "Not saved yet", saveFailed: "Not saved: {msg}", submitted: "Submitted — you can still edit until the retro closes.", submittedFinal: "Submitted.", recordKept: "The drill record stays with the facilitator now that the drill is closed.",
    needRatings: "Rate your ability before and after the drill (1–5) to submit.",
    aggregate: "The team's self-ratings", aggText: "{before} → {after} ({change}%) over {count} answers", aggTextOne: "{before} → {after} ({change}%) from one answer",
    order: "Presentation order", orderNote: "Participants first, then the designer, the observer and the facilitator.", next: "Next presenter",
    submittedCount: "{n} of {m} submitted", presenting: "presenting",
    questions: "Questions", ask: "Ask", askPlaceholder: "A question for the retro", answered: "Answered", markAnswered: "Mark answered",
    actions: "Follow-up actions", actTitle: "Action", actKind: "Kind", actOwner: "Owner", actDue: "Due", propose: "Propose",
    accept: "Accept", reject: "Reject", proposed: "proposed", accepted: "accepted", rejected: "rejected",
    alert: "alert", monitoring: "monitoring", runbook: "runbook / guide", "contact-list": "contact list", "error-message": "error message", "config-default": "configuration default", process: "process",
    facilitator: "Facilitator", closeRetro: "Close the retrospective", closeAfterRevert: "The retrospective can close once every fault is reverted.", closeConfirm: "Close the retrospective? Answers can no longer change, and the drill closes.",
    closed: "The retrospective is closed. Thank you.", record: "Drill record",
    print: "Printable record (print to PDF)", md: "Markdown", html: "HTML", csv: "Actions (CSV)", github: "Actions (GitHub issues JSON)", json: "Full record with journal (JSON, verifiable)",
    scenario: "Scenario", solution: "The designer's intended solution", variant: "variant", candidate: "candidate", designer: "designer",
    timeline: "Timeline", openChart: "Open the chart full size", showChat: "Show chat messages", backroom: "Back room", notes: "Observer notes", none: "none",
    notOpen: "The retrospective opens when the drill ends.",
    history: "Drill history", team: "Team", season: "Season", all: "all", drills: "Drills", trained: "People trained",
    ratings: "Self-rating before → after", tooFewAnswers: "too few answers to show", noticeTrend: "Time to incident notice", openActions: "Open follow-up actions", awards: "Awards",
    largestGain: "Largest before/after gain", mostEfficient: "Most efficient participation", mostRealistic: "Most realistic scenario", thanks: "Thanks to every designer",
    date: "Date", drill: "Drill", outcome: "Outcome", incidentNotice: "Incident notice", resolutionNotice: "Resolution notice", hints: "Hints", overdue: "overdue",
    historyBanner: "EXERCISE records — every drill here was an exercise, not a real incident.", consoleLink: "Facilitator console",
    "kind.lifecycle": "drill", "kind.fault": "fault", "kind.probe": "check", "kind.inject": "scripted message", "kind.hint": "hint", "kind.alert": "alert",
    "kind.notice": "notice", "kind.chat": "chat", "kind.note": "observer note", "kind.retro": "retrospective", "kind.role": "response role", "kind.nudge": "reminder", "kind.other": "other",
    presentingAnswers: "Answers of the person presenting", presentingNone: "Nobody is presenting yet: press “Next presenter”.",
    presentingAnon: "{name} kept their answers anonymous: they are not shown under a name.", presentingEmpty: "{name} has not written answers yet.",
    ratingsPair: "Self-rating before → after (1–5)", draft: "draft", "role.participant": "participant", "role.designer": "designer", "role.observer": "observer", "role.facilitator": "facilitator",
    withRehearsals: "include rehearsals", rehearsalTag: "rehearsal ×{scale}", rehearsalsLeftOut: "{n} rehearsal(s) on a faster clock left out: they train nobody and win no award.",
  },
  ko: {
    banner: "모의 훈련 — 장애 대응 훈련 회고입니다.", retro: "회고", backToRoom: "훈련방",
    surveyNote: "수고하셨습니다. 마지막으로 훈련 후 설문에 답해 주세요.", surveyOpen: "설문 열기",
    blameless: "이 회고는 평가가 아닙니다. 시스템과 프로세스의 개선점을 찾는 자리이며, 사람이 아니라 문제를 탓합니다.",
    yourAnswers: "나의 답변", autosaveNote: "입력하는 대로 저장되며, 진행자가 회고를 닫기 전까지 수정할 수 있습니다.",
    qWentWell: "잘한 점은 무엇인가요?", qLacking: "부족했던 점과 개선 방법은 무엇인가요?", qBetter: "다음에 더 잘하려면 어떻게 해야 할까요?",
    qBefore: "훈련 전 나의 장애 대응 역량 (1–5)", qAfter: "훈련 후 나의 장애 대응 역량 (1–5)",
    thenTest: "두 가지 모두 훈련이 끝난 지금 묻습니다. 지금 알게 된 기준으로 '전'을 평가해야 변화를 더 정직하게 잴 수 있습니다.",
    anonLegend: "먼저 선택하세요: 이름을 밝히고 답할까요, 익명으로 답할까요?", anonNamed: "이름을 밝히고", anonymous: "익명으로",
    anonNote: "익명 답변은 서버의 키로 봉인됩니다. 저널, 기록, 내보낸 파일을 읽는 누구도(진행자 포함) 작성자를 알 수 없고, 진행자는 제출했다는 사실만 봅니다. 익명 답변은 회고가 닫힐 때 이름 없이, 질문마다 순서를 따로 섞어 공개됩니다. 처음 저장할 때 선택이 정해집니다. 익명으로 답한 사람이 적으면, 이름을 밝힌 답변으로 나머지 작성자를 좁혀 볼 수 있습니다.",
    anonLockedNamed: "이름을 밝히고 답합니다. 처음 저장이 이름과 함께였으므로, 회고가 닫힐 때까지 이 선택이 유지됩니다.",
    anonLockedAnon: "익명으로 답합니다. 답변은 봉인되며, 이름과 함께 볼 수 있는 사람은 나뿐입니다. 회고가 닫힐 때까지 이 선택이 유지됩니다.",
    anonCount: "그중 {n}개는 익명 (회고가 닫힐 때 공개)",
    submit: "제출", resubmit: "제출 내용 수정",
    saving: "저장 중…", saved: "저장됨", unsaved: "아직 저장되지 않음", saveFailed: "저장 실패: {msg}", submitted: "제출했습니다 — 회고가 닫히기 전까지 수정할 수 있습니다.", submittedFinal: "제출했습니다.", recordKept: "훈련이 닫혀 훈련 기록은 이제 진행자가 보관합니다.",
    needRatings: "제출하려면 훈련 전후 역량을 1–5로 평가해 주세요.",
    aggregate: "팀의 자기 평가", aggText: "{before} → {after} ({change}%), 응답 {count}개", aggTextOne: "{before} → {after} ({change}%), 응답 1개",
    order: "발표 순서", orderNote: "참여자 먼저, 그다음 설계자, 관찰자, 진행자 순서입니다.", next: "다음 발표자",
    submittedCount: "{m}명 중 {n}명 제출", presenting: "발표 중",
    questions: "질문", ask: "질문하기", askPlaceholder: "회고에서 물어볼 질문", answered: "답변됨", markAnswered: "답변 완료",
    actions: "후속 조치", actTitle: "조치", actKind: "종류", actOwner: "담당자", actDue: "기한", propose: "제안",
    accept: "채택", reject: "반려", proposed: "제안됨", accepted: "채택됨", rejected: "반려됨",
    alert: "알림", monitoring: "모니터링", runbook: "가이드 문서", "contact-list": "연락망", "error-message": "오류 메시지", "config-default": "설정 기본값", process: "프로세스",
    facilitator: "진행자", closeRetro: "회고 닫기", closeAfterRevert: "모든 장애가 원복되면 회고를 닫을 수 있습니다.", closeConfirm: "회고를 닫을까요? 답변을 더 이상 바꿀 수 없고 훈련이 종료됩니다.",
    closed: "회고가 닫혔습니다. 수고하셨습니다.", record: "훈련 기록",
    print: "인쇄용 기록 (PDF로 인쇄)", md: "마크다운", html: "HTML", csv: "후속 조치 (CSV)", github: "후속 조치 (GitHub 이슈 JSON)", json: "전체 기록과 저널 (JSON, 검증 가능)",
    scenario: "시나리오", solution: "설계자가 의도한 해결 방법", variant: "난이도", candidate: "후보 시나리오", designer: "설계자",
    timeline: "타임라인", openChart: "차트 크게 보기", showChat: "채팅 메시지 보기", backroom: "뒷방", notes: "관찰자 메모", none: "없음",
    notOpen: "회고는 훈련이 끝나면 열립니다.",
    history: "훈련 이력", team: "팀", season: "시즌", all: "전체", drills: "훈련", trained: "훈련받은 인원",
    ratings: "자기 평가 전 → 후", tooFewAnswers: "응답이 너무 적어 표시하지 않습니다", noticeTrend: "장애 공지까지 걸린 시간", openActions: "진행 중인 후속 조치", awards: "시상",
    largestGain: "전후 향상 폭 최대", mostEfficient: "가장 효율적인 참여", mostRealistic: "가장 현실적인 시나리오", thanks: "설계자 모두에게 감사",
    date: "날짜", drill: "훈련", outcome: "결과", incidentNotice: "장애 공지", resolutionNotice: "해소 공지", hints: "힌트", overdue: "기한 지남",
    historyBanner: "모의 훈련 기록 — 여기 있는 모든 훈련은 실제 장애가 아닌 훈련입니다.", consoleLink: "진행자 콘솔",
    "kind.lifecycle": "훈련", "kind.fault": "장애", "kind.probe": "확인", "kind.inject": "시나리오 메시지", "kind.hint": "힌트", "kind.alert": "알림",
    "kind.notice": "공지", "kind.chat": "대화", "kind.note": "관찰 노트", "kind.retro": "회고", "kind.role": "대응 역할", "kind.nudge": "알림봇", "kind.other": "기타",
    presentingAnswers: "발표자의 답변", presentingNone: "아직 발표하는 사람이 없습니다. “다음 발표자”를 누르세요.",
    presentingAnon: "{name} 님은 답변을 익명으로 남겼습니다. 이름과 함께 보여 주지 않습니다.", presentingEmpty: "{name} 님은 아직 답변을 쓰지 않았습니다.",
    ratingsPair: "자기 평가 전 → 후 (1–5)", draft: "임시 저장", "role.participant": "참여자", "role.designer": "설계자", "role.observer": "관찰자", "role.facilitator": "진행자",
    "q.observer.strengths": "팀의 강점으로 관찰한 것은 무엇인가요?",
    "q.observer.weaknesses": "약점으로 관찰한 것은 무엇이며, 어떻게 개선할 수 있을까요?",
    "q.observer.balance": "일이 1:1로 고르게 나뉘었나요? 복구와 전파를 다른 사람이 맡았고, 누군가 과부하일 때 다른 사람이 놀고 있지 않았나요?",
    "q.designer.scenario": "어떤 시나리오였고, 무엇을 연습하도록 설계했나요?",
    "q.designer.resolution": "생각한 가장 좋은 해결 방법은 무엇이었고, 팀은 얼마나 가까이 갔나요?",
    "q.designer.change": "다음에는 시나리오에서 무엇을 바꾸겠나요?",
    "q.facilitator.purpose": "팀이 훈련을 평가가 아닌 연습으로 받아들였나요? 목적을 어떻게 다시 설명했나요?",
    "q.facilitator.step-in": "어디에서 개입했나요(힌트, 페르소나, 일시 정지), 그리고 왜 그랬나요?",
    "q.facilitator.running": "다음에는 훈련 진행 방식에서 무엇을 바꾸겠나요?",
    withRehearsals: "리허설 포함", rehearsalTag: "리허설 ×{scale}", rehearsalsLeftOut: "빠른 시계로 진행한 리허설 {n}건은 제외했습니다. 교육 인원과 시상에 들지 않습니다.",
  },
};

/** questionText returns a retro question's text in the current language:
 * the server's copy unless the page has a translation of its id. */
export function questionText(q) {
  const key = "q." + q.id;
  const t = rt(key);
  return t === key ? q.text : t;
}

/** rt returns the page string for key in the current language. */
export function rt(key, vars) {
  const lang = currentLang();
  let s = (dict[lang] && dict[lang][key]) || dict.en[key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
  return s;
}

/** translateRT fills every element carrying data-rt (and data-rt-placeholder). */
export function translateRT(root = document) {
  for (const e of root.querySelectorAll("[data-rt]")) e.textContent = rt(e.dataset.rt);
  for (const e of root.querySelectorAll("[data-rt-placeholder]")) e.placeholder = rt(e.dataset.rtPlaceholder);
}
