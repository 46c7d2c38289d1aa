package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/firedrill/firedrill/injectors"
)

// probeType is one probe of the catalog.
type probeType struct {
	name   string
	params func() any
	run    func(ctx context.Context, in *Injector, p injectors.Probe, params any) (injectors.ProbeResult, error)
}

type (
	deploymentAvailableParams struct {
		MinAvailable *int32 `json:"minAvailable"`
	}
	podStatusParams struct {
		Phase                string `json:"phase"`
		MinPods              *int   `json:"minPods"`
		MaxRestarts          *int32 `json:"maxRestarts"`
		MaxRestartsPerMinute *int   `json:"maxRestartsPerMinute"`
		RequireReady         *bool  `json:"requireReady"`
	}
	endpointsParams struct {
		MinReady *int `json:"minReady"`
	}
	deploymentStateParams struct {
		Pods bool `json:"pods"`
	}
	httpGetParams struct {
		URL          string `json:"url"`
		Path         string `json:"path"`
		Port         any    `json:"port"`
		ExpectStatus int    `json:"expectStatus"`
		ExpectBody   string `json:"expectBody"`
		MaxLatencyMs int64  `json:"maxLatencyMs"`
		TimeoutMs    int64  `json:"timeoutMs"`
	}
)

var probeTypes = []probeType{
	{name: "deployment-available", params: func() any { return &deploymentAvailableParams{} }, run: probeDeploymentAvailable},
	{name: "pod-status", params: func() any { return &podStatusParams{} }, run: probePodStatus},
	{name: "endpoints", params: func() any { return &endpointsParams{} }, run: probeEndpoints},
	{name: "deployment-state", params: func() any { return &deploymentStateParams{} }, run: probeDeploymentState},
	{name: "http-get", params: func() any { return &httpGetParams{} }, run: probeHTTPGet},
}

// Probe evaluates a check. A failing check is a result with OK false and a
// detail; an error means the check could not be evaluated (bad params,
// refused target, API unreachable).
func (in *Injector) Probe(ctx context.Context, p injectors.Probe) (injectors.ProbeResult, error) {
	var pt *probeType
	for i := range probeTypes {
		if probeTypes[i].name == p.Type {
			pt = &probeTypes[i]
		}
	}
	if pt == nil {
		names := make([]string, len(probeTypes))
		for i, t := range probeTypes {
			names[i] = t.name
		}
		return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "probe type %q is not a kubernetes probe type, expected one of %s", p.Type, strings.Join(names, ", "))
	}
	params := pt.params()
	if err := decodeParams(p.Type, p.Params, params); err != nil {
		return injectors.ProbeResult{}, err
	}
	if hp, ok := params.(*httpGetParams); !ok || hp.URL == "" {
		if err := in.ready(); err != nil {
			return injectors.ProbeResult{}, err
		}
		// Probes only read, so the opt-in label is not required; protected
		// namespaces are still refused.
		if err := in.checkNamespace(ctx, p.Target.Namespace, false); err != nil {
			return injectors.ProbeResult{}, err
		}
	}
	return pt.run(ctx, in, p, params)
}

func probeDeploymentAvailable(ctx context.Context, in *Injector, p injectors.Probe, params any) (injectors.ProbeResult, error) {
	dp := params.(*deploymentAvailableParams)
	if p.Target.Name == "" {
		return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "target.name: the Deployment to check is required")
	}
	d, err := in.cs.AppsV1().Deployments(p.Target.Namespace).Get(ctx, p.Target.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return injectors.ProbeResult{OK: false, Detail: fmt.Sprintf("Deployment %s/%s does not exist", p.Target.Namespace, p.Target.Name)}, nil
	} else if err != nil {
		return injectors.ProbeResult{}, fmt.Errorf("probe deployment-available: %w", err)
	}
	return deploymentAvailability(d, dp.MinAvailable), nil
}

