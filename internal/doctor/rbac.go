package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
)

// access is one permission in one namespace ("" cluster-wide or all
// namespaces).
type access struct {
	perm kubernetes.Permission
	ns   string
}

func (a access) where() string {
	switch {
	case a.perm.Scope == kubernetes.ScopeCluster:
		return "cluster-wide"
	case a.ns == "":
		return "in all namespaces"
	}
	return "in " + a.ns
}

// need is why an access is needed: by uses of the scenarios, or by the
// leftover scan.
type need struct {
	uses      []use
	leftovers bool
}

// checkRBAC asks the API server, with SelfSubjectAccessReview, for every
// permission the scenarios' faults and probes and the leftover scan need, as
// the user of the context, and names what is missing.
func checkRBAC(ctx context.Context, r *Report, cl *cluster, us uses, opts Options) {
	needs := map[access]*need{}
	add := func(a access) *need {
		n := needs[a]
		if n == nil {
			n = &need{}
			needs[a] = n
		}
		return n
	}
	var optedIn []string
	optedInErr := error(nil)
	for _, u := range us.list {
		var rows []kubernetes.Need
		var err error
		if u.probe {
			rows, err = kubernetes.ProbePermissions(injectors.Probe{Type: u.typ, Target: u.target, Params: u.params}, opts.Kubernetes.ServiceURLs)
		} else {
			rows, err = kubernetes.FaultPermissions(injectors.Fault{FaultID: u.fault, Type: u.typ, Target: u.target, Params: u.params})
		}
		if err != nil {
			r.add(Check{Section: SectionRBAC, Name: kubernetes.Name + "/" + u.typ, Status: Fail, Detail: injectors.ErrorMessage(err),
				Fix: "fix the scenario; check it with: firedrill validate --plugins FILE"})
			continue
		}
		for _, row := range rows {
			switch row.Scope {
			case kubernetes.ScopeTarget:
				if u.target.Namespace != "" {
					n := add(access{perm: row.Permission, ns: u.target.Namespace})
					n.uses = append(n.uses, u)
				}
			case kubernetes.ScopeOptedIn:
				if optedIn == nil && optedInErr == nil {
					optedIn, optedInErr = optedInNamespaces(ctx, cl)
				}
				for _, ns := range optedIn {
					n := add(access{perm: row.Permission, ns: ns})
					n.uses = append(n.uses, u)
				}
			default:
				n := add(access{perm: row.Permission})
				n.uses = append(n.uses, u)
			}
		}
	}
	if optedInErr != nil {
		r.add(Check{Section: SectionRBAC, Name: "opted-in namespaces", Status: Warn,
			Detail: "cannot list the opted-in namespaces, so node drains' evictions were not checked: " + oneLine(optedInErr.Error()),
			Fix:    "run doctor as a user that may list namespaces to check evictions in every opted-in namespace"})
	}
	for _, row := range kubernetes.LeftoverPermissions() {
		add(access{perm: row.Permission}).leftovers = true
	}

	accesses := make([]access, 0, len(needs))
	for a := range needs {
		accesses = append(accesses, a)
	}
	sort.Slice(accesses, func(i, j int) bool {
		a, b := accesses[i], accesses[j]
		if a.ns != b.ns {
			return a.ns < b.ns
		}
		return a.perm.String() < b.perm.String()
	})
	allowed, reasons, err := review(ctx, cl, accesses)
	if err != nil {
		r.add(Check{Section: SectionRBAC, Name: "access reviews", Status: Fail,
			Detail: "cannot ask the API server what firedrill may do: " + oneLine(err.Error()),
			Fix:    "grant create selfsubjectaccessreviews.authorization.k8s.io (ClusterRole firedrill in deploy/rbac.yaml: kubectl apply -f deploy/rbac.yaml)"})
		return
	}
	as := ""
	if cl.user != "" {
		as = " as " + cl.user
	}
	granted, leftoverMissing := 0, 0
	var missingLeftovers []string
	for i, a := range accesses {
		if allowed[i] {
			granted++
			continue
		}
		n := needs[a]
		reason := ""
		if reasons[i] != "" {
			reason = " (" + reasons[i] + ")"
		}
		if len(n.uses) > 0 {
			r.add(Check{Section: SectionRBAC, Name: whereName(a), Status: Fail,
				Detail: fmt.Sprintf("cannot %s %s%s: needed by %s%s", a.perm.String(), a.where(), as, neededBy(n.uses, us.multi), reason),
				Fix:    grantFix(a)})
			continue
		}
		leftoverMissing++
		missingLeftovers = append(missingLeftovers, a.perm.String())
	}
	if leftoverMissing > 0 {
		r.add(Check{Section: SectionRBAC, Name: "leftover scan", Status: Warn,
			Detail: fmt.Sprintf("cannot %s in all namespaces%s: the leftover scan cannot run", strings.Join(missingLeftovers, ", "), as),
			Fix:    "bind the ClusterRole firedrill-leftovers of deploy/rbac.yaml (kubectl apply -f deploy/rbac.yaml), or accept an unscanned cluster"})
	}
	if granted == len(accesses) {
		r.add(Check{Section: SectionRBAC, Name: "permissions", Status: OK,
			Detail: fmt.Sprintf("all %d permissions the scenarios and the leftover scan need are granted%s", granted, as)})
	} else if granted > 0 {
		r.add(Check{Section: SectionRBAC, Name: "permissions", Status: Info,
			Detail: fmt.Sprintf("%d of %d permissions needed are granted%s", granted, len(accesses), as)})
	}
}

func whereName(a access) string {
	switch {
	case a.perm.Scope == kubernetes.ScopeCluster:
		return "cluster"
	case a.ns == "":
		return "all namespaces"
	}
	return "namespace " + a.ns
}

func grantFix(a access) string {
	if a.perm.Scope == kubernetes.ScopeCluster || a.ns == "" {
		return "grant it with the ClusterRole firedrill of deploy/rbac.yaml: kubectl apply -f deploy/rbac.yaml"
	}
	return fmt.Sprintf("grant it in %s with the Role and RoleBinding firedrill-drill-target of deploy/rbac.yaml (set their metadata.namespace to %s, then kubectl apply -f)", a.ns, a.ns)
}

// optedInNamespaces lists the namespaces carrying the opt-in label.
func optedInNamespaces(ctx context.Context, cl *cluster) ([]string, error) {
	l, err := cl.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: kubernetes.DrillTargetLabel + "=true"})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l.Items))
	for _, n := range l.Items {
		out = append(out, n.Name)
	}
	return out, nil
}

// review asks one SelfSubjectAccessReview per access, a few at a time.
func review(ctx context.Context, cl *cluster, accesses []access) (allowed []bool, reasons []string, err error) {
	allowed = make([]bool, len(accesses))
	reasons = make([]string, len(accesses))
	errs := make([]error, len(accesses))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, a := range accesses {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := cl.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
				Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
					Namespace: a.ns, Verb: a.perm.Verb, Group: a.perm.Group, Resource: a.perm.Resource, Subresource: a.perm.Subresource,
				}},
			}, metav1.CreateOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			allowed[i] = res.Status.Allowed
			reasons[i] = res.Status.EvaluationError
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, nil, e
		}
	}
	return allowed, reasons, nil
}
