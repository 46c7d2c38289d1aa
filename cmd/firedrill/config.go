package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/program/webhook"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/pgdb"
	"github.com/firedrill/firedrill/ui"
)

// Config is firedrill's configuration. It is read, lowest precedence first,
// from built-in defaults, the config file (firedrill.yaml in the working
// directory or $XDG_CONFIG_HOME/firedrill, or --config), FIREDRILL_* environment
// variables, and command-line flags. Unknown keys in the file are an error.
type Config struct {
	// DataDir holds the SQLite database and other drill state.
	DataDir string `mapstructure:"dataDir"`
	// Listen is the address the drill room is served on.
	Listen string `mapstructure:"listen"`
	// PublicURL is the base URL printed in join links; defaults to http://<listen>.
	PublicURL string `mapstructure:"publicURL"`
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies in
	// front of the room; only their X-Forwarded-For names the client (for
	// the sign-in limit).
	TrustedProxies []string `mapstructure:"trustedProxies"`

	Log        LogConfig        `mapstructure:"log"`
	Auth       AuthConfig       `mapstructure:"auth"`
	Kubernetes KubernetesConfig `mapstructure:"kubernetes"`
	Plugins    PluginsConfig    `mapstructure:"plugins"`
	Drill      DrillConfig      `mapstructure:"drill"`
	Scenarios  ScenariosConfig  `mapstructure:"scenarios"`
	Records    RecordsConfig    `mapstructure:"records"`
	Program    ProgramConfig    `mapstructure:"program"`
	Store      StoreConfig      `mapstructure:"store"`
	HA         HAConfig         `mapstructure:"ha"`
	Metrics    MetricsConfig    `mapstructure:"metrics"`
	Safety     SafetyConfig     `mapstructure:"safety"`
}

// StoreConfig says where drills are kept.
type StoreConfig struct {
	// Driver is "sqlite" (files in DataDir, one controller) or "postgres"
	// (a database that controller replicas share).
	Driver string `mapstructure:"driver"`
	// DSN is the PostgreSQL connection string, e.g.
	// postgres://firedrill@db:5432/firedrill; only with driver postgres.
	DSN string `mapstructure:"dsn"`
}

// HAConfig places firedrill's own state in the cluster: its Lease (leader
// election among replicas, and the heartbeat the dead man's switch
// watches) and the revert records of injected faults (one Secret per drill).
type HAConfig struct {
	// Namespace holds the Lease and the records Secrets; empty turns both
	// off (a single controller whose records live only in its database).
	Namespace string `mapstructure:"namespace"`
	// Lease is the Lease's name.
	Lease string `mapstructure:"lease"`
	// Identity names this replica in the Lease. When it is a URL (the
	// replica's own address, e.g. http://$(POD_IP):8080) followers forward
	// the drill room's requests to the leader there; default the host name.
	Identity string `mapstructure:"identity"`
	// LeaseDuration, RenewDeadline and RetryPeriod are the election's
	// timings: a leader that cannot renew for RenewDeadline stops acting,
	// before the Lease can be taken over after LeaseDuration.
	LeaseDuration time.Duration `mapstructure:"leaseDuration"`
	RenewDeadline time.Duration `mapstructure:"renewDeadline"`
	RetryPeriod   time.Duration `mapstructure:"retryPeriod"`
}

// MetricsConfig configures /metrics. The facilitator's session may always
// read it; anonymous requests never may.
type MetricsConfig struct {
	// Token is the bearer token a Prometheus scraper presents
	// (Authorization: Bearer TOKEN); empty: only the facilitator's session.
	Token string `mapstructure:"token"`
}

// SafetyConfig configures what restores beta when firedrill is gone.
type SafetyConfig struct {
	// DeadManAfter is how long the controller's Lease may go unrenewed
	// before `firedrill sweep` reverts its drills' faults.
	DeadManAfter time.Duration `mapstructure:"deadManAfter"`
}

