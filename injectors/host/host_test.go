package host_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

func TestOpen_DiscoversPluginsInDir(t *testing.T) {
	dir := pluginDir(t, "flagfile")
	if err := os.WriteFile(filepath.Join(dir, host.ExecutablePrefix+"notexec"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("not a plugin"), 0o755); err != nil {
		t.Fatal(err)
	}
	h, _ := openHost(t, host.Config{Dir: dir})

	sts := h.Statuses()
	if len(sts) != 2 {
		t.Fatalf("statuses: got %d (%+v), want flagfile and notexec", len(sts), sts)
	}
	ff, bad := sts[0], sts[1]
	if ff.Name != "flagfile" || ff.Err != nil || ff.ChecksumStatus != host.ChecksumUnpinned || len(ff.Checksum) != 64 {
		t.Errorf("flagfile status: %+v", ff)
	}
	if ff.Info.Version != "0.1.0" || !reflect.DeepEqual(ff.Info.APIVersions, []string{"v1"}) {
		t.Errorf("flagfile info: %+v", ff.Info)
	}
	if bad.Name != "notexec" || bad.Err == nil || !strings.Contains(bad.Err.Error(), "not an executable file") {
		t.Errorf("notexec status: %+v", bad)
	}
	if got := h.Plugins(); len(got) != 1 || got[0].Name != "flagfile" {
		t.Errorf("plugins: %+v, want only flagfile", got)
	}
}

func TestOpen_RefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  host.Config
		want string
	}{
		{"missing dir is an error", host.Config{Dir: "/nonexistent/plugins", CallTimeout: 1}, "plugins.dir /nonexistent/plugins"},
		{"zero call timeout is an error", host.Config{}, "plugins.callTimeout"},
		{"malformed pin is an error", host.Config{CallTimeout: 1, Checksums: map[string]string{"flagfile": "abc"}}, "plugins.checksums.flagfile"},
		{"builtin without path is an error", host.Config{CallTimeout: 1, Builtins: []host.Builtin{{Name: "kubernetes"}}}, `built-in plugin "kubernetes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := host.Open(context.Background(), tt.cfg)
			if err == nil {
				h.Close()
				t.Fatal("Open succeeded")
			}
			if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), tt.want) {
				t.Fatalf("got %v, want EINVALID mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCatalog_LooksUpTypeSchemas(t *testing.T) {
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})

	schema, ok, err := h.FaultType("flagfile", "set-flag")
	if err != nil || !ok {
		t.Fatalf("set-flag: ok=%v err=%v", ok, err)
	}
	var doc struct {
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(schema, &doc); err != nil || !reflect.DeepEqual(doc.Required, []string{"file", "key", "value"}) {
		t.Errorf("set-flag schema: %s (%v)", schema, err)
	}
	if _, ok, err := h.ProbeType("flagfile", "flag-equals"); err != nil || !ok {
		t.Errorf("flag-equals: ok=%v err=%v", ok, err)
	}
	if _, ok, err := h.FaultType("flagfile", "flag-equals"); err != nil || ok {
		t.Errorf("flag-equals is a probe, not a fault type: ok=%v err=%v", ok, err)
	}
	if _, ok, err := h.FaultType("kubernetes", "pod-delete"); err != nil || ok {
		t.Errorf("unknown plugin: ok=%v err=%v, want not ok", ok, err)
	}
}

func TestFlagfile_RoundTrip(t *testing.T) {
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	file := flagFile(t, map[string]any{"checkout.v2": false, "other": 1.0})
	f := setFlag(t, "f1", file, "checkout.v2", true)

	if err := h.Validate(ctx, f); err != nil {
		t.Fatalf("validate: %v", err)
	}
	rec, err := h.Prepare(ctx, f)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	if got := readFlags(t, file); got["checkout.v2"] != false {
		t.Fatalf("prepare changed the file: %v", got)
	}
	if res, err := h.Probe(ctx, flagEquals(t, file, "checkout.v2", true)); err != nil || res.OK {
		t.Fatalf("probe before inject: %+v %v, want not ok", res, err)
	}
	rec, err = h.Inject(ctx, f, rec)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	if got := readFlags(t, file); got["checkout.v2"] != true || got["other"] != 1.0 {
		t.Fatalf("after inject: %v, want checkout.v2 true and other untouched", got)
	}
	if st, err := h.Status(ctx, f, rec); err != nil || st.Effect != injectors.InEffect {
		t.Fatalf("status after inject: %+v %v", st, err)
	}
	if res, err := h.Probe(ctx, flagEquals(t, file, "checkout.v2", true)); err != nil || !res.OK {
		t.Fatalf("probe after inject: %+v %v, want ok", res, err)
	}
	for i := range 2 { // revert is idempotent
		if err := h.Revert(ctx, "flagfile", rec); err != nil {
			t.Fatalf("revert %d: %v", i+1, err)
		}
	}
	if got := readFlags(t, file); !reflect.DeepEqual(got, map[string]any{"checkout.v2": false, "other": 1.0}) {
		t.Fatalf("after revert: %v", got)
	}
	if st, err := h.Status(ctx, f, rec); err != nil || st.Effect != injectors.Reverted {
		t.Fatalf("status after revert: %+v %v", st, err)
	}
}

func TestFlagfile_RevertRespectsWhatHappenedSince(t *testing.T) {
	tests := []struct {
		name       string
		before     map[string]any
		afterwards func(t *testing.T, file string) // what a participant does after the injection
		wantEffect injectors.Effect
		wantFile   map[string]any // after revert; nil when the file is gone
	}{
		{
			name:       "absent key is deleted again",
			before:     map[string]any{"a": 1.0},
			afterwards: func(*testing.T, string) {},
			wantEffect: injectors.InEffect,
			wantFile:   map[string]any{"a": 1.0},
		},
		{
			name:   "later human edit is kept",
			before: map[string]any{"k": "old"},
			afterwards: func(t *testing.T, file string) {
				writeJSON(t, file, map[string]any{"k": "fixed-by-human"})
			},
			wantEffect: injectors.Drifted,
			wantFile:   map[string]any{"k": "fixed-by-human"},
		},
		{
			name:   "participant's own fix counts as reverted",
			before: map[string]any{"k": "old"},
			afterwards: func(t *testing.T, file string) {
				writeJSON(t, file, map[string]any{"k": "old"})
			},
			wantEffect: injectors.Reverted,
			wantFile:   map[string]any{"k": "old"},
		},
		{
			name:   "deleted file reverts to nothing without error",
			before: map[string]any{"k": "old"},
			afterwards: func(t *testing.T, file string) {
				if err := os.Remove(file); err != nil {
					t.Fatal(err)
				}
			},
			wantEffect: "", // status cannot read the file
			wantFile:   nil,
		},
	}
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := flagFile(t, tt.before)
			f := setFlag(t, "f", file, "k", "injected")
			rec, err := h.Prepare(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if rec, err = h.Inject(ctx, f, rec); err != nil {
				t.Fatal(err)
			}
			tt.afterwards(t, file)
			st, err := h.Status(ctx, f, rec)
			if tt.wantEffect == "" {
				if injectors.ErrorCode(err) != injectors.ENOTFOUND {
					t.Errorf("status: got %+v %v, want ENOTFOUND", st, err)
				}
			} else if err != nil || st.Effect != tt.wantEffect {
				t.Errorf("status: got %+v %v, want %s", st, err, tt.wantEffect)
			}
			if err := h.Revert(ctx, "flagfile", rec); err != nil {
				t.Fatalf("revert: %v", err)
			}
			if tt.wantFile == nil {
				if _, err := os.Stat(file); !os.IsNotExist(err) {
					t.Fatalf("revert recreated the deleted file: %v", err)
				}
				return
			}
			if got := readFlags(t, file); !reflect.DeepEqual(got, tt.wantFile) {
				t.Errorf("after revert: %v, want %v", got, tt.wantFile)
			}
		})
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCalls_PluginErrorsKeepTheirCode(t *testing.T) {
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	file := flagFile(t, map[string]any{})
	notJSON := filepath.Join(t.TempDir(), "flags.json")
	if err := os.WriteFile(notJSON, []byte("[1,2]"), 0o644); err != nil {
		t.Fatal(err)
	}
	withParams := func(typ, params string) control.FaultSpec {
		return control.FaultSpec{Plugin: "flagfile", Fault: injectors.Fault{FaultID: "f", Type: typ, Params: json.RawMessage(params)}}
	}
	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantMsg  string
	}{
		{"missing param is invalid", func() error {
			_, err := h.Prepare(ctx, withParams("set-flag", `{"file":"`+file+`","key":"k"}`))
			return err
		}, injectors.EINVALID, "params: missing property 'value'"},
		{"wrongly typed param is invalid", func() error {
			_, err := h.Prepare(ctx, withParams("set-flag", `{"file":"`+file+`","key":7,"value":1}`))
			return err
		}, injectors.EINVALID, "params.key: got number, want string"},
		{"unknown param is invalid", func() error {
			return h.Validate(ctx, withParams("set-flag", `{"file":"`+file+`","key":"k","value":1,"extra":true}`))
		}, injectors.EINVALID, "params: additional properties 'extra' not allowed"},
		{"unknown fault type is invalid", func() error {
			return h.Validate(ctx, withParams("set-flags", `{}`))
		}, injectors.EINVALID, `unknown fault type "set-flags", expected one of: set-flag`},
		{"missing flag file is not found", func() error {
			return h.Validate(ctx, withParams("set-flag", `{"file":"/nonexistent/flags.json","key":"k","value":1}`))
		}, injectors.ENOTFOUND, "flag file /nonexistent/flags.json does not exist"},
		{"flag file that is no object is invalid", func() error {
			return h.Validate(ctx, withParams("set-flag", `{"file":"`+notJSON+`","key":"k","value":1}`))
		}, injectors.EINVALID, "is not a JSON object"},
		{"corrupt record is invalid", func() error {
			return h.Revert(ctx, "flagfile", []byte(`{"nope":1}`))
		}, injectors.EINVALID, "revert record is not one this plugin wrote"},
		{"unknown plugin is not found", func() error {
			return h.Revert(ctx, "kubernetes", []byte(`{}`))
		}, injectors.ENOTFOUND, `no plugin named "kubernetes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if injectors.ErrorCode(err) != tt.wantCode || !strings.Contains(injectors.ErrorMessage(err), tt.wantMsg) {
				t.Fatalf("got %v (code %s), want %s containing %q", err, injectors.ErrorCode(err), tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestFlagfile_InjectRecordsTheValueItReplaced(t *testing.T) {
	ctx := context.Background()
	h, _ := openHost(t, host.Config{Dir: pluginDir(t, "flagfile")})
	file := flagFile(t, map[string]any{"k": "at-prepare"})
	f := setFlag(t, "f", file, "k", "injected")
	prepared, err := h.Prepare(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	writeJSON(t, file, map[string]any{"k": "changed-before-inject"})
	injected, err := h.Inject(ctx, f, prepared)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.Inject(ctx, f, injected) // a repeated inject keeps the replaced value
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Revert(ctx, "flagfile", again); err != nil {
		t.Fatal(err)
	}
	if got := readFlags(t, file)["k"]; got != "changed-before-inject" {
		t.Fatalf("after revert k = %v, want the value the injection replaced", got)
	}
}
