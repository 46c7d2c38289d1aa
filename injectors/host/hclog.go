package host

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// slogLevelTrace is below slog.LevelDebug; hclog's Trace maps to it.
const slogLevelTrace = slog.LevelDebug - 4

// hclogToSlog is an hclog.Logger that writes into an slog.Logger. go-plugin
// logs through it, and so do the plugin processes: go-plugin parses each
// JSON line a plugin writes to stderr and logs it here with its level and
// attributes.
type hclogToSlog struct {
	l       *slog.Logger
	name    string
	implied []any
}

func newHclog(l *slog.Logger) hclog.Logger { return &hclogToSlog{l: l} }

var _ hclog.Logger = (*hclogToSlog)(nil)

func toSlogLevel(level hclog.Level) slog.Level {
	switch level {
	case hclog.Trace:
		return slogLevelTrace
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (a *hclogToSlog) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	sl := toSlogLevel(level)
	if a.name == "" && sl == slog.LevelInfo {
		// go-plugin's own lifecycle lines ("plugin process exited") are
		// detail; the plugin's lines arrive through a Named logger.
		sl = slog.LevelDebug
	}
	ctx := context.Background()
	if !a.l.Enabled(ctx, sl) {
		return
	}
	// go-plugin names the executable "plugin", which would shadow the
	// plugin's name that the host attaches under the same key.
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "plugin" {
			args = append([]any{}, args...)
			args[i] = "executable"
		}
	}
	a.l.Log(ctx, sl, msg, args...)
}

func (a *hclogToSlog) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogToSlog) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogToSlog) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogToSlog) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogToSlog) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogToSlog) enabled(l slog.Level) bool { return a.l.Enabled(context.Background(), l) }

func (a *hclogToSlog) IsTrace() bool { return a.enabled(slogLevelTrace) }
func (a *hclogToSlog) IsDebug() bool { return a.enabled(slog.LevelDebug) }
func (a *hclogToSlog) IsInfo() bool  { return a.enabled(slog.LevelInfo) }
func (a *hclogToSlog) IsWarn() bool  { return a.enabled(slog.LevelWarn) }
func (a *hclogToSlog) IsError() bool { return a.enabled(slog.LevelError) }

func (a *hclogToSlog) ImpliedArgs() []any { return a.implied }

func (a *hclogToSlog) With(args ...any) hclog.Logger {
	return &hclogToSlog{l: a.l.With(args...), name: a.name, implied: append(append([]any{}, a.implied...), args...)}
}

func (a *hclogToSlog) Name() string { return a.name }

// Named keeps the logger: go-plugin names it after the executable, but the
// host has already attached the plugin's name as an attribute.
func (a *hclogToSlog) Named(name string) hclog.Logger {
	return &hclogToSlog{l: a.l, name: name, implied: a.implied}
}

func (a *hclogToSlog) ResetNamed(name string) hclog.Logger { return a.Named(name) }

// SetLevel does nothing: the level is the slog handler's.
func (a *hclogToSlog) SetLevel(hclog.Level) {}

func (a *hclogToSlog) GetLevel() hclog.Level {
	switch {
	case a.IsTrace():
		return hclog.Trace
	case a.IsDebug():
		return hclog.Debug
	case a.IsInfo():
		return hclog.Info
	case a.IsWarn():
		return hclog.Warn
	case a.IsError():
		return hclog.Error
	}
	return hclog.Off
}

func (a *hclogToSlog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogToSlog) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := slog.LevelInfo
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = toSlogLevel(opts.ForceLevel)
	}
	return slog.NewLogLogger(a.l.Handler(), level).Writer()
}