// RecordsConfig holds the keys that seal revert records (the previous values
// of what a fault changed, Secret values included) in the drill journal.
type RecordsConfig struct {
	// Keys are "id:base64 of 32 random bytes"; the first seals new records,
	// all of them open old ones. Rotate by putting a new key first and
	// dropping the old one once no open drill holds a record it sealed.
	Keys []string `mapstructure:"keys"`
	// KeyFile is a file of keys, one a line, e.g. a mounted Kubernetes
	// Secret; its keys follow Keys. When neither is set, a key is made once
	// in the data directory (record.keys, mode 0600).
	KeyFile string `mapstructure:"keyFile"`
}

// ProgramConfig configures the drill program (season plans, notices,
// surveys).
type ProgramConfig struct {
	// NoticeWebhook is a Slack-compatible incoming webhook the day-before
	// notice can be posted to; empty leaves copying and the .ics download.
	NoticeWebhook string `mapstructure:"noticeWebhook"`
	// SurveyURL is the after-drill survey's URL template, shown at the end of
	// the retro and recorded; {drill}, {team} and {season} are filled in.
	SurveyURL string `mapstructure:"surveyURL"`
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `mapstructure:"level"`  // debug, info, warn, error
	Format string `mapstructure:"format"` // text or json
}

// AuthConfig configures facilitator access to the drill room.
type AuthConfig struct {
	// AdminToken is the facilitator's credential; exchanged for a session cookie.
	AdminToken string `mapstructure:"adminToken"`
	// AdminPasswordHash is a bcrypt hash, an alternative to AdminToken.
	AdminPasswordHash string `mapstructure:"adminPasswordHash"`
	// OIDC lets staff sign in with the organization's identity provider;
	// the admin credential then stays as the break-glass way in.
	OIDC OIDCConfig `mapstructure:"oidc"`
}

// OIDCConfig configures sign-in with an OpenID Connect identity provider
// (authorization code flow with PKCE).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; empty disables the sign-in.
	Issuer string `mapstructure:"issuer"`
	// ClientID and ClientSecret are firedrill's client at the provider.
	ClientID     string `mapstructure:"clientID"`
	ClientSecret string `mapstructure:"clientSecret"`
	// RedirectURL is the callback registered at the provider; default
	// <publicURL>/auth/oidc/callback.
	RedirectURL string `mapstructure:"redirectURL"`
	// Scopes are requested besides openid; default profile and email.
	Scopes []string `mapstructure:"scopes"`
	// GroupsClaim names the ID token claim with the groups; default groups.
	GroupsClaim string `mapstructure:"groupsClaim"`
	// Groups maps a provider group (compared case-insensitively) to a team
	// ("*" for every team) and a role: facilitator, designer or observer.
	Groups map[string]OIDCGroup `mapstructure:"groups"`
}

// OIDCGroup is the team and role membership of a provider group grants.
type OIDCGroup struct {
	Team string `mapstructure:"team"`
	Role string `mapstructure:"role"`
}

// KubernetesConfig says which beta cluster faults may be injected into.
type KubernetesConfig struct {
	Kubeconfig string `mapstructure:"kubeconfig"`
	Context    string `mapstructure:"context"`
	// AllowedContexts lists the kubeconfig contexts firedrill may touch; any
	// other context is refused.
	AllowedContexts []string `mapstructure:"allowedContexts"`
	// ProtectedNamespaces are always refused, in addition to kube-system,
	// kube-public and kube-node-lease.
	ProtectedNamespaces []string `mapstructure:"protectedNamespaces"`
	// ServiceURLs maps "namespace/service" to a base URL for http-get probes
	// that should not go through the API server's service proxy.
	ServiceURLs map[string]string `mapstructure:"serviceURLs"`
	// RevertQPS and RevertBurst are the rate limit of the Kubernetes
	// plugin's revert client, separate from the one injects use.
	RevertQPS   float64 `mapstructure:"revertQPS"`
	RevertBurst int     `mapstructure:"revertBurst"`
	// VisibleMarks writes firedrill's annotations on the objects a fault
	// touches. With the revert records in the cluster (ha.namespace) they
	// are off by default, so participants reading objects see no trace of
	// firedrill; without ha.namespace they are always written, since the
	// leftover scan needs them.
	VisibleMarks bool `mapstructure:"visibleMarks"`
}

