//go:build tools

// Package deps pins the modules the project's packages are being built on, so
// that parallel work on separate packages never races on go.mod. It is removed
// once every module is imported by real code.
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/gorilla/websocket"
	_ "github.com/hashicorp/go-hclog"
	_ "github.com/hashicorp/go-plugin"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "golang.org/x/crypto/bcrypt"
	_ "google.golang.org/grpc"
	_ "google.golang.org/protobuf/proto"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "k8s.io/utils/clock/testing"
	_ "modernc.org/sqlite"
	_ "sigs.k8s.io/yaml"
)
