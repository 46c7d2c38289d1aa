package devcluster

// SplitYAMLDocuments exposes splitYAMLDocuments to the external tests.
var SplitYAMLDocuments = splitYAMLDocuments

// KubernetesGoMod exposes kubernetesGoMod to the external tests.
var KubernetesGoMod = kubernetesGoMod

// StartEgress exposes startEgress.
var StartEgress = startEgress

// SocketDir exposes socketDir.
var SocketDir = socketDir

// MaxSocketPath exposes maxSocketPath.
var MaxSocketPath = maxSocketPath

// Socket is the path of the egress proxy's socket.
func (e *egress) Socket() string { return e.ln.Addr().String() }

// Route exposes route.
func (e *egress) Route(d PodDialer) (unroute func()) { return e.route(d) }

// Close exposes close.
func (e *egress) Close() error { return e.close() }

// WriteConfig exposes writeConfig.
func (e *egress) WriteConfig(dir string) (string, error) { return e.writeConfig(dir) }

// Egress is the egress proxy.
type Egress = egress