// marksVisible reports whether the Kubernetes injector marks what it
// touches.
func (k KubernetesConfig) marksVisible(ha HAConfig) bool {
	return k.VisibleMarks || ha.Namespace == ""
}

// PluginsConfig configures the injector plugin host.
type PluginsConfig struct {
	// Dir is searched for plugin executables named firedrill-injector-<name>.
	Dir string `mapstructure:"dir"`
	// Checksums pins plugin executables by name to their SHA-256 (hex).
	Checksums map[string]string `mapstructure:"checksums"`
	// CallTimeout bounds each call to a plugin.
	CallTimeout time.Duration `mapstructure:"callTimeout"`
	// RequireChecksums refuses any plugin without a pin in Checksums.
	RequireChecksums bool `mapstructure:"requireChecksums"`
}

// DrillConfig configures how drills run.
type DrillConfig struct {
	// OnRestart is what happens to drills that were running when firedrill
	// stopped: "resume" or "abort".
	OnRestart string `mapstructure:"onRestart"`
	// TimeScale speeds up the drill clock for rehearsals and tests: 60 runs a
	// drill minute in one second. 1 is real time.
	TimeScale float64 `mapstructure:"timeScale"`
	// RevertConcurrency bounds the reverts in flight when a drill is
	// aborted, ended or reaches its cap.
	RevertConcurrency int `mapstructure:"revertConcurrency"`
	// RevertAttemptTimeout bounds one attempt to revert one fault; a fault
	// whose attempt fails is recorded and retried with backoff.
	RevertAttemptTimeout time.Duration `mapstructure:"revertAttemptTimeout"`
	// ProbeConcurrency bounds the resolution probes, alert checks and
	// cluster watches in flight at once across all drills.
	ProbeConcurrency int `mapstructure:"probeConcurrency"`
	// ProbeTimeout bounds one probe call (real time); a call that does not
	// answer in time counts as a failed poll, retried with backoff.
	ProbeTimeout time.Duration `mapstructure:"probeTimeout"`
	// JournalMaxBytes limits the drill journal; above it firedrill refuses
	// new work and keeps reverting (a reserve as large again is kept for
	// that). 0 means no limit but the disk's.
	JournalMaxBytes int64 `mapstructure:"journalMaxBytes"`
}

// ScenariosConfig says where scenarios are loaded from.
type ScenariosConfig struct {
	Dirs []string `mapstructure:"dirs"`
}

// setting is one configuration key with its environment variable and flag.
type setting struct {
	key   string // viper key, dotted
	flag  string // flag name, empty when the key has no flag
	def   any
	usage string
}

func (s setting) env() string {
	// dataDir -> FIREDRILL_DATA_DIR, kubernetes.allowedContexts -> FIREDRILL_KUBERNETES_ALLOWED_CONTEXTS,
	// publicURL -> FIREDRILL_PUBLIC_URL (an acronym stays one word)
	var b strings.Builder
	b.WriteString("FIREDRILL_")
	for i, r := range s.key {
		switch {
		case r == '.':
			b.WriteByte('_')
		case r >= 'A' && r <= 'Z':
			if prev := s.key[max(i-1, 0)]; i > 0 && prev != '.' && !(prev >= 'A' && prev <= 'Z') {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteString(strings.ToUpper(string(r)))
		}
	}
	return b.String()
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "firedrill")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "firedrill")
	}
	return "firedrill-data"
}

