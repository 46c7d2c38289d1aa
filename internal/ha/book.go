package ha

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/firedrill/firedrill/control/guard"
)

// SecretBook keeps revert records in Secrets of one namespace: one Secret
// per drill, one key per fault. It implements guard.Book.
type SecretBook struct {
	cs        *Client
	namespace string
	lease     string

	// mu serializes the writes of this process; other processes are
	// ordered by resourceVersion.
	mu sync.Mutex
}

var _ guard.Book = (*SecretBook)(nil)

// NewSecretBook returns a book in namespace whose Secrets name the Lease
// "namespace/name" of the controller that writes them.
func NewSecretBook(cs *Client, namespace, lease string) *SecretBook {
	return &SecretBook{cs: cs, namespace: namespace, lease: lease}
}

// SecretName is the name of the records Secret of a drill.
func SecretName(drillID string) string {
	n := "firedrill-records-" + strings.ToLower(drillID)
	if len(n) > 253 || !dnsName.MatchString(n) {
		sum := sha256.Sum256([]byte(drillID))
		n = "firedrill-records-" + hex.EncodeToString(sum[:12])
	}
	return n
}

var (
	dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`)
	keyName = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// dataKey is the Secret key of a fault.
func dataKey(faultID string) string {
	if len(faultID) < 200 && keyName.MatchString(faultID) {
		return "fault." + faultID
	}
	sum := sha256.Sum256([]byte(faultID))
	return "fault-sha." + hex.EncodeToString(sum[:16])
}

// Keep stores e in its drill's Secret.
func (b *SecretBook) Keep(ctx context.Context, e guard.Entry) error {
	val, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return b.update(ctx, e.DrillID, func(s *secret) bool {
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		s.Data[dataKey(e.FaultID)] = val
		return true
	})
}

// Forget removes the fault's key, and the Secret with its last key.
func (b *SecretBook) Forget(ctx context.Context, drillID, faultID string) error {
	return b.update(ctx, drillID, func(s *secret) bool {
		k := dataKey(faultID)
		if _, ok := s.Data[k]; !ok {
			return false
		}
		delete(s.Data, k)
		return true
	})
}

// update applies fn to the drill's Secret (created when missing) and
// writes it back, deleting it when fn leaves no key; it retries when
// another writer got in between.
func (b *SecretBook) update(ctx context.Context, drillID string, fn func(*secret) bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	name := SecretName(drillID)
	for attempt := 0; ; attempt++ {
		s, err := b.cs.getSecret(ctx, b.namespace, name)
		create := isNotFound(err)
		if err != nil && !create {
			return fmt.Errorf("read records secret %s/%s: %w", b.namespace, name, err)
		}
		if create {
			s = &secret{objectMeta: objectMeta{
				Name: name, Namespace: b.namespace,
				Labels:      map[string]string{RecordsLabel: "true", "app.kubernetes.io/managed-by": "firedrill"},
				Annotations: map[string]string{LeaseAnnotation: b.lease, DrillAnnotation: drillID},
			}, Type: secretTypeOpaque}
		}
		if !fn(s) {
			return nil
		}
		switch {
		case len(s.Data) == 0 && create:
			return nil
		case len(s.Data) == 0:
			rv := s.ResourceVersion
			err = b.cs.deleteSecret(ctx, b.namespace, name, rv)
			if isNotFound(err) {
				return nil
			}
		case create:
			err = b.cs.createSecret(ctx, s)
			if isAlreadyExists(err) {
				// Another writer created it first: read it again.
				err = &StatusError{Code: http.StatusConflict, Reason: "Conflict", Message: err.Error()}
			}
		default:
			if s.Annotations == nil {
				s.Annotations = map[string]string{}
			}
			s.Annotations[LeaseAnnotation] = b.lease
			err = b.cs.updateSecret(ctx, s)
		}
		if isConflict(err) && attempt < 20 {
			continue
		}
		if err != nil {
			return fmt.Errorf("write records secret %s/%s: %w", b.namespace, name, err)
		}
		return nil
	}
}

// Entries lists every entry of every records Secret of the namespace.
func (b *SecretBook) Entries(ctx context.Context) ([]guard.Entry, error) {
	sets, err := ListRecords(ctx, b.cs, b.namespace)
	if err != nil {
		return nil, err
	}
	var out []guard.Entry
	for _, s := range sets {
		out = append(out, s.Entries...)
	}
	return out, nil
}

// DrillRecords are the records Secret of one drill.
type DrillRecords struct {
	// Secret is the Secret's name.
	Secret  string
	DrillID string
	// Lease is the "namespace/name" of the Lease of the controller that
	// wrote the Secret last.
	Lease   string
	Entries []guard.Entry
	// Broken are keys that hold no readable entry.
	Broken []string
}

// ListRecords reads every records Secret of namespace, ordered by drill.
func ListRecords(ctx context.Context, cs *Client, namespace string) ([]DrillRecords, error) {
	list, err := cs.listSecrets(ctx, namespace, RecordsLabel+"=true")
	if err != nil {
		return nil, fmt.Errorf("list revert records in namespace %s: %w", namespace, err)
	}
	var out []DrillRecords
	for _, s := range list.Items {
		dr := DrillRecords{Secret: s.Name, DrillID: s.Annotations[DrillAnnotation], Lease: s.Annotations[LeaseAnnotation]}
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var e guard.Entry
			if err := json.Unmarshal(s.Data[k], &e); err != nil || e.FaultID == "" || len(e.Record) == 0 {
				dr.Broken = append(dr.Broken, k)
				continue
			}
			dr.Entries = append(dr.Entries, e)
		}
		out = append(out, dr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DrillID < out[j].DrillID })
	return out, nil
}