// deploymentAvailability judges a Deployment's status. Right after a scale
// to zero the status still counts the old replicas as available — before
// the controller observed the change (its observedGeneration is behind the
// generation), and after, until the pods are gone — which would resolve the
// fault that scaled it the moment it was injected. So a status not yet
// written for the latest spec never passes, and replicas above the desired
// count do not count towards minAvailable.
func deploymentAvailability(d *appsv1.Deployment, minAvailable *int32) injectors.ProbeResult {
	desired := int32(1)
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	st := d.Status
	detail := fmt.Sprintf("%d of %d replicas available, %d updated", st.AvailableReplicas, desired, st.UpdatedReplicas)
	if old := st.Replicas - st.UpdatedReplicas; old > 0 {
		detail += fmt.Sprintf(", %d old replicas still running (rollout not finished)", old)
	}
	observed := st.ObservedGeneration >= d.Generation
	if !observed {
		detail += " (status not yet updated for the latest change)"
	}
	if minAvailable != nil {
		// Replicas above the desired count are being scaled away: after a
		// scale to zero the status may count the old pods for a while.
		available := min(st.AvailableReplicas, desired)
		return injectors.ProbeResult{OK: observed && available >= *minAvailable, Detail: fmt.Sprintf("%s (want at least %d available)", detail, *minAvailable)}
	}
	// As kubectl rollout status: all updated, no old replicas left, and
	// the updated ones available.
	ok := desired > 0 && st.UpdatedReplicas >= desired && st.Replicas <= st.UpdatedReplicas &&
		st.AvailableReplicas >= st.UpdatedReplicas && observed
	return injectors.ProbeResult{OK: ok, Detail: detail + " (want all desired replicas available and updated)"}
}

// probeDeploymentState describes what people change by hand on a
// Deployment, in a stable order, so that two polls differ only when
// something was changed.
func probeDeploymentState(ctx context.Context, in *Injector, p injectors.Probe, params any) (injectors.ProbeResult, error) {
	sp := params.(*deploymentStateParams)
	if p.Target.Name == "" {
		return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "target.name: the Deployment to watch is required")
	}
	d, err := in.cs.AppsV1().Deployments(p.Target.Namespace).Get(ctx, p.Target.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return injectors.ProbeResult{OK: false, Detail: fmt.Sprintf("Deployment %s/%s does not exist", p.Target.Namespace, p.Target.Name)}, nil
	} else if err != nil {
		return injectors.ProbeResult{}, fmt.Errorf("probe deployment-state: %w", err)
	}
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	var images []string
	for _, c := range d.Spec.Template.Spec.Containers {
		images = append(images, c.Name+"="+c.Image)
	}
	restarted := d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]
	if restarted == "" {
		restarted = "never"
	}
	detail := fmt.Sprintf("%d replicas, images %s, restarted %s", replicas, strings.Join(images, ","), restarted)
	if sp.Pods && d.Spec.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return injectors.ProbeResult{}, fmt.Errorf("probe deployment-state: selector of %s/%s: %w", p.Target.Namespace, p.Target.Name, err)
		}
		pods, err := in.cs.CoreV1().Pods(p.Target.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return injectors.ProbeResult{}, fmt.Errorf("probe deployment-state: %w", err)
		}
		var names []string
		for _, pod := range pods.Items {
			if pod.DeletionTimestamp == nil {
				names = append(names, pod.Name)
			}
		}
		sort.Strings(names)
		detail += ", pods " + strings.Join(names, ",")
	}
	return injectors.ProbeResult{OK: true, Detail: detail}, nil
}

func probePodStatus(ctx context.Context, in *Injector, p injectors.Probe, params any) (injectors.ProbeResult, error) {
	pp := params.(*podStatusParams)
	if len(p.Target.Selector) == 0 {
		return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "target.selector: the labels of the pods to check are required")
	}
	pods, err := in.cs.CoreV1().Pods(p.Target.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(p.Target.Selector).String()})
	if err != nil {
		return injectors.ProbeResult{}, fmt.Errorf("probe pod-status: %w", err)
	}
	phase := corev1.PodPhase(pp.Phase)
	if phase == "" {
		phase = corev1.PodRunning
	}
	requireReady := phase == corev1.PodRunning
	if pp.RequireReady != nil {
		requireReady = *pp.RequireReady
	}
	minPods := 1
	if pp.MinPods != nil {
		minPods = *pp.MinPods
	}
	now := in.clk.Now()
	var problems []string
	count, recent := 0, 0
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp != nil {
			continue
		}
		count++
		if pod.Status.Phase != phase {
			problems = append(problems, fmt.Sprintf("%s is %s", pod.Name, pod.Status.Phase))
		}
		if requireReady && !podReady(&pod) {
			problems = append(problems, fmt.Sprintf("%s is not ready%s", pod.Name, waitingReasons(&pod)))
		}
		for _, cs := range pod.Status.ContainerStatuses {
			if pp.MaxRestarts != nil && cs.RestartCount > *pp.MaxRestarts {
				problems = append(problems, fmt.Sprintf("%s/%s restarted %d times (max %d)", pod.Name, cs.Name, cs.RestartCount, *pp.MaxRestarts))
			}
			if t := cs.LastTerminationState.Terminated; t != nil && now.Sub(t.FinishedAt.Time) <= time.Minute {
				recent++
			}
		}
	}
	if pp.MaxRestartsPerMinute != nil && recent > *pp.MaxRestartsPerMinute {
		problems = append(problems, fmt.Sprintf("%d containers restarted in the last minute (max %d)", recent, *pp.MaxRestartsPerMinute))
	}
	if count < minPods {
		problems = append(problems, fmt.Sprintf("%d pods match %v (want at least %d)", count, p.Target.Selector, minPods))
	}
	if len(problems) > 0 {
		return injectors.ProbeResult{OK: false, Detail: strings.Join(problems, "; ")}, nil
	}
	return injectors.ProbeResult{OK: true, Detail: fmt.Sprintf("%d pods %s", count, phase)}, nil
}

