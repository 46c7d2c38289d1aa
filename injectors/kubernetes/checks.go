package kubernetes

import (
	"context"
	"sync"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// This file is the injector's check API: read-only questions about the
// cluster that `firedrill doctor` asks before a drill day, answered with the
// injector's own clients, context and kind table, so that what doctor checks
// is what a drill would touch. None of them changes anything in the cluster.
// Each refuses, like every call, when the configuration refuses the context.

// IsForbidden reports whether err says that the API server refused the
// request for lack of permission, or that the injector's configuration
// refuses it.
func IsForbidden(err error) bool {
	return apierrors.IsForbidden(err) || injectors.ErrorCode(err) == injectors.EFORBIDDEN
}

// ServerInfo is what the API server says about itself and the caller
// (catalog.ServerInfo).
type ServerInfo = catalog.ServerInfo

// ServerInfo asks the API server for its version and whom the injector acts
// as. When the server does not answer, the error comes with Host set, for
// the message.
func (in *Injector) ServerInfo(ctx context.Context) (ServerInfo, error) {
	if err := in.ready(); err != nil {
		return ServerInfo{}, err
	}
	si := ServerInfo{Host: in.rest.Host}
	v, err := in.cs.ServerVersion(ctx)
	if err != nil {
		return si, err
	}
	si.Version = v.GitVersion
	if ssr, err := in.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{}); err == nil {
		si.User = ssr.Status.UserInfo.Username
	}
	return si, nil
}

// ObjectInfo is what the injector sees of a namespace or another object a
// fault may target (catalog.ObjectInfo).
type ObjectInfo = catalog.ObjectInfo

// Namespace looks up namespace ns. A namespace that does not exist is not an
// error: Exists is false.
func (in *Injector) Namespace(ctx context.Context, ns string) (ObjectInfo, error) {
	if err := in.ready(); err != nil {
		return ObjectInfo{}, err
	}
	obj, err := in.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ObjectInfo{}, nil
	} else if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Exists: true, Deleting: obj.DeletionTimestamp != nil, DrillTarget: obj.Labels[DrillTargetLabel]}, nil
}

// Object looks up the object of a kind the catalog acts on (namespace is
// ignored for cluster-scoped kinds). A kind the catalog does not know is an
// EINVALID error; an object that does not exist is not an error: Exists is
// false.
func (in *Injector) Object(ctx context.Context, kind, namespace, name string) (ObjectInfo, error) {
	if err := in.ready(); err != nil {
		return ObjectInfo{}, err
	}
	res, err := in.resource(kind, namespace)
	if err != nil {
		return ObjectInfo{}, err
	}
	obj, err := res.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ObjectInfo{}, nil
	} else if err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{Exists: true, Deleting: obj.GetDeletionTimestamp() != nil, DrillTarget: obj.GetLabels()[DrillTargetLabel]}, nil
}

// CountPods returns how many pods in namespace match selector.
func (in *Injector) CountPods(ctx context.Context, namespace string, selector map[string]string) (int, error) {
	if err := in.ready(); err != nil {
		return 0, err
	}
	pods, err := in.cs.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return 0, err
	}
	return len(pods.Items), nil
}

// OptedInNamespaces lists the namespaces labelled DrillTargetLabel=true.
func (in *Injector) OptedInNamespaces(ctx context.Context) ([]string, error) {
	if err := in.ready(); err != nil {
		return nil, err
	}
	l, err := in.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: DrillTargetLabel + "=true"})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(l.Items))
	for _, n := range l.Items {
		out = append(out, n.Name)
	}
	return out, nil
}

// Access is one permission in one namespace (catalog.Access).
type Access = catalog.Access

// AccessReview is the API server's answer about one Access
// (catalog.AccessReview).
type AccessReview = catalog.AccessReview

// reviewConcurrency bounds the access reviews in flight at once.
const reviewConcurrency = 8

// ReviewAccess asks the API server, with one SelfSubjectAccessReview per
// access (a few at a time), whether the injector's user may do each; the
// answers are in the order of accesses. It fails when any review cannot be
// asked.
func (in *Injector) ReviewAccess(ctx context.Context, accesses []Access) ([]AccessReview, error) {
	if err := in.ready(); err != nil {
		return nil, err
	}
	out := make([]AccessReview, len(accesses))
	errs := make([]error, len(accesses))
	sem := make(chan struct{}, reviewConcurrency)
	var wg sync.WaitGroup
	for i, a := range accesses {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := in.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
				Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
					Namespace: a.Namespace, Verb: a.Permission.Verb, Group: a.Permission.Group,
					Resource: a.Permission.Resource, Subresource: a.Permission.Subresource,
				}},
			}, metav1.CreateOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = AccessReview{Allowed: res.Status.Allowed, Reason: res.Status.EvaluationError}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return out, nil
}
