package doctor

import (
	"fmt"
	"strings"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

// checkPlugins reports each plugin the host discovered: whether it
// handshook, what it is, and its checksum pin.
func checkPlugins(r *Report, p *Plugins) {
	if p == nil {
		r.add(Check{Section: SectionPlugins, Name: "plugins", Status: Skip, Detail: "not checked"})
		return
	}
	if p.Err != nil {
		r.add(Check{Section: SectionPlugins, Name: "plugin host", Status: Fail, Detail: oneLine(injectors.ErrorMessage(p.Err)),
			Fix: "check plugins.dir and plugins.checksums in firedrill.yaml"})
		return
	}
	if len(p.Statuses) == 0 {
		r.add(Check{Section: SectionPlugins, Name: "plugins", Status: Warn, Detail: "no plugin found, not even the built-in kubernetes injector",
			Fix: "install firedrill-injector-kubernetes beside firedrill (make build, make install), and set plugins.dir for other plugins"})
	}
	seen := map[string]bool{}
	for _, st := range p.Statuses {
		seen[st.Name] = true
		name := "plugin " + st.Name
		what := describe(st)
		switch {
		case st.ChecksumStatus == host.ChecksumMismatch:
			r.add(Check{Section: SectionPlugins, Name: name, Status: Fail,
				Detail: fmt.Sprintf("%s: checksum %s does not match its pin in plugins.checksums: refused", st.Path, short(st.Checksum)),
				Fix:    fmt.Sprintf("if the new file is trusted, pin it again with the line printed by: firedrill plugins checksum %s", st.Path)})
		case st.Err != nil:
			fix := "run it by hand to see why: firedrill plugins list"
			if st.ChecksumStatus == host.ChecksumUnpinned && p.RequireChecksums {
				fix = fmt.Sprintf("pin it (plugins.requireChecksums is set) with the line printed by: firedrill plugins checksum %s", st.Path)
			}
			r.add(Check{Section: SectionPlugins, Name: name, Status: Fail, Detail: oneLine(errText(st.Err)), Fix: fix})
		case st.ChecksumStatus == host.ChecksumUnpinned:
			r.add(Check{Section: SectionPlugins, Name: name, Status: Warn,
				Detail: fmt.Sprintf("%s, not pinned: any file at %s runs (sha256 %s)", what, st.Path, short(st.Checksum)),
				Fix:    fmt.Sprintf("pin it under plugins.checksums with the line printed by: firedrill plugins checksum %s (and set plugins.requireChecksums: true)", st.Path)})
		case st.ChecksumStatus == host.ChecksumBuiltin:
			r.add(Check{Section: SectionPlugins, Name: name, Status: OK, Detail: what + ", built in"})
		default:
			r.add(Check{Section: SectionPlugins, Name: name, Status: OK, Detail: fmt.Sprintf("%s, pinned (sha256 %s)", what, short(st.Checksum))})
		}
	}
	for _, name := range sortedKeys(p.Checksums) {
		if !seen[name] {
			r.add(Check{Section: SectionPlugins, Name: "pin " + name, Status: Warn,
				Detail: fmt.Sprintf("plugins.checksums pins %s, but no plugin of that name is in plugins.dir (%s)", name, p.Dir),
				Fix:    fmt.Sprintf("install firedrill-injector-%s in plugins.dir, or remove its pin", name)})
		}
	}
}

func describe(st host.PluginStatus) string {
	api := "-"
	if len(st.Info.APIVersions) > 0 {
		api = strings.Join(st.Info.APIVersions, ",")
	}
	return fmt.Sprintf("%s %s (API %s; %d fault types, %d probe types)", st.Info.Name, st.Info.Version, api, len(st.Info.FaultTypes), len(st.Info.ProbeTypes))
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

func errText(err error) string {
	if injectors.ErrorCode(err) == injectors.EINTERNAL {
		return err.Error()
	}
	return injectors.ErrorMessage(err)
}
