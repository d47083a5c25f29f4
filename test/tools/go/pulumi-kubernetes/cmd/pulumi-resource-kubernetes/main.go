// Command pulumi-resource-kubernetes is upstream's provider main
// (provider/v4/cmd/pulumi-resource-kubernetes/main.go), built from this module because
// the upstream package cannot build from the module archive: its embedded files are
// generated. build-tools.sh writes them here with upstream's generate.go.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

var providerName = "kubernetes"

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve(providerName, version.Version, pulumiSchema, terraformMapping)
}
