// Package ui is the drill room: the HTTP server behind `firedrill serve`, with
// a JSON API, one multiplexed WebSocket per browser, and the facilitator
// console, participant room and observer view as plain HTML, CSS and JS
// modules embedded in the binary.
//
// Who sees what is decided in two places only: Visibility (which journal
// events a role may receive) and the permission table in routes.go (which
// role may call which route).
package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/scenarios"
)

// Config is what a Server is built from.
type Config struct {
	// Engine runs the drills; Journal reads their durable events.
	Engine  Engine
	Journal Journal
	// Library holds the scenarios drills are created from.
	Library Library
	// Tokens keeps the hashed join tokens.
	Tokens JoinTokens
	// Sessions, when set, keeps sessions across restarts; otherwise they
	// live in memory and a restart signs everybody out.
	Sessions SessionStore
	// Admin is the facilitator's credential: the bootstrap and break-glass
	// way in once staff sign in with the identity provider.
	Admin AdminCredential
	// Links, when set, keeps the links participants make from the drills
	// they joined to their identity ("my drills").
	Links IdentityLinks
	// StaffIdle ends a staff session after this long without a request;
	// default DefaultStaffIdle, negative never.
	StaffIdle time.Duration
	// OIDC, when its issuer is set, lets staff sign in with the
	// organization's identity provider.
	OIDC OIDCConfig
	// PublicURL is the base of join links, e.g. https://drill.example.com;
	// empty means the address the facilitator's browser used.
	PublicURL string
	// Clock is used for sessions, rate limits and nudges. NetClock is used
	// for socket deadlines and pings; both default to the real clock.
	Clock    clock.WithTicker
	NetClock clock.WithTicker
	// NudgeEvery is how often running drills are checked for nudges;
	// default 15 seconds, negative disables them.
	NudgeEvery time.Duration
	// SubscriberBuffer is how many events a browser may lag behind before
	// it is dropped and must resume; default 256.
	SubscriberBuffer int
	// RateLimit is how many messages a person may post per RatePer window;
	// defaults 10 per 10 seconds with a burst of 10.
	RateLimit RateLimit
	// WriteLimit is the token bucket of every other write a person (or the
	// facilitator) makes in one drill: claims, notes, notices, retro
	// answers, questions, lifecycle steps; default RateLimit.
	WriteLimit RateLimit
	// DrillQuota is the most journal entries a drill may hold before the
	// room refuses people's writes to it (the engine's own steps, such as
	// reverting faults, and the facilitator's lifecycle are never
	// refused); default DefaultDrillQuota.
	DrillQuota int64
	// TypeQuotas are the most entries of one event type a drill may hold
	// (people's writes of that kind are refused beyond); a type missing
	// from the map takes its DefaultTypeQuotas entry.
	TypeQuotas map[string]int64
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// names the client's address (for sign-in limits); nobody else's is
	// believed.
	TrustedProxies []netip.Prefix
	// Logger receives internal errors; default slog.Default().
	Logger *slog.Logger
	// Program, when set, runs the drill program: season plans, scheduled
	// drills, the day-before notice and the compliance report.
	Program *program.Service
	// SurveyURL, when set, is the after-drill survey's URL template
	// ({drill}, {team}, {season}); it is shown at the end of the retro and
	// recorded in the drill's journal when the retro closes.
	SurveyURL string
	// Metrics, when set, is served at /metrics to the facilitator's
	// session and to requests bearing MetricsToken; never anonymously.
	Metrics http.Handler
	// MetricsToken is the bearer token a Prometheus scraper presents
	// (Authorization: Bearer TOKEN); empty accepts no token.
	MetricsToken string
	// Ready, when set, decides /readyz: nil error is ready.
	Ready func() error
	// RecordKeys seal anonymous retro answers (the engine's record keys,
	// *seal.Keyring); without them nobody can answer anonymously.
	RecordKeys retro.Sealer
	// Studio, when set, is the scenario studio's catalog: the scenario
	// files, watched for changes, and the scenarios written in the studio.
	// It is then also the Library (when Library is nil).
	Studio *Catalog
	// StudioCheckLimit is a person's budget of validations in the studio;
	// default DefaultStudioCheckLimit.
	StudioCheckLimit RateLimit
	// Rehearsals runs rehearsals with robot participants (POST
	// /api/rehearsals); nil means this server has no cluster for them.
	Rehearsals *rehearse.Runner
	// ScenarioVersion, when set, returns a library scenario at a version
	// (a rehearsal's scenarioRef.version).
	ScenarioVersion func(name, version string) (*scenarios.Scenario, error)
	// MaxRehearsals is how many rehearsals run at once; 0 means
	// DefaultMaxRehearsals.
	MaxRehearsals int
	// Streaming, when set, is called whenever the number of WebSockets
	// streaming drills may have gone from none to some or back, with what
	// counts them now. Calls come from many goroutines at once and may
	// arrive out of order, so the callee counts under a lock of its own
	// rather than trust the order (see gctune.Tuner.Streaming, which
	// serve gives here). It is called with a lock of the hub held: it
	// must return quickly and not call the Server.
	Streaming func(streams func() int)
}