var settings = []setting{
	{key: "dataDir", flag: "data-dir", def: defaultDataDir(), usage: "directory for the drill database"},
	{key: "listen", flag: "listen", def: "127.0.0.1:8080", usage: "address to serve the drill room on"},
	{key: "publicURL", flag: "public-url", def: "", usage: "base URL used in join links"},
	{key: "trustedProxies", def: []string{}},
	{key: "log.level", flag: "log-level", def: "info", usage: "log level: debug, info, warn, error"},
	{key: "log.format", flag: "log-format", def: "text", usage: "log format: text or json"},
	{key: "auth.adminToken", def: ""},
	{key: "auth.adminPasswordHash", def: ""},
	{key: "auth.oidc.issuer", def: ""},
	{key: "auth.oidc.clientID", def: ""},
	{key: "auth.oidc.clientSecret", def: ""},
	{key: "auth.oidc.redirectURL", def: ""},
	{key: "auth.oidc.scopes", def: []string{}},
	{key: "auth.oidc.groupsClaim", def: "groups"},
	{key: "auth.oidc.groups", def: map[string]any{}},
	{key: "kubernetes.kubeconfig", flag: "kubeconfig", def: "", usage: "path to the kubeconfig of the beta cluster"},
	{key: "kubernetes.context", flag: "context", def: "", usage: "kubeconfig context (must be in kubernetes.allowedContexts)"},
	{key: "kubernetes.allowedContexts", def: []string{}},
	{key: "kubernetes.protectedNamespaces", def: []string{}},
	{key: "plugins.dir", flag: "plugin-dir", def: "", usage: "directory of injector plugins"},
	{key: "plugins.checksums", def: map[string]string{}},
	{key: "plugins.callTimeout", def: 30 * time.Second},
	{key: "plugins.requireChecksums", def: false},
	{key: "kubernetes.serviceURLs", def: map[string]string{}},
	{key: "kubernetes.revertQPS", def: 400.0},
	{key: "kubernetes.revertBurst", def: 800},
	{key: "drill.onRestart", def: "resume"},
	{key: "drill.timeScale", flag: "time-scale", def: 1.0, usage: "drill clock speed-up for rehearsals (60 = a drill minute per second)"},
	{key: "drill.revertConcurrency", def: 64},
	{key: "drill.revertAttemptTimeout", def: 10 * time.Second},
	{key: "drill.probeConcurrency", def: control.DefaultProbeConcurrency},
	{key: "drill.probeTimeout", def: control.DefaultProbeTimeout},
	{key: "drill.journalMaxBytes", def: int64(0)},
	{key: "scenarios.dirs", def: []string{}},
	{key: "records.keys", def: []string{}},
	{key: "records.keyFile", def: ""},
	{key: "program.noticeWebhook", def: ""},
	{key: "program.surveyURL", def: ""},
	{key: "store.driver", def: driverSQLite},
	{key: "store.dsn", def: ""},
	{key: "kubernetes.visibleMarks", def: false},
	{key: "ha.namespace", def: ""},
	{key: "metrics.token", def: ""},
	{key: "ha.lease", def: "firedrill-controller"},
	{key: "ha.identity", def: ""},
	{key: "ha.leaseDuration", def: 10 * time.Second},
	{key: "ha.renewDeadline", def: 7 * time.Second},
	{key: "ha.retryPeriod", def: 2 * time.Second},
	{key: "safety.deadManAfter", def: 5 * time.Minute},
}

// addConfigFlags adds the persistent flags every command understands.
func addConfigFlags(root *cobra.Command) {
	root.PersistentFlags().String("config", "", "config file (default: ./firedrill.yaml or $XDG_CONFIG_HOME/firedrill/firedrill.yaml)")
	root.PersistentFlags().String("data-dir", "", "directory for the drill database")
	root.PersistentFlags().String("log-level", "", "log level: debug, info, warn, error")
}

// addSettingFlag adds the flag of the configuration key to cmd. Commands call
// it for the keys they use; precedence is handled by LoadConfig.
func addSettingFlag(cmd *cobra.Command, key string) {
	for _, s := range settings {
		if s.key == key && s.flag != "" {
			switch d := s.def.(type) {
			case float64:
				cmd.Flags().Float64(s.flag, d, s.usage)
			default:
				cmd.Flags().String(s.flag, "", s.usage)
			}
			return
		}
	}
	panic("addSettingFlag: no flag for config key " + key)
}

