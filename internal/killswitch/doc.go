// Package killswitch holds the end-to-end measurements and fault tests of
// firedrill's kill switch (issue 13): the real engine, the SQLite journal,
// the plugin host and the Kubernetes plugin in its own process, against the
// local control plane (internal/devcluster). It has no code of its own; see
// its tests and benchmarks.
package killswitch