// Server is the drill room's HTTP server.
type Server struct {
	// rehearser runs rehearsals (nil: none on this server); rehearsing
	// are their places and reports.
	rehearser       *rehearse.Runner
	scenarioVersion func(name, version string) (*scenarios.Scenario, error)
	rehearsing      rehearsals
	maxRehearsals   int

	engine    Engine
	journal   Journal
	library   Library
	tokens    JoinTokens
	admin     AdminCredential
	oidc      *oidcAuth // nil without an identity provider
	links     IdentityLinks
	publicURL string
	clock     clock.WithTicker
	netClock  clock.WithTicker
	logger    *slog.Logger
	program   *program.Service
	surveyURL string
	ops       opsConfig

	hub      *Hub
	sessions *sessions
	limiter  *limiter
	writes   *limiter
	// facWrites is the facilitator's write bucket: five times a person's,
	// for setting a drill up (people, links, briefing, start) in one go.
	facWrites *limiter
	quota     int64
	// typeQuotas are the per-type quotas (see Config.TypeQuotas).
	typeQuotas map[string]int64
	// claimMu makes checking and appending a response-role claim one step.
	claimMu sync.Mutex
	rooms   *roomCache
	// publicSeqs numbers the events participants see.
	publicSeqs *publicSeqs
	records    *recordCache
	// retro runs the retros; it holds the record keys.
	retro   *retro.Service
	logins  *loginGuard
	proxies []netip.Prefix
	conns   sync.WaitGroup
	// pumps are the drills whose live events follow publishes (see
	// ensurePump); unfollow unregisters follow from the engine.
	pumpMu   sync.Mutex
	pumps    map[string]bool
	unfollow func()

	// studio is the scenario studio's catalog (nil: no studio);
	// studioOpts validate its scenarios, studioChecks limits each person's
	// validations and studioSlots how many run at once.
	studio       *Catalog
	studioOpts   []scenarios.Option
	studioChecks *limiter
	studioSlots  chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	mux    *http.ServeMux
}

