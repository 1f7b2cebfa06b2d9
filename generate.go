package celestra

//go:generate go run ./internal/k8sgen -out k8s
