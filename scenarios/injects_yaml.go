package scenarios

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// MarshalInjects returns injects as a YAML block ("injects:" and the list),
// ready to paste into a scenario.
func MarshalInjects(injects []Inject) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string][]Inject{"injects": injects}); err != nil {
		return nil, fmt.Errorf("marshal injects: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal injects: %w", err)
	}
	return b.Bytes(), nil
}

// ReplaceInjects returns the scenario document data with its injects
// replaced by injects, keeping every other field and most comments. The
// result is not validated; pass it to Parse.
func ReplaceInjects(data []byte, injects []Inject) ([]byte, error) {
	d := newDecoder("")
	root := d.parseNode(data)
	if root == nil {
		return nil, d.errs.sorted()
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("replace injects: the document is not a mapping")
	}
	var list yaml.Node
	if err := list.Encode(injects); err != nil {
		return nil, fmt.Errorf("replace injects: %w", err)
	}
	replaced := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "injects" {
			list.HeadComment = root.Content[i+1].HeadComment
			root.Content[i+1] = &list
			replaced = true
		}
	}
	if !replaced {
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "injects"}
		root.Content = append(root.Content, key, &list)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("replace injects: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("replace injects: %w", err)
	}
	return b.Bytes(), nil
}
