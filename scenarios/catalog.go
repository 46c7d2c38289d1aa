package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TypeInfo describes one fault or probe type of a plugin for the checks that
// need no running plugin.
type TypeInfo struct {
	Name string
	// TargetKinds are the Kubernetes kinds (or the plugin's own) the type
	// acts on; empty means any.
	TargetKinds []string
	// Schema is the JSON Schema of the type's params; empty means any.
	Schema []byte
	// ChangesField says the fault type changes one field of its target
	// and restores it on revert; FieldParams name the params that say
	// which field (key for configmap-key; container and name for
	// env-var). Two faults of the same type on the same target with the
	// same values of FieldParams change the same field.
	ChangesField bool
	FieldParams  []string
}

// PluginInfo describes one plugin for the checks that need no running
// plugin.
type PluginInfo struct {
	Name       string
	FaultTypes []TypeInfo
	ProbeTypes []TypeInfo
	// ProtectedNamespaces are namespaces the plugin never acts on (such as
	// kube-system); a fault aimed at one is an error.
	ProtectedNamespaces []string
}

// PluginDescriber is a Catalog that can describe whole plugins: the target
// kinds of each fault type, the fields they change, the namespaces they
// refuse. A plugin it does not describe is "not available to check
// against": its references are reported as a warning, not an error.
type PluginDescriber interface {
	Catalog
	DescribePlugin(name string) (PluginInfo, bool)
}

// StaticCatalog is a catalog of plugins described in advance, such as the
// built-in ones, needing no running plugin. It implements PluginDescriber.
type StaticCatalog []PluginInfo

// DescribePlugin returns the plugin called name.
func (c StaticCatalog) DescribePlugin(name string) (PluginInfo, bool) {
	for _, p := range c {
		if p.Name == name {
			return p, true
		}
	}
	return PluginInfo{}, false
}

// FaultType returns the params schema of a fault type.
func (c StaticCatalog) FaultType(plugin, typ string) ([]byte, bool, error) {
	p, _ := c.DescribePlugin(plugin)
	t, ok := findType(p.FaultTypes, typ)
	return t.Schema, ok, nil
}

// ProbeType returns the params schema of a probe type.
func (c StaticCatalog) ProbeType(plugin, typ string) ([]byte, bool, error) {
	p, _ := c.DescribePlugin(plugin)
	t, ok := findType(p.ProbeTypes, typ)
	return t.Schema, ok, nil
}

func findType(types []TypeInfo, name string) (TypeInfo, bool) {
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	return TypeInfo{}, false
}

func typeNames(plugin string, types []TypeInfo) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = plugin + "/" + t.Name
	}
	return strings.Join(names, ", ")
}

// describe returns what the catalog says of plugin: known is false when the
// catalog describes plugins but not this one (a warning is then given once
// per plugin); described is false when the catalog cannot describe plugins.
func (v *validator) describe(path, plugin string) (info PluginInfo, described, known bool) {
	pd, ok := v.catalog.(PluginDescriber)
	if !ok {
		return PluginInfo{}, false, true
	}
	info, known = pd.DescribePlugin(plugin)
	if !known {
		if v.unavailable == nil {
			v.unavailable = map[string]bool{}
		}
		if !v.unavailable[plugin] {
			v.unavailable[plugin] = true
			v.warnf(path, "plugin %q is not available to check against (it is not built in), so its fault and probe types and their params are not checked here; run firedrill validate --plugins with plugins.dir set to check them", plugin)
		}
	}
	return info, true, known
}

