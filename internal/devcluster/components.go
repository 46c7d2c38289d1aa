package devcluster

import (
	"fmt"
	"path/filepath"
	"strconv"
)

func (c *Cluster) bin(name string) string { return filepath.Join(BinDir(c.opts.CacheDir), name) }

func (c *Cluster) etcdArgs() []string {
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.etcdPeerPort)
	client := fmt.Sprintf("http://127.0.0.1:%d", c.etcdPort)
	return []string{
		"--name=default",
		"--data-dir=" + filepath.Join(c.workDir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer,
		"--unsafe-no-fsync=true", // a throwaway cluster: durability is not worth the I/O
		"--log-level=warn",
	}
}

func (c *Cluster) apiserverArgs() []string {
	return []string{
		"--etcd-servers=" + fmt.Sprintf("http://127.0.0.1:%d", c.etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.apiPort),
		"--tls-cert-file=" + c.pki.ServerCert,
		"--tls-private-key-file=" + c.pki.ServerKey,
		"--token-auth-file=" + c.pki.TokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + c.pki.SAPub,
		"--service-account-signing-key-file=" + c.pki.SAKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
		"--cert-dir=" + filepath.Join(c.workDir, "pki"),
		// The pod, service and node proxies go through the egress proxy
		// (egress.go), which connects a pod's address to whoever plays it.
		"--egress-selector-config-file=" + c.egressConfig,
	}
}

func (c *Cluster) kcmArgs() []string {
	return []string{
		"--kubeconfig=" + c.kubeconfig,
		"--authentication-kubeconfig=" + c.kubeconfig,
		"--authorization-kubeconfig=" + c.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.kcmPort),
		"--cert-dir=" + filepath.Join(c.workDir, "pki"),
		"--leader-elect=false",
		"--service-account-private-key-file=" + c.pki.SAKey,
		"--root-ca-file=" + c.pki.CACert,
		"--use-service-account-credentials=false",
		// kwok's heartbeat stage refreshes node conditions every 20 to 45
		// seconds, more slowly than the default grace period expects.
		"--node-monitor-grace-period=5m",
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		// No metrics server runs here, so the HPA controller could only
		// report missing metrics: the shop's simulator plays it from its
		// load model instead (internal/shop/hpa.go).
		"--controllers=*,-horizontal-pod-autoscaler-controller",
		"--profiling=false",
	}
}

func (c *Cluster) schedulerArgs() []string {
	return []string{
		"--kubeconfig=" + c.kubeconfig,
		"--authentication-kubeconfig=" + c.kubeconfig,
		"--authorization-kubeconfig=" + c.kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(c.schedPort),
		"--cert-dir=" + filepath.Join(c.workDir, "pki"),
		"--leader-elect=false",
		"--profiling=false",
	}
}

func (c *Cluster) kwokArgs() []string {
	return []string{
		"--kubeconfig=" + c.kubeconfig,
		"--config=" + filepath.Join(c.workDir, "kwok.yaml"),
		"--manage-all-nodes=true",
		// No kwok server (logs/exec/port-forward of fake pods): one port
		// fewer to collide on.
		"--server-address=",
		"--node-port=0",
		"--cidr=10.244.0.0/16",
		"--node-ip=10.0.1.1",
	}
}
