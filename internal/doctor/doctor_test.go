package doctor_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/doctor"
)

func TestConfiguration(t *testing.T) {
	emptyKubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(emptyKubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dead := clustertest.Cluster(t).RESTConfig()
	dead.Host = "https://127.0.0.1:1"
	tests := []struct {
		name       string
		cfg        kubernetes.Config
		wantCheck  string
		wantStatus doctor.Status
		wantDetail string
		wantFix    string
	}{
		{name: "allowed context: ok with the server version and the user",
			cfg:       kubernetes.Config{Rest: clustertest.Cluster(t).RESTConfig(), Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}},
			wantCheck: "API server", wantStatus: doctor.OK, wantDetail: " at https://127.0.0.1:"},
		{name: "context not allowed: fails naming kubernetes.allowedContexts",
			cfg:       kubernetes.Config{Rest: clustertest.Cluster(t).RESTConfig(), Context: devcluster.ContextName, AllowedContexts: []string{"beta"}},
			wantCheck: "context", wantStatus: doctor.Fail, wantDetail: "context firedrill-dev is not in kubernetes.allowedContexts (beta)",
			wantFix: "if firedrill-dev is the beta cluster, add it in firedrill.yaml: kubernetes: {allowedContexts: [firedrill-dev]}"},
		{name: "no context anywhere: fails saying where to set one",
			cfg:       kubernetes.Config{Kubeconfig: emptyKubeconfig, AllowedContexts: []string{devcluster.ContextName}},
			wantCheck: "context", wantStatus: doctor.Fail, wantDetail: "no Kubernetes context is configured",
			wantFix: "set kubernetes.context in firedrill.yaml (or --context NAME)"},
		{name: "context missing from the kubeconfig: fails with the kubeconfig error",
			cfg:       kubernetes.Config{Kubeconfig: emptyKubeconfig, Context: "beta", AllowedContexts: []string{"beta"}},
			wantCheck: "kubeconfig", wantStatus: doctor.Fail, wantDetail: `context "beta" is not in the kubeconfig`,
			wantFix: "kubectl config get-contexts"},
		{name: "API server not answering: fails with the kubectl command to try",
			cfg:       kubernetes.Config{Rest: dead, Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}},
			wantCheck: "API server", wantStatus: doctor.Fail, wantDetail: "https://127.0.0.1:1 did not answer",
			wantFix: "kubectl --context firedrill-dev version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doctor.Run(context.Background(), doctor.Options{Kubernetes: kube(tt.cfg)})
			cs := r.Find(doctor.SectionConfig, tt.wantCheck)
			if len(cs) != 1 {
				t.Fatalf("no single %q check:\n%s", tt.wantCheck, dump(r))
			}
			c := cs[0]
			if c.Status != tt.wantStatus || !strings.Contains(c.Detail, tt.wantDetail) || !strings.Contains(c.Fix, tt.wantFix) {
				t.Errorf("check = %+v\nwant status %s, detail with %q, fix with %q", c, tt.wantStatus, tt.wantDetail, tt.wantFix)
			}
			if tt.wantStatus == doctor.Fail {
				if !r.Failed() {
					t.Error("report with a failed check does not fail")
				}
				for _, s := range []doctor.Section{doctor.SectionRBAC, doctor.SectionLeftovers} {
					for _, c := range r.Checks {
						if c.Section == s && c.Status != doctor.Skip {
							t.Errorf("%s ran without a cluster: %+v", s, c)
						}
					}
				}
			}
		})
	}
}

