package pluginargs_test

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/injectors/kubernetes/pluginargs"
)

func TestArgs_parseBackToTheSameSettings(t *testing.T) {
	tests := []struct {
		name string
		s    pluginargs.Settings
	}{
		{name: "no settings, no flags", s: pluginargs.Settings{}},
		{name: "every setting", s: pluginargs.Settings{
			Kubeconfig: "/home/kim/.kube/config", Context: "beta", AllowedContexts: []string{"beta", "kind"},
			ProtectedNamespaces: []string{"payments", "ledger"},
			ServiceURLs:         map[string]string{"shop/web": "http://127.0.0.1:8080", "shop/api": "https://api.beta?x=1&y=2"},
			HideMarks:           true, RevertQPS: 50.5, RevertBurst: 99, RequestTimeout: 15 * time.Second,
		}},
		{name: "values that look like flags or hold spaces", s: pluginargs.Settings{Context: "-x", AllowedContexts: []string{"a b", "--c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pluginargs.Parse("p", tt.s.Args(), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.s) {
				t.Fatalf("args %q\nparsed %+v\nwant   %+v", tt.s.Args(), got, tt.s)
			}
		})
	}
}

func TestParse_refusesBadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "a service URL without its service", args: []string{"--service-url", "http://x"}, wantErr: `"http://x": expected namespace/service=URL`},
		{name: "an unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined: -nope"},
		{name: "a stray argument", args: []string{"plugin", "kubernetes"}, wantErr: `unexpected arguments ["plugin" "kubernetes"]`},
		{name: "a negative rate", args: []string{"--revert-qps", "-1"}, wantErr: "must not be negative"},
		{name: "a negative request timeout", args: []string{"--request-timeout", "-1s"}, wantErr: "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pluginargs.Parse("p", tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}
