// Package examples embeds the example scenarios, so that `firedrill demo`
// has scenarios to offer when it runs outside a checkout of the repository.
package examples

import "embed"

// FS holds the example scenario files: *.yaml at its root and in
// incidents/.
//
//go:embed *.yaml incidents/*.yaml
var FS embed.FS