func TestScenarioTargets(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the namespace the scenario targets.
		setup     func(t *testing.T) string
		wantCheck func(ns string) string
		// want is the status of the check; detail and fix must contain the
		// strings (NS is replaced by the namespace).
		wantStatus doctor.Status
		wantDetail string
		wantFix    string
		// wantNoFail: the scenarios section has no failure.
		wantNoFail bool
		// file is the scenario in testdata; default api-down.yaml.
		file string
	}{
		{name: "opted-in namespace with its objects: passes",
			setup:      func(t *testing.T) string { ns := clustertest.Namespace(t); installApp(t, ns); return ns },
			wantCheck:  func(string) string { return "targets" },
			wantStatus: doctor.OK, wantDetail: "3 target objects exist", wantNoFail: true},
		{name: "opted-in namespace: the namespace check passes",
			setup:      func(t *testing.T) string { ns := clustertest.Namespace(t); installApp(t, ns); return ns },
			wantCheck:  func(ns string) string { return "namespace " + ns },
			wantStatus: doctor.OK, wantDetail: "exists and is opted in (firedrill.dev/drill-target=true)", wantNoFail: true},
		{name: "namespace without the opt-in label: fails with the kubectl label fix",
			setup:      func(t *testing.T) string { ns := clustertest.PlainNamespace(t); installApp(t, ns); return ns },
			wantCheck:  func(ns string) string { return "namespace " + ns },
			wantStatus: doctor.Fail,
			wantDetail: "is not opted in to drills: no label firedrill.dev/drill-target=true (needed by kubernetes/configmap-key (fault api-down, hard); kubernetes/cronjob-suspend (fault jobs-stopped, hard/medium/easy); kubernetes/scale (fault api-down, medium/easy))",
			wantFix:    "kubectl --context firedrill-dev label namespace NS firedrill.dev/drill-target=true --overwrite"},
		{name: "namespace that does not exist: fails with create and label",
			setup:      func(t *testing.T) string { return "no-such-namespace" },
			wantCheck:  func(ns string) string { return "namespace " + ns },
			wantStatus: doctor.Fail, wantDetail: "does not exist in context firedrill-dev",
			wantFix: "kubectl --context firedrill-dev create namespace no-such-namespace"},
		{name: "kube-system: fails as protected",
			setup:      func(t *testing.T) string { return "kube-system" },
			wantCheck:  func(ns string) string { return "namespace " + ns },
			wantStatus: doctor.Fail, wantDetail: "kube-system is protected: firedrill never acts in kube-system, kube-public, kube-node-lease",
			wantFix: "target an application namespace"},
		{name: "target Deployment missing: warns, the drill would fail to inject",
			setup:      func(t *testing.T) string { return clustertest.Namespace(t) },
			wantCheck:  func(ns string) string { return "deployment " + ns + "/api" },
			wantStatus: doctor.Warn, wantDetail: "does not exist in context firedrill-dev (needed by kubernetes/configmap-key (fault api-down, hard); kubernetes/scale (fault api-down, medium/easy))",
			wantFix: "create it before the drill", wantNoFail: true},
		{name: "target CronJob missing: warns naming the fault at every difficulty",
			setup:      func(t *testing.T) string { return clustertest.Namespace(t) },
			wantCheck:  func(ns string) string { return "cronjob " + ns + "/settle" },
			wantStatus: doctor.Warn, wantDetail: "(needed by kubernetes/cronjob-suspend (fault jobs-stopped, hard/medium/easy))", wantNoFail: true},
		{name: "node not opted in: fails with the kubectl label node fix",
			file:       "node-and-pods.yaml",
			setup:      func(t *testing.T) string { return clustertest.Namespace(t) },
			wantCheck:  func(string) string { return "node kwok-node-0" },
			wantStatus: doctor.Fail, wantDetail: "is not opted in to drills: no label firedrill.dev/drill-target=true (needed by kubernetes/node-cordon (fault node-drained))",
			wantFix: "kubectl --context firedrill-dev label node kwok-node-0 firedrill.dev/drill-target=true"},
		{name: "no pod matches a pod-delete selector: warns",
			file:       "node-and-pods.yaml",
			setup:      func(t *testing.T) string { return clustertest.Namespace(t) },
			wantCheck:  func(ns string) string { return "pods " + ns + " app=worker" },
			wantStatus: doctor.Warn, wantDetail: "no pod matches (needed by kubernetes/pod-delete (fault pods-gone))",
			wantFix: "fix target.selector in the scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := tt.setup(t)
			file := tt.file
			if file == "" {
				file = "api-down.yaml"
			}
			r := doctor.Run(context.Background(), options(t, nil, writeScenario(t, file, ns)))
			cs := r.Find(doctor.SectionScenarios, tt.wantCheck(ns))
			if len(cs) != 1 {
				t.Fatalf("no single %q check:\n%s", tt.wantCheck(ns), dump(r))
			}
			c := cs[0]
			detail, fix := strings.ReplaceAll(tt.wantDetail, "NS", ns), strings.ReplaceAll(tt.wantFix, "NS", ns)
			if c.Status != tt.wantStatus || !strings.Contains(c.Detail, detail) || !strings.Contains(c.Fix, fix) {
				t.Errorf("check = %+v\nwant status %s, detail with %q, fix with %q", c, tt.wantStatus, detail, fix)
			}
			if f := failures(r, doctor.SectionScenarios); tt.wantNoFail && len(f) > 0 {
				t.Errorf("scenario failures: %v", f)
			}
		})
	}
}