// catalogFault checks a fault's injector against the catalog and validates
// its params, and the params of each variant merged over them; with a
// PluginDescriber, also the target's kind and namespace at every
// difficulty.
func (v *validator) catalogFault(path string, f *Fault) {
	if v.catalog == nil || f.Injector.Plugin == "" {
		return
	}
	if !v.knownFaultType(path+".injector", f.Injector, f.Target) {
		return
	}
	schema, _, _ := v.catalog.FaultType(f.Injector.Plugin, f.Injector.Type)
	v.checkParams(path+".params", schema, f.Params)
	for _, d := range []Difficulty{Hard, Medium, Easy} {
		vr, ok := f.Variants[d]
		if !ok {
			continue
		}
		vp := path + ".variants." + string(d)
		ref, target := f.Injector, f.Target
		if vr.Target != nil {
			target = *vr.Target
		}
		if vr.Injector != nil && *vr.Injector != f.Injector {
			if v.knownFaultType(vp+".injector", *vr.Injector, target) {
				vs, _, _ := v.catalog.FaultType(vr.Injector.Plugin, vr.Injector.Type)
				v.checkParams(vp+".params", vs, vr.Params)
			}
			continue
		}
		if vr.Target != nil {
			v.targetFits(vp+".target", ref, target)
		}
		if vr.Params != nil {
			v.checkParams(vp+".params", schema, mergeParams(f.Params, vr.Params))
		}
	}
}

// knownFaultType reports whether ref is a fault type the catalog knows,
// reporting an unknown one with the valid types, and checks that target
// fits it. It returns false when the params cannot be checked.
func (v *validator) knownFaultType(path string, ref InjectorRef, target Target) bool {
	info, described, known := v.describe(path, ref.Plugin)
	if !known {
		return false
	}
	if described {
		if _, ok := findType(info.FaultTypes, ref.Type); !ok {
			v.errf(path, "unknown fault type %s, expected one of: %s", ref, typeNames(ref.Plugin, info.FaultTypes))
			return false
		}
		v.targetFits(strings.TrimSuffix(path, ".injector")+".target", ref, target)
		return true
	}
	_, ok, err := v.catalog.FaultType(ref.Plugin, ref.Type)
	if err != nil {
		v.errf(path, "cannot look up fault type %s: %v", ref, err)
		return false
	}
	if !ok {
		v.errf(path, "unknown fault type %s, expected a type offered by the %q plugin", ref, ref.Plugin)
		return false
	}
	return true
}

// targetFits checks, offline, that a fault type can act on the target's
// kind and that the target's namespace is not one the plugin refuses.
func (v *validator) targetFits(path string, ref InjectorRef, t Target) {
	pd, ok := v.catalog.(PluginDescriber)
	if !ok {
		return
	}
	info, ok := pd.DescribePlugin(ref.Plugin)
	if !ok {
		return
	}
	ft, ok := findType(info.FaultTypes, ref.Type)
	if !ok {
		return
	}
	if t.Kind != "" && len(ft.TargetKinds) > 0 && !slices.Contains(ft.TargetKinds, t.Kind) {
		msg := fmt.Sprintf("%s acts on %s, not on a %s; expected kind: %s", ref, article(ft.TargetKinds), t.Kind, orList(ft.TargetKinds, "or"))
		var fits []string
		for _, o := range info.FaultTypes {
			if slices.Contains(o.TargetKinds, t.Kind) {
				fits = append(fits, ref.Plugin+"/"+o.Name)
			}
		}
		if len(fits) > 0 {
			msg += fmt.Sprintf(" (fault types for a %s: %s)", t.Kind, strings.Join(fits, ", "))
		}
		v.errf(path+".kind", "%s", msg)
	}
	if slices.Contains(info.ProtectedNamespaces, t.Namespace) {
		v.errf(path+".namespace", "namespace %q belongs to the cluster itself and the %s plugin never acts on it (it refuses %s); expected the namespace of the drill's environment, e.g. shop", t.Namespace, ref.Plugin, strings.Join(info.ProtectedNamespaces, ", "))
	}
}

// article formats kinds as "a ConfigMap" or "a Deployment, StatefulSet or
// DaemonSet".
func article(kinds []string) string {
	a := "a "
	if len(kinds) > 0 && strings.ContainsRune("AEIOU", rune(kinds[0][0])) {
		a = "an "
	}
	if len(kinds) == 1 {
		return a + kinds[0]
	}
	return a + strings.Join(kinds[:len(kinds)-1], ", ") + " or " + kinds[len(kinds)-1]
}

