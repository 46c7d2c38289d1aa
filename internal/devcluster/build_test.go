package devcluster_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/internal/devcluster"
)

func TestSplitYAMLDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{name: "single document kept", in: "a: 1\n", want: []string{"a: 1"}},
		{name: "empty documents dropped", in: "---\na: 1\n---\n\n---\n# only a comment\n---\nb: 2\n", want: []string{"a: 1", "b: 2"}},
		{name: "comment inside a document kept", in: "# stage\na: 1\n", want: []string{"# stage\na: 1"}},
		{name: "nothing left", in: "---\n---\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := devcluster.SplitYAMLDocuments(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDefaultCacheDir(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{name: "XDG_CACHE_HOME wins", env: map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, want: filepath.Join("/x", "firedrill", "k8s-"+devcluster.KubernetesVersion)},
		{name: "falls back to HOME/.cache", env: map[string]string{"HOME": "/h"}, want: filepath.Join("/h", ".cache", "firedrill", "k8s-"+devcluster.KubernetesVersion)},
		{name: "refused without either", env: map[string]string{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := devcluster.DefaultCacheDir(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKubernetesGoModReplacesEveryStagingModule(t *testing.T) {
	mod := devcluster.KubernetesGoMod()
	for _, m := range []string{"api", "apimachinery", "client-go", "apiserver", "kube-aggregator", "kubelet"} {
		want := "replace k8s.io/" + m + " => k8s.io/" + m + " " + devcluster.StagingVersion
		if !strings.Contains(mod, want) {
			t.Errorf("go.mod lacks %q", want)
		}
	}
	if !strings.Contains(mod, "require k8s.io/kubernetes "+devcluster.KubernetesVersion) {
		t.Errorf("go.mod does not require k8s.io/kubernetes %s", devcluster.KubernetesVersion)
	}
}

func TestMissingListsUnbuiltBinaries(t *testing.T) {
	got := devcluster.Missing(t.TempDir())
	want := []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Missing(empty dir) = %v, want %v", got, want)
	}
}