func TestRBAC(t *testing.T) {
	rb := readRBAC(t)
	var allClusterRoles []rbacv1.ClusterRole
	for _, cr := range rb.clusterRoles {
		allClusterRoles = append(allClusterRoles, cr)
	}
	var coreRules []rbacv1.PolicyRule
	for _, rule := range rb.role.Rules {
		if slices.Equal(rule.APIGroups, []string{""}) {
			coreRules = append(coreRules, rule)
		}
	}
	tests := []struct {
		name         string
		clusterRoles []rbacv1.ClusterRole
		roleRules    []rbacv1.PolicyRule
		// wantMissing are the failed RBAC checks as "cannot VERB RESOURCE
		// in NS"; wantDetails are full details (USER and NS replaced).
		wantMissing      []string
		wantDetails      []string
		wantLeftoverWarn bool
	}{
		{name: "all of deploy/base/rbac.yaml bound: every permission granted",
			clusterRoles: allClusterRoles, roleRules: rb.role.Rules},
		{name: "only the core-group rules and the base ClusterRole bound: the missing permissions named exactly",
			clusterRoles: []rbacv1.ClusterRole{rb.clusterRoles["firedrill"]}, roleRules: coreRules,
			wantMissing: []string{
				"cannot get cronjobs.batch in NS", "cannot get deployments.apps in NS",
				"cannot get replicasets.apps in NS", "cannot list replicasets.apps in NS",
				"cannot update cronjobs.batch in NS", "cannot update deployments.apps in NS",
				"cannot update replicasets.apps in NS",
			},
			wantDetails: []string{
				"cannot update cronjobs.batch in NS as USER: needed by kubernetes/cronjob-suspend (fault jobs-stopped, hard/medium/easy)",
				"cannot update deployments.apps in NS as USER: needed by kubernetes/configmap-key (fault api-down, hard); kubernetes/scale (fault api-down, medium/easy)",
				"cannot get deployments.apps in NS as USER: needed by kubernetes/configmap-key (fault api-down, hard); kubernetes/deployment-available (probe of fault api-down, hard/medium/easy); kubernetes/scale (fault api-down, medium/easy)",
			},
			wantLeftoverWarn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := clustertest.Namespace(t)
			installApp(t, ns)
			rc, user := clustertest.ServiceAccount(t, ns, tt.clusterRoles, tt.roleRules)
			r := doctor.Run(context.Background(), options(t, rc, writeScenario(t, "api-down.yaml", ns)))
			var missing, details []string
			for _, c := range r.Checks {
				if c.Section == doctor.SectionRBAC && c.Status == doctor.Fail {
					before, _, _ := strings.Cut(c.Detail, " as ")
					missing = append(missing, before)
					details = append(details, c.Detail)
					if !strings.Contains(c.Fix, "deploy/base/rbac.yaml") {
						t.Errorf("fix %q does not point to deploy/base/rbac.yaml", c.Fix)
					}
				}
			}
			slices.Sort(missing)
			want := make([]string, len(tt.wantMissing))
			for i, w := range tt.wantMissing {
				want[i] = strings.ReplaceAll(w, "NS", ns)
			}
			if !slices.Equal(missing, want) {
				t.Errorf("missing permissions =\n  %s\nwant\n  %s\n%s", strings.Join(missing, "\n  "), strings.Join(want, "\n  "), dump(r))
			}
			for _, w := range tt.wantDetails {
				w = strings.ReplaceAll(strings.ReplaceAll(w, "USER", user), "NS", ns)
				if !slices.Contains(details, w) {
					t.Errorf("no RBAC failure %q in\n  %s", w, strings.Join(details, "\n  "))
				}
			}
			leftoverWarn := len(r.Find(doctor.SectionRBAC, "leftover scan")) > 0
			if leftoverWarn != tt.wantLeftoverWarn {
				t.Errorf("leftover scan warning = %v, want %v\n%s", leftoverWarn, tt.wantLeftoverWarn, dump(r))
			}
			if len(tt.wantMissing) == 0 {
				ok := r.Find(doctor.SectionRBAC, "permissions")
				if len(ok) != 1 || ok[0].Status != doctor.OK || !strings.Contains(ok[0].Detail, "are granted as "+user) {
					t.Errorf("no ok permissions check as %s:\n%s", user, dump(r))
				}
				if f := failures(r, doctor.SectionScenarios); len(f) > 0 {
					t.Errorf("scenario checks failed as the ServiceAccount: %v", f)
				}
			}
		})
	}
}

