// Package e2e holds firedrill's end-to-end test. It has no code of its own:
// its tests build the real firedrill binary, start the local dev cluster
// (internal/devcluster) with the sample shop and its simulator
// (internal/shop), run `firedrill serve` as a subprocess exactly as a user
// would, and play whole drills through the drill room's HTTP and WebSocket
// API with the typed client (ui/client): a facilitator, two participants and
// an observer.
//
// The participants fix the faults through the Kubernetes API the way a
// person would (delete the NetworkPolicy, restore the ConfigMap key, roll
// back the bad rollout, resume the CronJob, restore the memory limit), never through
// firedrill's revert. The tests then assert what the practice and an audit
// need: every fault reverted or resolved, the cluster back to its original
// spec with nothing carrying a firedrill.dev/ annotation or label, and a
// record with every section filled that `firedrill verify` accepts. A second
// run aborts a drill half-way through a participant's fix and asserts the
// same.
//
// The drill clock runs at drill.timeScale 60 (a drill minute per second, the
// rehearsal speed `firedrill serve --time-scale 60` offers too), so a
// 90-minute drill fits in 90 seconds. `make test` runs the package; it needs
// the dev cluster's binaries (built once per machine, see
// internal/devcluster).
package e2e
