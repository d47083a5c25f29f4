// Command etcd is the etcd server, built from the go.etcd.io/etcd/server/v3
// module at the version pinned in go.mod. Debian bookworm ships etcd 3.4,
// which Kubernetes 1.35's API server no longer supports.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
