// Package testidp runs a real OpenID Connect provider inside a test process:
// zitadel/oidc's provider package with its example storage and login page,
// serving test users and their groups on a free loopback port. Tokens are
// signed with a fresh RSA key and validated by the code under test exactly
// as a production provider's would be.
//
// Faults of a broken or hostile provider can be switched on (an expired ID
// token, a token for another audience, a nonce the client did not send) to
// check that the client refuses them.
package testidp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/text/language"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a test user of the provider.
type User struct {
	// ID is the user's subject; Username and Password sign in on the login
	// page.
	ID, Username, Password string
	// GivenName and FamilyName make the name claim.
	GivenName, FamilyName string
	Email                 string
	// Groups are sent in the groups claim of the ID token.
	Groups []string
}

// Client is the one OAuth client the provider knows; its redirect URL is
// set with SetRedirectURL once the client's server listens.
type Client struct {
	ID, Secret string
}

// Fault is a way the provider misbehaves.
type Fault int

// Faults.
const (
	// NoFault issues correct tokens.
	NoFault Fault = iota
	// ExpiredToken issues ID tokens that expired an hour ago.
	ExpiredToken
	// WrongAudience issues ID tokens for another client.
	WrongAudience
	// ForgedNonce issues ID tokens with a nonce the client did not send.
	ForgedNonce
)

// IdP is a running provider.
type IdP struct {
	// Issuer is the provider's issuer URL, http://127.0.0.1:<port>.
	Issuer string
	srv    *http.Server
	st     *store

	mu       sync.Mutex
	fault    Fault
	redirect string
}

// SetRedirectURL registers the client's redirect URL.
func (p *IdP) SetRedirectURL(u string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirect = u
}

// Start runs a provider for the client and users until ctx ends or Close
// is called.
func Start(c Client, users []User) (*IdP, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("test provider: listen: %w", err)
	}
	idp := &IdP{Issuer: "http://" + l.Addr().String()}
	us := userStore{users: map[string]*storage.User{}, groups: map[string][]string{}}
	for _, u := range users {
		us.users[u.ID] = &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.GivenName,
			LastName: u.FamilyName, Email: u.Email, EmailVerified: true, PreferredLanguage: language.English}
		us.groups[u.ID] = slices.Clone(u.Groups)
	}
	client := storage.WebClient(c.ID, c.Secret, "http://unset.invalid/callback")
	idp.st = &store{Storage: storage.NewStorageWithClients(us, map[string]*storage.Client{c.ID: client}), users: us, idp: idp}
	router := exampleop.SetupServer(idp.Issuer, idp.st, nil, false)
	idp.srv = &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = idp.srv.Serve(l) }()
	return idp, nil
}

// SetFault makes the provider misbehave from now on (NoFault heals it).
func (p *IdP) SetFault(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

func (p *IdP) currentFault() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault
}

// Close stops the provider.
func (p *IdP) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// userStore is the example storage's user store over the test users.
type userStore struct {
	users  map[string]*storage.User
	groups map[string][]string
}

func (u userStore) GetUserByID(id string) *storage.User { return u.users[id] }

func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, us := range u.users {
		if us.Username == name {
			return us
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return storage.ServiceUserID }

// store is the example storage with the groups claim and the faults.
type store struct {
	*storage.Storage
	users userStore
	idp   *IdP
}

// SetUserinfoFromRequest adds the profile and the groups claim to every ID
// token, as providers configured with a groups mapper do.
func (s *store) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	u := s.users.GetUserByID(req.GetSubject())
	if u == nil {
		return fmt.Errorf("user %q not found", req.GetSubject())
	}
	ui.Name = u.FirstName + " " + u.LastName
	ui.PreferredUsername = u.Username
	ui.Email = u.Email
	ui.AppendClaims("groups", s.users.groups[u.ID])
	return nil
}

// CreateAuthRequest stores the request; with ForgedNonce it stores another
// nonce than the client sent.
func (s *store) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	if s.idp.currentFault() == ForgedNonce {
		forged := *req
		forged.Nonce = "forged-" + req.Nonce
		req = &forged
	}
	return s.Storage.CreateAuthRequest(ctx, req, userID)
}

// AuthRequestByCode returns the request of a code; with WrongAudience its
// tokens are issued for another client.
func (s *store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil || s.idp.currentFault() != WrongAudience {
		return r, err
	}
	return otherAudience{r}, nil
}

type otherAudience struct{ op.AuthRequest }

func (otherAudience) GetAudience() []string { return []string{"another-app"} }

func (otherAudience) GetClientID() string { return "another-app" }

// GetClientByClientID returns the client; with ExpiredToken its ID tokens
// have expired when they are issued, with WrongAudience they are issued
// for another client (the secret of ours still authenticates the
// exchange).
func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return c, err
	}
	s.idp.mu.Lock()
	defer s.idp.mu.Unlock()
	cl := client{Client: c, redirect: s.idp.redirect, expired: s.idp.fault == ExpiredToken, id: c.GetID()}
	if s.idp.fault == WrongAudience {
		cl.id = "another-app"
	}
	return cl, nil
}

// client is the registered client with its redirect URL and, with
// ExpiredToken, ID tokens that have expired when they are issued.
type client struct {
	op.Client
	redirect string
	expired  bool
	id       string
}

func (c client) GetID() string { return c.id }

func (c client) RedirectURIs() []string { return []string{c.redirect} }

func (c client) IDTokenLifetime() time.Duration {
	if c.expired {
		return -time.Hour
	}
	return c.Client.IDTokenLifetime()
}