// catalogProbe checks a probe reference and validates its params.
func (v *validator) catalogProbe(path string, p Probe) {
	if v.catalog == nil || p.Probe.Plugin == "" {
		return
	}
	info, described, known := v.describe(path+".probe", p.Probe.Plugin)
	if !known {
		return
	}
	if described {
		pt, ok := findType(info.ProbeTypes, p.Probe.Type)
		if !ok {
			v.errf(path+".probe", "unknown probe type %s, expected one of: %s", p.Probe, typeNames(p.Probe.Plugin, info.ProbeTypes))
			return
		}
		if k := p.Target.Kind; k != "" && len(pt.TargetKinds) > 0 && !slices.Contains(pt.TargetKinds, k) {
			msg := fmt.Sprintf("%s checks %s, not a %s; expected kind: %s", p.Probe, article(pt.TargetKinds), k, orList(pt.TargetKinds, "or"))
			var fits []string
			for _, o := range info.ProbeTypes {
				if slices.Contains(o.TargetKinds, k) {
					fits = append(fits, p.Probe.Plugin+"/"+o.Name)
				}
			}
			if len(fits) > 0 {
				msg += fmt.Sprintf(" (probe types for a %s: %s)", k, strings.Join(fits, ", "))
			}
			// A probe that finds what it checks by a selector or calls a
			// URL does not read the kind: the mismatch misleads a reader
			// but the probe runs as meant, as it did before kinds were
			// checked, so it is a warning there.
			if _, url := p.Params["url"]; len(p.Target.Selector) > 0 || url {
				v.warnf(path+".target.kind", "%s; the kind is not used (the probe reads its target.selector or params.url)", msg)
			} else {
				v.errf(path+".target.kind", "%s", msg)
			}
		}
	}
	schema, ok, err := v.catalog.ProbeType(p.Probe.Plugin, p.Probe.Type)
	if err != nil {
		v.errf(path+".probe", "cannot look up probe type %s: %v", p.Probe, err)
		return
	}
	if !ok {
		v.errf(path+".probe", "unknown probe type %s, expected a type offered by the %q plugin", p.Probe, p.Probe.Plugin)
		return
	}
	v.checkParams(path+".params", schema, p.Params)
}

// checkParams validates params against a JSON Schema and reports each
// failure at the params node it concerns.
func (v *validator) checkParams(path string, schema []byte, params map[string]any) {
	if len(bytes.TrimSpace(schema)) == 0 || v.d.paramsUnread(path) {
		return
	}
	sch, err := compileSchema(schema)
	if err != nil {
		v.errf(path, "the plugin's params schema is invalid: %v", err)
		return
	}
	if params == nil {
		params = map[string]any{}
	}
	inst, err := jsonValue(params)
	if err != nil {
		v.errf(path, "params cannot be expressed as JSON: %v", err)
		return
	}
	err = sch.Validate(inst)
	if err == nil {
		return
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		v.errf(path, "params: %v", err)
		return
	}
	for _, pr := range describeParamsErrors(schema, verr) {
		v.errf(v.paramPath(path, pr.pointer), "%s", pr.msg)
	}
}

// paramPath maps a JSON pointer inside params to a field path.
func (v *validator) paramPath(base, pointer string) string {
	p := base
	if pointer == "" || pointer == "/" {
		return p
	}
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if n, err := strconv.Atoi(seg); err == nil {
			if _, ok := v.d.pos[index(p, n)]; ok {
				p = index(p, n)
				continue
			}
		}
		p = join(p, seg)
	}
	return p
}

func compileSchema(schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "mem:///params.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// jsonValue converts v into the value model of the schema validator.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// validateAgainst validates a JSON-like value against a compiled schema and
// returns a readable error.
func validateAgainst(sch *jsonschema.Schema, v any) error {
	inst, err := jsonValue(v)
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%v", err)
	}
	return nil
}
