package grpcplugin

import (
	"io"
	"log/slog"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/firedrill/firedrill/injectors"
)

// Serve runs impl as a firedrill injector plugin: it performs the go-plugin
// handshake on stdout and serves gRPC until the host goes away, and does not
// return. Plugin authors call sdk.Serve, which is this; the built-in
// Kubernetes plugin calls it directly to keep the SDK's JSON Schema library
// out of its process (issue 13).
//
// The host normally stops the plugin. When the host process dies without
// doing so (a crash, a SIGKILL), the plugin notices at once, gives its calls
// in flight a few seconds to return, and exits, rather than living on
// orphaned (see exitWhenHostGone).
//
// Serve also makes slog's default logger write to stderr in the format the
// host understands, so that a plugin's slog.Info(...) lines appear in
// firedrill's log under the plugin's name, with their level and attributes.
func Serve(impl injectors.Injector) {
	slog.SetDefault(slog.New(NewLogHandler(os.Stderr, slog.LevelDebug)))
	srv := &serverRef{}
	go exitWhenHostGone(srv)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         map[string]plugin.Plugin{PluginName: &GRPCPlugin{Impl: impl}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(append(opts, ServerOptions()...)...)
			srv.set(s)
			return s
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "go-plugin",
			Level:      hclog.Info,
			Output:     os.Stderr,
			JSONFormat: true,
		}),
	})
}

// NewLogHandler returns a slog handler that writes one JSON object a line in
// hclog's JSON layout (@timestamp, @level, @message, then attributes), which
// the plugin host parses back into log records. Serve installs it; plugins
// that build their own loggers can use it too.
func NewLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				return slog.String("@level", hclogLevel(a.Value.Any()))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}

func hclogLevel(v any) string {
	l, ok := v.(slog.Level)
	if !ok {
		return "info"
	}
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}
