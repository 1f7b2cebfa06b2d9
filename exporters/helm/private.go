package helm

import yamlexp "github.com/celestra-dev/celestra/exporters/yaml"

// Private implements exporters.PrivateFiles: the templates of Secrets,
// <chart>/templates/secret-<name>.yaml. values.yaml holds no value of a
// Secret (variables read from Secrets stay references).
func (Exporter) Private(p string) bool { return yamlexp.IsSecretFile(p) }
