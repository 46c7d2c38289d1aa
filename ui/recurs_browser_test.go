package ui_test

import (
	"strings"
	"testing"
)

// TestBrowserRecurs: the facilitator follows a cascade that comes back
// while its cause persists: the rule and count, when it comes back after a
// fix, the comeback itself, and that it stays fixed once the facilitator
// marks the cause resolved — in English and in Korean.
func TestBrowserRecurs(t *testing.T) {
	e := newEnv(t, withTimeScale(60))
	r := newRoomOf(t, e, "recurs-test")
	r.start()
	fac := r.facilitator("")
	sel := `(document.querySelector('[data-fault="cascade"] .recurs') || {textContent: "", dataset: {}})`
	fac.waitJS("the rule and no comeback yet", sel+`.textContent.includes("Comes back 10:00 after each fix while “Memory leak in the cart service” is still active: 0 of 2 times so far")`)
	e.inj.pass("checkout-pods", "3/3 pods ready")
	fac.waitJS("fixed: when it comes back", sel+`.textContent.includes("comes back at ") && `+sel+`.textContent.includes("if “Memory leak in the cart service” is still active")`)
	fac.waitJS("it came back once", sel+`.dataset.recurs === "1"`)
	if got := eval[string](fac, sel+`.textContent`); !strings.Contains(got, "1 of 2 times so far") {
		t.Fatalf("after one comeback the cascade reads %q", got)
	}
	fac.click("mark the leak resolved", `[data-fault="leak"] .controls button:last-child`)
	fac.waitJS("the cascade stays fixed", sel+`.dataset.staysFixed === "true" && `+sel+`.textContent.includes("stays fixed: it will not come back")`)
	fac.click("the language button", "#lang")
	fac.waitJS("the console in Korean", sel+`.textContent.includes("더 이상 재발하지 않음") && `+sel+`.textContent.includes("지금까지 1/2번")`)
	fac.shot("recurs")
}