// NewServer returns a Server. Call Close when done.
func NewServer(cfg Config) (*Server, error) {
	switch {
	case cfg.Engine == nil:
		return nil, fmt.Errorf("ui: Config.Engine is required")
	case cfg.Journal == nil:
		return nil, fmt.Errorf("ui: Config.Journal is required")
	case cfg.Library == nil && cfg.Studio == nil:
		return nil, fmt.Errorf("ui: Config.Library is required")
	case cfg.Tokens == nil:
		return nil, fmt.Errorf("ui: Config.Tokens is required")
	}
	if cfg.Library == nil {
		cfg.Library = cfg.Studio
	}
	if cfg.StudioCheckLimit.Burst <= 0 {
		cfg.StudioCheckLimit = DefaultStudioCheckLimit
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.NetClock == nil {
		cfg.NetClock = clock.RealClock{}
	}
	if cfg.SubscriberBuffer <= 0 {
		cfg.SubscriberBuffer = 256
	}
	if cfg.RateLimit.Burst <= 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.WriteLimit.Burst <= 0 {
		cfg.WriteLimit = cfg.RateLimit
	}
	if cfg.MaxRehearsals <= 0 {
		cfg.MaxRehearsals = DefaultMaxRehearsals
	}
	if cfg.DrillQuota <= 0 {
		cfg.DrillQuota = DefaultDrillQuota
	}
	if err := program.CheckSurveyTemplate(cfg.SurveyURL); err != nil {
		return nil, err
	}
	if err := cfg.OIDC.Check(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StaffIdle == 0 {
		cfg.StaffIdle = DefaultStaffIdle
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		engine:    cfg.Engine,
		journal:   cfg.Journal,
		library:   cfg.Library,
		tokens:    cfg.Tokens,
		admin:     cfg.Admin,
		links:     cfg.Links,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		clock:     cfg.Clock,
		netClock:  cfg.NetClock,
		logger:    cfg.Logger,
		program:   cfg.Program,
		surveyURL: cfg.SurveyURL,
		ops:       opsConfig{metrics: cfg.Metrics, token: cfg.MetricsToken, ready: cfg.Ready},
		hub:       NewHub(cfg.SubscriberBuffer),
		sessions:  newSessions(cfg.Clock, cfg.Sessions, cfg.StaffIdle),
		rehearser: cfg.Rehearsals, scenarioVersion: cfg.ScenarioVersion, maxRehearsals: cfg.MaxRehearsals,
		limiter:    newLimiter(cfg.Clock, cfg.RateLimit),
		writes:     newLimiter(cfg.Clock, cfg.WriteLimit),
		facWrites:  newLimiter(cfg.Clock, RateLimit{Burst: 5 * cfg.WriteLimit.Burst, Every: cfg.WriteLimit.Every / 5}),
		quota:      cfg.DrillQuota,
		typeQuotas: typeQuotas(cfg.TypeQuotas),
		ctx:        ctx,
		cancel:     cancel,
		pumps:      make(map[string]bool),

		studio:       cfg.Studio,
		studioChecks: newLimiter(cfg.Clock, cfg.StudioCheckLimit),
		studioSlots:  make(chan struct{}, studioChecksAtOnce),
	}
	s.hub.streaming = cfg.Streaming
	if cfg.Studio != nil {
		s.studioOpts = cfg.Studio.opts
	}
	if cfg.OIDC.Enabled() {
		s.oidc = newOIDCAuth(cfg.OIDC)
	}
	s.unfollow = cfg.Engine.FollowStreamed(s.follow, s.settled)
	s.rooms = newRoomCache(cfg.Journal)
	s.publicSeqs = newPublicSeqs(cfg.Journal)
	s.records = newRecordCache(cfg.Journal)
	s.retro = retro.NewService(cfg.Engine, cfg.Journal, cfg.RecordKeys)
	s.logins = newLoginGuard(cfg.Clock)
	s.proxies = cfg.TrustedProxies
	s.routes()
	if cfg.NudgeEvery == 0 {
		cfg.NudgeEvery = 15 * time.Second
	}
	if cfg.NudgeEvery > 0 {
		s.conns.Add(1)
		go s.runNudges(cfg.NudgeEvery)
	}
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return securityHeaders(s.mux) }

// HubStats returns the WebSocket hub's counters.
func (s *Server) HubStats() HubStats { return s.hub.Stats() }

// Close stops the running rehearsals (their drills aborted, every fault
// reverted, their reports kept), disconnects every browser and waits for
// their connections to end.
func (s *Server) Close() error {
	s.cancel()
	// Running rehearsals stop with the server: each aborts its drill
	// (every fault reverted) and keeps a report that says it was
	// interrupted, before the engine they need is closed after this.
	s.rehearsing.close()
	s.hub.Close()
	s.unfollow()
	s.conns.Wait()
	return nil
}

func (s *Server) logf(format string, args ...any) {
	s.logger.Error(fmt.Sprintf(format, args...))
}