func waitingReasons(p *corev1.Pod) string {
	var rs []string
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			rs = append(rs, cs.State.Waiting.Reason)
		}
	}
	if len(rs) == 0 {
		return ""
	}
	return " (" + strings.Join(rs, ", ") + ")"
}

func probeEndpoints(ctx context.Context, in *Injector, p injectors.Probe, params any) (injectors.ProbeResult, error) {
	ep := params.(*endpointsParams)
	if p.Target.Name == "" {
		return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "target.name: the Service to check is required")
	}
	minReady := 1
	if ep.MinReady != nil {
		minReady = *ep.MinReady
	}
	slices, err := in.cs.DiscoveryV1().EndpointSlices(p.Target.Namespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + p.Target.Name})
	if err != nil {
		return injectors.ProbeResult{}, fmt.Errorf("probe endpoints: %w", err)
	}
	ready := 0
	seen := map[string]bool{}
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			key := strings.Join(e.Addresses, ",")
			if !seen[key] {
				seen[key] = true
				ready++
			}
		}
	}
	return injectors.ProbeResult{OK: ready >= minReady, Detail: fmt.Sprintf("Service %s/%s has %d ready endpoints (want at least %d)", p.Target.Namespace, p.Target.Name, ready, minReady)}, nil
}

func probeHTTPGet(ctx context.Context, in *Injector, p injectors.Probe, params any) (injectors.ProbeResult, error) {
	hp := params.(*httpGetParams)
	timeout := 10 * time.Second
	if hp.TimeoutMs > 0 {
		timeout = time.Duration(hp.TimeoutMs) * time.Millisecond
	}
	want := hp.ExpectStatus
	if want == 0 {
		want = http.StatusOK
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		status int
		body   []byte
		err    error
		target string
		via    string // what the API server's service proxy said, when it answered an error
	)
	if base, ok := in.cfg.ServiceURLs[p.Target.Namespace+"/"+p.Target.Name]; ok && hp.URL == "" && p.Target.Name != "" {
		hp.URL = strings.TrimRight(base, "/") + "/" + strings.TrimPrefix(hp.Path, "/")
	}
	var port, note string
	if hp.URL == "" {
		if p.Target.Name == "" {
			return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "http-get: give params.url, or a Service target (namespace and name) with params.path")
		}
		target = fmt.Sprintf("service %s/%s%s", p.Target.Namespace, p.Target.Name, hp.Path)
		var failed string
		// Before start: reading the port is not the answer's latency.
		if port, note, failed = in.proxyPort(ctx, p.Target, hp.Port); failed != "" {
			return injectors.ProbeResult{OK: false, Detail: fmt.Sprintf("GET %s: %s", target, failed)}, nil
		}
	}
	start := in.clk.Now()
	if hp.URL != "" {
		target = hp.URL
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, hp.URL, nil)
		if err != nil {
			return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "params.url: %v", err)
		}
		var resp *http.Response
		if resp, err = in.hc.Do(req); err == nil {
			status = resp.StatusCode
			body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
	} else {
		res := in.cs.CoreV1().Services(p.Target.Namespace).ProxyGet("http", p.Target.Name, port, strings.TrimPrefix(hp.Path, "/"), nil)
		body, err = res.DoRaw(ctx)
		status = http.StatusOK
		if se, ok := err.(apierrors.APIStatus); ok {
			status, err = int(se.Status().Code), nil
			via = proxyWords(se.Status(), body)
		}
	}
	latency := in.clk.Since(start)
	if err != nil {
		return injectors.ProbeResult{OK: false, Detail: fmt.Sprintf("GET %s failed after %s: %v%s", target, latency.Round(time.Millisecond), err, note)}, nil
	}
	var problems []string
	if status != want {
		problems = append(problems, fmt.Sprintf("status %d (want %d)%s", status, want, via))
	}
	if hp.ExpectBody != "" && !strings.Contains(string(body), hp.ExpectBody) {
		problems = append(problems, fmt.Sprintf("body does not contain %q", hp.ExpectBody))
	}
	if hp.MaxLatencyMs > 0 && latency > time.Duration(hp.MaxLatencyMs)*time.Millisecond {
		problems = append(problems, fmt.Sprintf("took %s (max %dms)", latency.Round(time.Millisecond), hp.MaxLatencyMs))
	}
	if len(problems) > 0 {
		return injectors.ProbeResult{OK: false, Detail: fmt.Sprintf("GET %s: %s%s", target, strings.Join(problems, ", "), note)}, nil
	}
	return injectors.ProbeResult{OK: true, Detail: fmt.Sprintf("GET %s: status %d in %s%s", target, status, latency.Round(time.Millisecond), note)}, nil
}

