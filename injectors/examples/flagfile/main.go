// Command firedrill-injector-flagfile is the example firedrill injector
// plugin: it plants a quiet setting change in a JSON feature-flag file, the
// kind of change a drill designer hides in the beta environment. Fault type
// set-flag sets one key; probe flag-equals checks one key. README.md walks
// through it as the guide to writing a plugin.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/sdk"
)

// flagSchema is the params schema of both set-flag and flag-equals.
var flagSchema = sdk.MustSchema(`{
  "type": "object",
  "required": ["file", "key", "value"],
  "additionalProperties": false,
  "properties": {
    "file":  {"type": "string", "minLength": 1, "description": "path of the JSON flag file"},
    "key":   {"type": "string", "minLength": 1, "description": "top-level key of the flag"},
    "value": {"description": "the flag's value: any JSON value"}
  }
}`)

type params struct {
	File  string          `json:"file"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// record is everything Revert needs; no state lives in the process.
type record struct {
	File     string          `json:"file"`
	Key      string          `json:"key"`
	Had      bool            `json:"had"`             // the key existed before the fault
	Prior    json.RawMessage `json:"prior,omitempty"` // its value then
	Injected json.RawMessage `json:"injected"`
}

type flagfile struct{ mu sync.Mutex } // serializes read-modify-write of files

func (*flagfile) Info(context.Context) (injectors.Info, error) {
	return injectors.Info{
		Name: "flagfile", Version: "0.1.0", APIVersions: []string{injectors.APIVersion},
		FaultTypes: []injectors.TypeInfo{{Name: "set-flag", Description: "Set a key of a JSON feature-flag file", ParamsSchema: flagSchema.JSON()}},
		ProbeTypes: []injectors.TypeInfo{{Name: "flag-equals", Description: "The key of a JSON feature-flag file has a value", ParamsSchema: flagSchema.JSON()}},
	}, nil
}

func (f *flagfile) Validate(_ context.Context, fault injectors.Fault) error {
	_, _, err := f.read(fault)
	return err
}

func (f *flagfile) Prepare(_ context.Context, fault injectors.Fault) ([]byte, error) {
	p, flags, err := f.read(fault)
	if err != nil {
		return nil, err
	}
	prior, had := flags[p.Key]
	return sdk.EncodeRecord(record{File: p.File, Key: p.Key, Had: had, Prior: prior, Injected: p.Value})
}

func (f *flagfile) Inject(_ context.Context, _ injectors.Fault, rec []byte) ([]byte, error) {
	var r record
	if err := sdk.DecodeRecord(rec, &r); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	flags, err := load(r.File)
	if err != nil {
		return nil, err
	}
	// Refine the record with the value as it is now, unless this is a repeat
	// of an injection that already happened.
	if cur, has := flags[r.Key]; !has || !same(cur, r.Injected) {
		r.Had, r.Prior = has, cur
	}
	flags[r.Key] = r.Injected
	slog.Info("flag set", "file", r.File, "key", r.Key, "value", string(r.Injected))
	if err := save(r.File, flags); err != nil {
		return nil, err
	}
	return sdk.EncodeRecord(r)
}

func (f *flagfile) Status(_ context.Context, _ injectors.Fault, rec []byte) (injectors.Status, error) {
	var r record
	if err := sdk.DecodeRecord(rec, &r); err != nil {
		return injectors.Status{}, err
	}
	flags, err := load(r.File)
	if err != nil {
		return injectors.Status{}, err
	}
	cur, has := flags[r.Key]
	switch {
	case has && same(cur, r.Injected):
		return injectors.Status{Effect: injectors.InEffect, Detail: r.Key + " is " + string(cur)}, nil
	case has == r.Had && (!has || same(cur, r.Prior)):
		return injectors.Status{Effect: injectors.Reverted, Detail: r.Key + " is as before the fault"}, nil
	case !has:
		return injectors.Status{Effect: injectors.Drifted, Detail: r.Key + " was removed"}, nil
	}
	return injectors.Status{Effect: injectors.Drifted, Detail: r.Key + " was changed to " + string(cur)}, nil
}

func (f *flagfile) Revert(_ context.Context, rec []byte) error {
	var r record
	if err := sdk.DecodeRecord(rec, &r); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	flags, err := load(r.File)
	if injectors.ErrorCode(err) == injectors.ENOTFOUND {
		slog.Warn("flag file is gone, nothing to revert", "file", r.File)
		return nil
	} else if err != nil {
		return err
	}
	if cur, has := flags[r.Key]; !has || !same(cur, r.Injected) {
		slog.Info("flag no longer has the injected value, left as is", "file", r.File, "key", r.Key)
		return nil // already reverted, or a later human edit that is not ours to undo
	}
	if r.Had {
		flags[r.Key] = r.Prior
	} else {
		delete(flags, r.Key)
	}
	slog.Info("flag restored", "file", r.File, "key", r.Key)
	return save(r.File, flags)
}

func (f *flagfile) Probe(_ context.Context, probe injectors.Probe) (injectors.ProbeResult, error) {
	p, flags, err := f.read(injectors.Fault{Type: "set-flag", Params: probe.Params})
	if err != nil {
		return injectors.ProbeResult{}, err
	}
	if probe.Type != "flag-equals" {
		return injectors.ProbeResult{}, sdk.UnknownType("probe", probe.Type, "flag-equals")
	}
	cur, has := flags[p.Key]
	if !has {
		return injectors.ProbeResult{OK: false, Detail: p.Key + " is not set"}, nil
	}
	return injectors.ProbeResult{OK: same(cur, p.Value), Detail: p.Key + " is " + string(cur)}, nil
}

// read checks a fault's type and params and loads its flag file.
func (f *flagfile) read(fault injectors.Fault) (params, map[string]json.RawMessage, error) {
	var p params
	if fault.Type != "set-flag" {
		return p, nil, sdk.UnknownType("fault", fault.Type, "set-flag")
	}
	if err := flagSchema.Decode(fault.Params, &p); err != nil {
		return p, nil, err
	}
	flags, err := load(p.File)
	return p, flags, err
}

func load(file string) (map[string]json.RawMessage, error) {
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "flag file %s does not exist", file)
	} else if err != nil {
		return nil, err
	}
	var flags map[string]json.RawMessage
	if err := json.Unmarshal(b, &flags); err != nil || flags == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "flag file %s is not a JSON object", file)
	}
	return flags, nil
}

// save writes flags atomically: a reader sees the old file or the new one.
func save(file string, flags map[string]json.RawMessage) error {
	b, err := json.MarshalIndent(flags, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".flagfile-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if st, err := os.Stat(file); err == nil {
		_ = tmp.Chmod(st.Mode().Perm())
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// same compares two JSON values, ignoring layout and key order.
func same(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

func main() { sdk.Serve(&flagfile{}) }
