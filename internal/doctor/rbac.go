package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// where says where a is needed, for messages.
func where(a catalog.Access) string {
	switch {
	case a.Permission.Scope == catalog.ScopeCluster:
		return "cluster-wide"
	case a.Namespace == "":
		return "in all namespaces"
	}
	return "in " + a.Namespace
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
	needs := map[catalog.Access]*need{}
	add := func(a catalog.Access) *need {
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
		var rows []catalog.Need
		var err error
		if u.probe {
			rows, err = catalog.ProbePermissions(injectors.Probe{Type: u.typ, Target: u.target, Params: u.params}, opts.Kubernetes.ServiceURLs)
		} else {
			rows, err = catalog.FaultPermissions(injectors.Fault{FaultID: u.fault, Type: u.typ, Target: u.target, Params: u.params})
		}
		if err != nil {
			r.add(Check{Section: SectionRBAC, Name: catalog.Name + "/" + u.typ, Status: Fail, Detail: injectors.ErrorMessage(err),
				Fix: "fix the scenario; check it with: firedrill validate --plugins FILE"})
			continue
		}
		for _, row := range rows {
			switch row.Scope {
			case catalog.ScopeTarget:
				if u.target.Namespace != "" {
					n := add(catalog.Access{Permission: row.Permission, Namespace: u.target.Namespace})
					n.uses = append(n.uses, u)
				}
			case catalog.ScopeOptedIn:
				if optedIn == nil && optedInErr == nil {
					optedIn, optedInErr = cl.in.OptedInNamespaces(ctx)
				}
				for _, ns := range optedIn {
					n := add(catalog.Access{Permission: row.Permission, Namespace: ns})
					n.uses = append(n.uses, u)
				}
			default:
				n := add(catalog.Access{Permission: row.Permission})
				n.uses = append(n.uses, u)
			}
		}
	}
	if optedInErr != nil {
		r.add(Check{Section: SectionRBAC, Name: "opted-in namespaces", Status: Warn,
			Detail: "cannot list the opted-in namespaces, so node drains' evictions were not checked: " + oneLine(optedInErr.Error()),
			Fix:    "run doctor as a user that may list namespaces to check evictions in every opted-in namespace"})
	}
	for _, row := range catalog.LeftoverPermissions() {
		add(catalog.Access{Permission: row.Permission}).leftovers = true
	}

	accesses := make([]catalog.Access, 0, len(needs))
	for a := range needs {
		accesses = append(accesses, a)
	}
	sort.Slice(accesses, func(i, j int) bool {
		a, b := accesses[i], accesses[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Permission.String() < b.Permission.String()
	})
	answers, err := cl.in.ReviewAccess(ctx, accesses)
	if err != nil {
		r.add(Check{Section: SectionRBAC, Name: "access reviews", Status: Fail,
			Detail: "cannot ask the API server what firedrill may do: " + oneLine(err.Error()),
			Fix:    "grant create selfsubjectaccessreviews.authorization.k8s.io (ClusterRole firedrill in deploy/base/rbac.yaml: kubectl apply -f deploy/base/rbac.yaml)"})
		return
	}
	as := ""
	if cl.user != "" {
		as = " as " + cl.user
	}
	granted, leftoverMissing := 0, 0
	var missingLeftovers []string
	for i, a := range accesses {
		if answers[i].Allowed {
			granted++
			continue
		}
		n := needs[a]
		reason := ""
		if answers[i].Reason != "" {
			reason = " (" + answers[i].Reason + ")"
		}
		if len(n.uses) > 0 {
			r.add(Check{Section: SectionRBAC, Name: whereName(a), Status: Fail,
				Detail: fmt.Sprintf("cannot %s %s%s: needed by %s%s", a.Permission.String(), where(a), as, neededBy(n.uses, us.multi), reason),
				Fix:    grantFix(a)})
			continue
		}
		leftoverMissing++
		missingLeftovers = append(missingLeftovers, a.Permission.String())
	}
	if leftoverMissing > 0 {
		r.add(Check{Section: SectionRBAC, Name: "leftover scan", Status: Warn,
			Detail: fmt.Sprintf("cannot %s in all namespaces%s: the leftover scan cannot run", strings.Join(missingLeftovers, ", "), as),
			Fix:    "bind the ClusterRole firedrill-leftovers of deploy/base/rbac.yaml (kubectl apply -f deploy/base/rbac.yaml), or accept an unscanned cluster"})
	}
	if granted == len(accesses) {
		r.add(Check{Section: SectionRBAC, Name: "permissions", Status: OK,
			Detail: fmt.Sprintf("all %d permissions the scenarios and the leftover scan need are granted%s", granted, as)})
	} else if granted > 0 {
		r.add(Check{Section: SectionRBAC, Name: "permissions", Status: Info,
			Detail: fmt.Sprintf("%d of %d permissions needed are granted%s", granted, len(accesses), as)})
	}
}

func whereName(a catalog.Access) string {
	switch {
	case a.Permission.Scope == catalog.ScopeCluster:
		return "cluster"
	case a.Namespace == "":
		return "all namespaces"
	}
	return "namespace " + a.Namespace
}

func grantFix(a catalog.Access) string {
	if a.Permission.Scope == catalog.ScopeCluster || a.Namespace == "" {
		return "grant it with the ClusterRole firedrill of deploy/base/rbac.yaml: kubectl apply -f deploy/base/rbac.yaml"
	}
	return fmt.Sprintf("grant it in %s with the Role and RoleBinding firedrill-drill-target of deploy/base/rbac.yaml (set their metadata.namespace to %s, then kubectl apply -f)", a.Namespace, a.Namespace)
}