// proxyPort returns the port of the target Service to GET through the API
// server's service proxy: params.port, else the Service's first port. The
// API server matches an empty port only to an unnamed one, so a Service
// whose port is named ("http") would answer 503 "no endpoints available"
// for ever. A failure to read the Service is a failing check (failed says
// why), like a failed GET, except Forbidden: a Role written before the
// probe read the port grants services/proxy without get services, and a
// Service with one unnamed port worked with it; the probe then sends no
// port, as it did, and note says which permission is missing.
func (in *Injector) proxyPort(ctx context.Context, t injectors.Target, param any) (port, note, failed string) {
	switch v := param.(type) {
	case string:
		return v, "", ""
	case float64:
		return strconv.Itoa(int(v)), "", ""
	}
	svc, err := in.cs.CoreV1().Services(t.Namespace).Get(ctx, t.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", "", fmt.Sprintf("Service %s/%s does not exist", t.Namespace, t.Name)
	case apierrors.IsForbidden(err):
		return "", fmt.Sprintf(" (sent without a port, which reaches only an unnamed Service port: cannot read the Service's first port, grant get services in %s or give params.port)", t.Namespace), ""
	case err != nil:
		return "", "", fmt.Sprintf("read its port: %v", err)
	case len(svc.Spec.Ports) == 0:
		return "", "", fmt.Sprintf("Service %s/%s has no port", t.Namespace, t.Name)
	}
	// By number: the API server maps it to the port's name.
	return strconv.Itoa(int(svc.Spec.Ports[0].Port)), "", ""
}

// proxyWords says what the API server's service proxy answered with an
// error status: its own refusal (no endpoints, the Service cannot be
// reached) reads differently from the Service's answer passed through, and
// without it a designer cannot tell which one a "503" was.
func proxyWords(st metav1.Status, body []byte) string {
	msg := st.Message
	var own metav1.Status // the proxy's own refusal comes as a Status object
	if json.Unmarshal(body, &own) == nil && own.Kind == "Status" && own.Message != "" {
		msg = own.Message
	} else if b := strings.TrimSpace(string(body)); b != "" {
		msg = "the Service answered " + strconv.Quote(b)
	}
	if msg == "" {
		return ""
	}
	if r := []rune(msg); len(r) > 200 {
		msg = string(r[:200]) + "…"
	}
	return " from the API server's service proxy: " + msg
}

// podDeleteStatus says a pod-delete fault is over when as many pods are
// ready again as before it.
func (in *Injector) podDeleteStatus(ctx context.Context, rec *record) (injectors.Status, error) {
	pods, err := in.cs.CoreV1().Pods(rec.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(rec.Selector).String()})
	if err != nil {
		return injectors.Status{}, fmt.Errorf("status %s: %w", rec.FaultID, err)
	}
	ready := 0
	for i := range pods.Items {
		if podReady(&pods.Items[i]) {
			ready++
		}
	}
	detail := fmt.Sprintf("%d of %d pods ready again", ready, rec.ReadyBefore)
	if ready >= rec.ReadyBefore {
		return injectors.Status{Effect: injectors.Reverted, Detail: detail}, nil
	}
	return injectors.Status{Effect: injectors.InEffect, Detail: detail}, nil
}
