package main_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/firedrill/firedrill/cmd/firedrill"
)

// runIn runs the real program in dir with the given environment.
func runIn(t *testing.T, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errb bytes.Buffer
	m := main.NewMain()
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = func(k string) string { return env[k] }
	code := m.Run(context.Background(), args)
	m.Close()
	return code, out.String(), errb.String()
}

func TestConfigPrecedence(t *testing.T) {
	tests := []struct {
		name string
		file string // ./firedrill.yaml, if any
		xdg  string // $XDG_CONFIG_HOME/firedrill/firedrill.yaml, if any
		env  map[string]string
		args []string
		want []string // substrings of `firedrill config` output
	}{
		{name: "defaults apply without a file", want: []string{"Listen:127.0.0.1:8080", "TimeScale:1", "OnRestart:resume"}},
		{name: "file in the working directory is read", file: "listen: 127.0.0.1:9999\ndrill:\n  timeScale: 60\n", want: []string{"Listen:127.0.0.1:9999", "TimeScale:60"}},
		{name: "file in XDG_CONFIG_HOME is read", xdg: "listen: 127.0.0.1:7777\n", want: []string{"Listen:127.0.0.1:7777"}},
		{name: "working directory wins over XDG", file: "listen: 127.0.0.1:1111\n", xdg: "listen: 127.0.0.1:2222\n", want: []string{"Listen:127.0.0.1:1111"}},
		{name: "environment wins over the file", file: "listen: 127.0.0.1:1111\n", env: map[string]string{"FIREDRILL_LISTEN": "127.0.0.1:3333", "FIREDRILL_KUBERNETES_ALLOWED_CONTEXTS": "a, b"}, want: []string{"Listen:127.0.0.1:3333", "AllowedContexts:[a b]"}},
		{name: "flag wins over the environment", env: map[string]string{"FIREDRILL_DATA_DIR": "/from-env"}, args: []string{"--data-dir", "/from-flag"}, want: []string{"DataDir:/from-flag"}},
		{name: "service URLs and checksum requirement are read", file: "kubernetes:\n  serviceURLs:\n    shop/web: http://127.0.0.1:18081\nplugins:\n  requireChecksums: true\n", want: []string{"ServiceURLs:map[shop/web:http://127.0.0.1:18081]", "RequireChecksums:true"}},
		{name: "probe limits are read", file: "drill:\n  probeConcurrency: 4\n  probeTimeout: 3s\n", want: []string{"ProbeConcurrency:4", "ProbeTimeout:3s"}},
		{name: "probe limits default to the engine's", want: []string{"ProbeConcurrency:16", "ProbeTimeout:10s"}},
		{name: "secrets are masked", file: "auth:\n  adminToken: super-secret-token-123\n", want: []string{"AdminToken:********"}},
		{name: "the identity provider's groups map to teams and roles, its secret masked", file: "auth:\n  oidc:\n    issuer: https://idp.example.com\n    clientID: firedrill\n    clientSecret: idp-secret-123\n    groups:\n      sre-leads: {team: sre, role: facilitator}\n", env: map[string]string{"FIREDRILL_AUTH_OIDC_CLIENT_ID": "from-env"},
			want: []string{"Issuer:https://idp.example.com", "ClientID:from-env", "ClientSecret:********", "Groups:map[sre-leads:{Team:sre Role:facilitator}]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, xdg := t.TempDir(), t.TempDir()
			if tt.file != "" {
				os.WriteFile(filepath.Join(dir, "firedrill.yaml"), []byte(tt.file), 0o600)
			}
			if tt.xdg != "" {
				os.MkdirAll(filepath.Join(xdg, "firedrill"), 0o700)
				os.WriteFile(filepath.Join(xdg, "firedrill", "firedrill.yaml"), []byte(tt.xdg), 0o600)
			}
			env := map[string]string{"XDG_CONFIG_HOME": xdg}
			for k, v := range tt.env {
				env[k] = v
			}
			code, out, errOut := runIn(t, dir, env, append([]string{"config"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "super-secret") {
				t.Errorf("secret printed:\n%s", out)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  map[string]string
		want string
	}{
		{name: "unknown key is refused", file: "listn: 1.2.3.4:80\n", want: "listn"},
		{name: "bad log level is refused", file: "log:\n  level: loud\n", want: `log.level: "loud" is not a level`},
		{name: "bad onRestart is refused", env: map[string]string{"FIREDRILL_DRILL_ON_RESTART": "maybe"}, want: "drill.onRestart"},
		{name: "time scale out of range is refused", file: "drill:\n  timeScale: 0\n", want: "drill.timeScale"},
		{name: "no probe slot is refused", file: "drill:\n  probeConcurrency: 0\n", want: "drill.probeConcurrency: 0 is out of range, expected 1 to 1024"},
		{name: "a probe timeout of zero is refused", env: map[string]string{"FIREDRILL_DRILL_PROBE_TIMEOUT": "0s"}, want: "drill.probeTimeout: 0s must be positive"},
		{name: "broken YAML is refused", file: "listen: [\n", want: "firedrill.yaml"},
		{name: "a survey template with an unknown placeholder is refused", file: "program:\n  surveyURL: https://forms.example.com/{person}\n", want: "program.surveyURL"},
		{name: "a survey template from the environment is checked", env: map[string]string{"FIREDRILL_PROGRAM_SURVEY_URL": "ftp://forms.example.com/{drill}"}, want: "program.surveyURL"},
		{name: "a notice webhook that is not a URL is refused", env: map[string]string{"FIREDRILL_PROGRAM_NOTICE_WEBHOOK": "hooks.slack.com/x"}, want: "program.noticeWebhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				os.WriteFile(filepath.Join(dir, "firedrill.yaml"), []byte(tt.file), 0o600)
			}
			code, _, errOut := runIn(t, dir, tt.env, "config")
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want a failure mentioning %q", code, errOut, tt.want)
			}
		})
	}
}

func TestConfigIgnoresABinaryNamedFiredrill(t *testing.T) {
	dir := t.TempDir()
	// A binary called firedrill in the working directory is not a config file.
	os.WriteFile(filepath.Join(dir, "firedrill"), []byte("\x7fELF\x02\x01\x01\x00binary"), 0o755)
	code, out, errOut := runIn(t, dir, nil, "config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Listen:127.0.0.1:8080") {
		t.Fatalf("defaults not applied: %s", out)
	}
}