// LoadConfig reads the configuration for the executing command.
func LoadConfig(cmd *cobra.Command, getenv func(string) string) (Config, error) {
	v := viper.New()
	for _, s := range settings {
		v.SetDefault(s.key, s.def)
	}
	v.SetConfigType("yaml")
	path, _ := cmd.Flags().GetString("config")
	if path == "" {
		path = getenv("FIREDRILL_CONFIG")
	}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("read config %s: %w", path, err)
		}
	} else if found := findConfigFile(getenv); found != "" {
		v.SetConfigFile(found)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("read config %s: %w", found, err)
		}
	}
	for _, s := range settings {
		if s.flag != "" {
			if f := cmd.Flags().Lookup(s.flag); f != nil && f.Changed {
				v.Set(s.key, f.Value.String())
				continue
			}
		}
		if val := getenv(s.env()); val != "" {
			switch s.def.(type) {
			case []string:
				v.Set(s.key, splitList(val))
			default:
				v.Set(s.key, val)
			}
		}
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg); err != nil {
		where := "configuration"
		if f := v.ConfigFileUsed(); f != "" {
			where = f
		}
		return Config{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// findConfigFile returns the first of ./firedrill.yaml, ./firedrill.yml and
// the same names in $XDG_CONFIG_HOME/firedrill (default ~/.config/firedrill)
// that exists, or "". Exact names are looked for: a search by base name
// alone would pick up the firedrill binary itself in its own folder.
func findConfigFile(getenv func(string) string) string {
	dirs := []string{"."}
	xdg := getenv("XDG_CONFIG_HOME")
	if xdg == "" {
		if h := getenv("HOME"); h != "" {
			xdg = filepath.Join(h, ".config")
		}
	}
	if xdg != "" {
		dirs = append(dirs, filepath.Join(xdg, "firedrill"))
	}
	for _, d := range dirs {
		for _, n := range []string{"firedrill.yaml", "firedrill.yml"} {
			p := filepath.Join(d, n)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks values that have a fixed set of meanings.
func (c Config) Validate() error {
	var errs []error
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q is not a level, expected debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format: %q is not a format, expected text or json", c.Log.Format))
	}
	switch c.Drill.OnRestart {
	case "resume", "abort":
	default:
		errs = append(errs, fmt.Errorf("drill.onRestart: %q is not allowed, expected resume or abort", c.Drill.OnRestart))
	}
	if c.Drill.TimeScale <= 0 || c.Drill.TimeScale > 3600 {
		errs = append(errs, fmt.Errorf("drill.timeScale: %v is out of range, expected a number above 0 and at most 3600", c.Drill.TimeScale))
	}
	if c.Kubernetes.RevertQPS <= 0 || c.Kubernetes.RevertBurst < 1 {
		errs = append(errs, fmt.Errorf("kubernetes.revertQPS and kubernetes.revertBurst: %v and %d must be positive", c.Kubernetes.RevertQPS, c.Kubernetes.RevertBurst))
	}
	if c.Drill.RevertConcurrency < 1 || c.Drill.RevertConcurrency > 1024 {
		errs = append(errs, fmt.Errorf("drill.revertConcurrency: %d is out of range, expected 1 to 1024", c.Drill.RevertConcurrency))
	}
	if c.Drill.JournalMaxBytes < 0 || c.Drill.JournalMaxBytes > 0 && c.Drill.JournalMaxBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("drill.journalMaxBytes: %d is out of range, expected 0 (no limit) or at least 1048576", c.Drill.JournalMaxBytes))
	}
	if c.Drill.RevertAttemptTimeout <= 0 {
		errs = append(errs, fmt.Errorf("drill.revertAttemptTimeout: %v must be positive", c.Drill.RevertAttemptTimeout))
	}
	if c.Drill.ProbeConcurrency < 1 || c.Drill.ProbeConcurrency > 1024 {
		errs = append(errs, fmt.Errorf("drill.probeConcurrency: %d is out of range, expected 1 to 1024", c.Drill.ProbeConcurrency))
	}
	if c.Drill.ProbeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("drill.probeTimeout: %v must be positive", c.Drill.ProbeTimeout))
	}
	if err := program.CheckSurveyTemplate(c.Program.SurveyURL); err != nil {
		errs = append(errs, errors.New(injectors.ErrorMessage(err)))
	}
	if c.Program.NoticeWebhook != "" {
		if _, err := webhook.New(c.Program.NoticeWebhook, nil, clock.RealClock{}); err != nil {
			errs = append(errs, errors.New(injectors.ErrorMessage(err)))
		}
	}
	if _, err := c.proxies(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Store.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.HA.RetryPeriod <= 0 || c.HA.RenewDeadline <= c.HA.RetryPeriod || c.HA.LeaseDuration <= c.HA.RenewDeadline {
		errs = append(errs, fmt.Errorf("ha.retryPeriod < ha.renewDeadline < ha.leaseDuration is required (a leader must stop acting before its Lease can be taken over), got %v, %v, %v", c.HA.RetryPeriod, c.HA.RenewDeadline, c.HA.LeaseDuration))
	}
	if c.HA.Namespace != "" && len(c.Records.Keys) == 0 && c.Records.KeyFile == "" {
		errs = append(errs, fmt.Errorf("ha.namespace: the revert records in the cluster are sealed, and the sweep must open them without this controller's data directory: set records.keys or records.keyFile (make a key with `firedrill config record-key`)"))
	}
	if c.Safety.DeadManAfter < c.HA.LeaseDuration {
		errs = append(errs, fmt.Errorf("safety.deadManAfter: %v must be at least ha.leaseDuration (%v)", c.Safety.DeadManAfter, c.HA.LeaseDuration))
	}
	if t := c.Metrics.Token; t != "" && len(t) < 16 {
		errs = append(errs, fmt.Errorf("metrics.token is %d characters long, expected at least 16", len(t)))
	}
	if c.Plugins.CallTimeout <= 0 {
		errs = append(errs, fmt.Errorf("plugins.callTimeout: %v must be positive", c.Plugins.CallTimeout))
	}
	return errors.Join(errs...)
}

// proxies parses TrustedProxies: addresses or CIDR ranges.
func (c Config) proxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, p := range c.TrustedProxies {
		if pr, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, fmt.Errorf("trustedProxies[%d]: %q is not an address or CIDR range, expected e.g. 10.0.0.5 or 10.0.0.0/8", i, p)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// ui converts the configuration to the drill room's.
func (o OIDCConfig) ui() ui.OIDCConfig {
	c := ui.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL,
		GroupsClaim: o.GroupsClaim, Groups: map[string]ui.GroupGrant{}}
	if len(o.Scopes) > 0 {
		c.Scopes = o.Scopes
	}
	for g, gr := range o.Groups {
		c.Groups[g] = ui.GroupGrant{Team: gr.Team, Role: control.Role(gr.Role)}
	}
	return c
}

// validate checks the store's driver and that its DSN fits it.
func (s StoreConfig) validate() error {
	switch s.Driver {
	case driverSQLite:
		if s.DSN != "" {
			return errors.New("store.dsn: set, but store.driver is sqlite, which keeps its files in dataDir: set store.driver to postgres, or remove store.dsn (FIREDRILL_STORE_DSN)")
		}
	case driverPostgres:
		if s.DSN == "" {
			return errors.New("store.dsn: empty, but store.driver is postgres: set store.dsn (or FIREDRILL_STORE_DSN) to a PostgreSQL connection string, e.g. postgres://firedrill@db:5432/firedrill")
		}
		if err := pgdb.CheckDSN(s.DSN); err != nil {
			return err
		}
	default:
		return fmt.Errorf("store.driver: %q is not a store, expected sqlite or postgres", s.Driver)
	}
	return nil
}
