package doctor

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// kubeRecord is the revert record of the Kubernetes injector, version 1, as
// the drill journal keeps it (JSON, documented to be read by people): the
// fields doctor needs to print the kubectl commands that revert a fault.
type kubeRecord struct {
	V       int    `json:"v"`
	FaultID string `json:"faultId"`
	Objects []struct {
		Kind      string          `json:"kind"`
		Namespace string          `json:"namespace"`
		Name      string          `json:"name"`
		Create    json.RawMessage `json:"create"`
		Delete    bool            `json:"delete"`
		Evict     bool            `json:"evict"`
		Changes   []struct {
			Path         []string        `json:"path"`
			Before       json.RawMessage `json:"before"`
			BeforeAbsent bool            `json:"beforeAbsent"`
		} `json:"changes"`
	} `json:"objects"`
}

// revertCommands returns the kubectl commands, one a line, that revert the
// leftover by hand: from the revert record when there is one (the values
// before the fault), else from the annotations alone. A Deployment's
// commands also take the fault's marks off the ReplicaSets the deployment
// controller copied them to.
func revertCommands(kubeContext string, l catalog.Leftover, all []catalog.Leftover, record []byte) string {
	kubectl := "kubectl --context " + kubeContext
	if l.Namespace != "" {
		kubectl += " -n " + l.Namespace
	}
	if l.Kind == "ReplicaSet" {
		return fmt.Sprintf("%s patch replicaset %s --type merge -p %s   # a copy of its Deployment's marks of fault %s", kubectl, l.Name, shellQuote(patchJSON(unmarkPatch(l, all))), l.FaultID)
	}
	out := objectRevertCommands(kubectl, l, all, record)
	if l.Kind == "Deployment" {
		for _, rs := range copiesOf(l, all) {
			out += fmt.Sprintf("\n%s patch replicaset %s --type merge -p %s   # the copy of the marks on its ReplicaSet", kubectl, rs.Name, shellQuote(patchJSON(unmarkPatch(rs, all))))
		}
	}
	return out
}

// copiesOf returns the ReplicaSet leftovers that carry the Deployment
// leftover d's marks: same namespace, drill and fault, named after d.
func copiesOf(d catalog.Leftover, all []catalog.Leftover) []catalog.Leftover {
	var out []catalog.Leftover
	for _, o := range all {
		if o.Kind == "ReplicaSet" && o.Namespace == d.Namespace && o.DrillID == d.DrillID && o.FaultID == d.FaultID && strings.HasPrefix(o.Name, d.Name+"-") {
			out = append(out, o)
		}
	}
	return out
}

// isCopy says whether the leftover is a ReplicaSet whose Deployment is a
// leftover of the same fault too: its fix is part of the Deployment's.
func isCopy(l catalog.Leftover, all []catalog.Leftover) bool {
	if l.Kind != "ReplicaSet" {
		return false
	}
	for _, d := range all {
		if d.Kind == "Deployment" && slices.Contains(copiesOf(d, all), l) {
			return true
		}
	}
	return false
}

func objectRevertCommands(kubectl string, l catalog.Leftover, all []catalog.Leftover, record []byte) string {
	ref := strings.ToLower(l.Kind) + " " + l.Name
	marks := unmarkPatch(l, all)
	var rec kubeRecord
	if len(record) > 0 && json.Unmarshal(record, &rec) == nil && rec.V == 1 {
		for _, o := range rec.Objects {
			if o.Kind != l.Kind || o.Namespace != l.Namespace || o.Name != l.Name {
				continue
			}
			switch {
			case o.Create != nil:
				return fmt.Sprintf("%s delete %s", kubectl, ref)
			case o.Delete || o.Evict:
				continue
			}
			patch := map[string]any{}
			ok := true
			for _, c := range o.Changes {
				var v any
				if !c.BeforeAbsent {
					if json.Unmarshal(c.Before, &v) != nil {
						ok = false
						break
					}
				}
				if setPatch(patch, c.Path, v, c.BeforeAbsent) != nil {
					ok = false
					break
				}
			}
			if !ok {
				break
			}
			mergeMarks(patch, marks)
			b, err := json.Marshal(patch)
			if err != nil {
				break
			}
			return fmt.Sprintf("%s patch %s --type strategic -p %s   # the values before fault %s", kubectl, ref, shellQuote(string(b)), l.FaultID)
		}
	}
	if l.Kind == "NetworkPolicy" {
		return fmt.Sprintf("%s delete %s   # created by fault %s", kubectl, ref, l.FaultID)
	}
	return fmt.Sprintf("%s edit %s   # put back what fault %s changed (no revert record at hand), then:\n%s patch %s --type merge -p %s",
		kubectl, ref, l.FaultID, kubectl, ref, shellQuote(patchJSON(marks)))
}

