package main

import (
	"context"
	"errors"
	"sync"

	"github.com/firedrill/firedrill/injectors/kubernetes/helper"
	"github.com/firedrill/firedrill/injectors/kubernetes/pluginargs"
)

// The rehearsal robots, the leftover scan and doctor ask the cluster
// through the Kubernetes helper (the plugin executable run as `helper`,
// see injectors/kubernetes/helper), so that firedrill links no Kubernetes
// client types: they cost the drill room's process megabytes of resident
// memory (issue 13).

// kubernetesSettings returns the resolved kubernetes.* settings the plugin
// and the helper are given.
func kubernetesSettings(k KubernetesConfig, ha HAConfig) pluginargs.Settings {
	return pluginargs.Settings{
		Kubeconfig: k.Kubeconfig, Context: k.Context,
		AllowedContexts: k.AllowedContexts, ProtectedNamespaces: k.ProtectedNamespaces,
		ServiceURLs: k.ServiceURLs, HideMarks: !k.marksVisible(ha),
		RevertQPS: k.RevertQPS, RevertBurst: k.RevertBurst,
	}
}

// startKubeHelper starts a helper on the configured cluster with settings s.
func (m *Main) startKubeHelper(ctx context.Context, s pluginargs.Settings) (*helper.Client, error) {
	exe, err := m.builtinExecutable("kubernetes")
	if err != nil {
		return nil, err
	}
	return helper.Start(ctx, exe, s.Args(), m.Stderr)
}

// kubeHelper is a helper started at its first use and kept until m is
// closed (the robots' baseline lives in it); a helper that died is started
// again at the next use.
type kubeHelper struct {
	m *Main

	mu sync.Mutex
	c  *helper.Client
	// refused is the helper's refusal of the configured cluster: the
	// configuration does not change while firedrill runs, so a later use
	// gets it again without starting another helper.
	refused error
}

// newKubeHelper returns m's lazily started helper; m closes it.
func (m *Main) newKubeHelper() *kubeHelper {
	k := &kubeHelper{m: m}
	m.OnClose(k.close)
	return k
}

// client returns the running helper, starting it when needed. A helper
// whose configuration refuses the cluster is an error.
func (k *kubeHelper) client(ctx context.Context) (*helper.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.refused != nil {
		return nil, k.refused
	}
	if k.c != nil && k.c.Err() == nil {
		return k.c, nil
	}
	if k.c != nil {
		_ = k.c.Close()
		k.c = nil
	}
	c, err := k.m.startKubeHelper(ctx, kubernetesSettings(k.m.Config.Kubernetes, k.m.Config.HA))
	if err != nil {
		return nil, err
	}
	if err := c.Refused(); err != nil {
		k.refused = err
		return nil, errors.Join(err, c.Close())
	}
	k.c = c
	return c, nil
}

func (k *kubeHelper) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.c == nil {
		return nil
	}
	err := k.c.Close()
	k.c = nil
	return err
}
