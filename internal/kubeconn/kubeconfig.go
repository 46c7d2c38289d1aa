package kubeconn

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// kubeconfig is the part of a kubeconfig file firedrill reads, merged from
// the files of the loading rules as clientcmd merges them: the first file
// that names a cluster, user or context wins, and so does the first
// current-context.
type kubeconfig struct {
	CurrentContext string
	Clusters       map[string]*cluster
	Users          map[string]*user
	Contexts       map[string]*contextRef
}

type cluster struct {
	Server                   string `yaml:"server"`
	CertificateAuthority     string `yaml:"certificate-authority"`
	CertificateAuthorityData b64    `yaml:"certificate-authority-data"`
	InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
	TLSServerName            string `yaml:"tls-server-name"`
	ProxyURL                 string `yaml:"proxy-url"`
	DisableCompression       bool   `yaml:"disable-compression"`
}

type user struct {
	ClientCertificate     string              `yaml:"client-certificate"`
	ClientCertificateData b64                 `yaml:"client-certificate-data"`
	ClientKey             string              `yaml:"client-key"`
	ClientKeyData         b64                 `yaml:"client-key-data"`
	Token                 string              `yaml:"token"`
	TokenFile             string              `yaml:"tokenFile"`
	Username              string              `yaml:"username"`
	Password              string              `yaml:"password"`
	Impersonate           string              `yaml:"as"`
	ImpersonateUID        string              `yaml:"as-uid"`
	ImpersonateGroups     []string            `yaml:"as-groups"`
	ImpersonateUserExtra  map[string][]string `yaml:"as-user-extra"`
	Exec                  *execConfig         `yaml:"exec"`
	AuthProvider          *struct {
		Name string `yaml:"name"`
	} `yaml:"auth-provider"`
}

type execConfig struct {
	Command            string    `yaml:"command"`
	Args               []string  `yaml:"args"`
	Env                []execEnv `yaml:"env"`
	APIVersion         string    `yaml:"apiVersion"`
	InstallHint        string    `yaml:"installHint"`
	ProvideClusterInfo bool      `yaml:"provideClusterInfo"`
	InteractiveMode    string    `yaml:"interactiveMode"`
	cluster            *cluster  // for provideClusterInfo
}

type execEnv struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type contextRef struct {
	Cluster string `yaml:"cluster"`
	User    string `yaml:"user"`
}

// b64 is a kubeconfig's *-data field: base64 in the file.
type b64 []byte

func (b *b64) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("line %d: not base64: %w", n.Line, err)
	}
	*b = v
	return nil
}

// file is one kubeconfig file as written.
type file struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string  `yaml:"name"`
		Cluster cluster `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User user   `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string     `yaml:"name"`
		Context contextRef `yaml:"context"`
	} `yaml:"contexts"`
}

// loadingRules returns the kubeconfig files to read, as clientcmd's
// default loading rules: the explicit path (which must exist), else every
// file of $KUBECONFIG (missing ones skipped), else ~/.kube/config.
func loadingRules(explicit string, getenv func(string) string) (files []string, mustExist bool) {
	if explicit != "" {
		return []string{explicit}, true
	}
	if env := getenv("KUBECONFIG"); env != "" {
		var out []string
		seen := map[string]bool{}
		for _, p := range filepath.SplitList(env) {
			if p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		return out, false
	}
	home := getenv("HOME")
	if home == "" {
		return nil, false
	}
	return []string{filepath.Join(home, ".kube", "config")}, false
}

// load reads and merges the kubeconfig files.
func load(explicit string, getenv func(string) string) (*kubeconfig, error) {
	files, mustExist := loadingRules(explicit, getenv)
	kc := &kubeconfig{Clusters: map[string]*cluster{}, Users: map[string]*user{}, Contexts: map[string]*contextRef{}}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) && !mustExist {
			continue
		}
		if err != nil {
			return nil, err
		}
		var f file
		if err := yaml.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("error loading config file %q: %w", path, err)
		}
		dir, err := filepath.Abs(filepath.Dir(path))
		if err != nil {
			return nil, err
		}
		if kc.CurrentContext == "" {
			kc.CurrentContext = f.CurrentContext
		}
		for _, c := range f.Clusters {
			if _, ok := kc.Clusters[c.Name]; !ok {
				cl := c.Cluster
				cl.CertificateAuthority = resolve(dir, cl.CertificateAuthority)
				kc.Clusters[c.Name] = &cl
			}
		}
		for _, u := range f.Users {
			if _, ok := kc.Users[u.Name]; !ok {
				us := u.User
				us.ClientCertificate = resolve(dir, us.ClientCertificate)
				us.ClientKey = resolve(dir, us.ClientKey)
				us.TokenFile = resolve(dir, us.TokenFile)
				if us.Exec != nil && strings.ContainsRune(us.Exec.Command, filepath.Separator) {
					us.Exec.Command = resolve(dir, us.Exec.Command)
				}
				kc.Users[u.Name] = &us
			}
		}
		for _, c := range f.Contexts {
			if _, ok := kc.Contexts[c.Name]; !ok {
				ctx := c.Context
				kc.Contexts[c.Name] = &ctx
			}
		}
	}
	return kc, nil
}

// resolve makes a path of a kubeconfig file absolute, relative to the
// file's directory.
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}