// patchJSON encodes a patch built by unmarkPatch (strings, maps and nils),
// which always encodes; should it not, the command says why instead of
// patching with nothing.
func patchJSON(patch map[string]any) string {
	b, err := json.Marshal(patch)
	if err != nil {
		return fmt.Sprintf("<the patch does not encode: %v>", err)
	}
	return string(b)
}

// unmarkPatch is the metadata patch that takes fault l's marks off its
// object, keeping the marks of other faults still on it.
func unmarkPatch(l catalog.Leftover, all []catalog.Leftover) map[string]any {
	var others []string
	for _, o := range all {
		if o.Kind == l.Kind && o.Namespace == l.Namespace && o.Name == l.Name && o.FaultID != l.FaultID && !slices.Contains(others, o.FaultID) {
			others = append(others, o.FaultID)
		}
	}
	ann := map[string]any{catalog.FaultIDAnnotation: nil, catalog.DrillIDAnnotation: nil}
	if len(others) > 0 {
		ann = map[string]any{catalog.FaultIDAnnotation: strings.Join(others, ",")}
	}
	return map[string]any{"metadata": map[string]any{"annotations": ann}}
}

func mergeMarks(patch, marks map[string]any) {
	md, _ := patch["metadata"].(map[string]any)
	if md == nil {
		patch["metadata"] = marks["metadata"]
		return
	}
	ann, _ := md["annotations"].(map[string]any)
	if ann == nil {
		ann = map[string]any{}
		md["annotations"] = ann
	}
	for k, v := range marks["metadata"].(map[string]any)["annotations"].(map[string]any) {
		ann[k] = v
	}
}

// setPatch sets path to v in a strategic merge patch: map keys nest, and a
// "[name=x]" segment is the element named x of a list merged by name
// (containers, env), deleted with $patch when absent.
func setPatch(m map[string]any, path []string, v any, absent bool) error {
	if len(path) == 0 {
		return fmt.Errorf("empty path")
	}
	key := path[0]
	if strings.HasPrefix(key, "[") {
		return fmt.Errorf("list element %s where a field is expected", key)
	}
	if len(path) == 1 {
		if absent {
			m[key] = nil
		} else {
			m[key] = v
		}
		return nil
	}
	if name, ok := elementName(path[1]); ok {
		list, _ := m[key].([]any)
		var el map[string]any
		for _, e := range list {
			if em, ok := e.(map[string]any); ok && em["name"] == name {
				el = em
			}
		}
		if el == nil {
			el = map[string]any{"name": name}
			list = append(list, el)
			m[key] = list
		}
		rest := path[2:]
		if len(rest) == 0 {
			if absent {
				el["$patch"] = "delete"
				return nil
			}
			if vm, ok := v.(map[string]any); ok {
				for k, x := range vm {
					el[k] = x
				}
				return nil
			}
			return fmt.Errorf("list element %s: value is not an object", path[1])
		}
		return setPatch(el, rest, v, absent)
	}
	sub, _ := m[key].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[key] = sub
	}
	return setPatch(sub, path[1:], v, absent)
}

func elementName(seg string) (string, bool) {
	if strings.HasPrefix(seg, "[name=") && strings.HasSuffix(seg, "]") {
		return seg[len("[name=") : len(seg)-1], true
	}
	return "", false
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