// impersonate returns the dev cluster's config acting as user.
func impersonate(t *testing.T, user string) *rest.Config {
	rc := clustertest.Cluster(t).RESTConfig()
	rc.Impersonate = rest.ImpersonationConfig{UserName: user}
	return rc
}

func TestRBACOfAUserWithoutAnyGrant(t *testing.T) {
	ns := clustertest.Namespace(t)
	installApp(t, ns)
	// A user with no binding at all still may create access reviews (the
	// cluster's system:basic-user role): everything is reported missing.
	r := doctor.Run(context.Background(), options(t, impersonate(t, "nobody@example.com"), writeScenario(t, "api-down.yaml", ns)))
	f := failures(r, doctor.SectionRBAC)
	if len(f) == 0 || !r.Failed() {
		t.Fatalf("a user without any grant passes RBAC:\n%s", dump(r))
	}
	for _, line := range f {
		if !strings.Contains(line, "as nobody@example.com: needed by kubernetes/") {
			t.Errorf("failure %q does not say who lacks it and what needs it", line)
		}
	}
}

func TestScenarioWhoseParamsAreNotJSON_FailsNamingTheFault(t *testing.T) {
	files := doctor.LoadScenarios(nil, []string{writeScenario(t, "api-down.yaml", "shop")})
	if files[0].Err != nil {
		t.Fatal(files[0].Err)
	}
	files[0].Scenario.Faults[0].Params["replicas"] = math.NaN()
	emptyKubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(emptyKubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := doctor.Run(context.Background(), doctor.Options{
		Kubernetes: kube(kubernetes.Config{Kubeconfig: emptyKubeconfig, AllowedContexts: []string{devcluster.ContextName}}),
		Scenarios:  files,
	})
	cs := r.Find(doctor.SectionScenarios, "scenario api-down")
	if len(cs) == 0 {
		t.Fatalf("no check of the scenario:\n%s", dump(r))
	}
	for _, c := range cs {
		if c.Status != doctor.Fail || !strings.Contains(c.Detail, "fault api-down: params cannot be written as JSON") {
			t.Errorf("check = %+v, want only failures naming fault api-down's params", c)
		}
	}
}
