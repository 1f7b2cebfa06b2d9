// Package securitytest checks every pod celestra writes against the
// "restricted" Pod Security Standard, with the upstream
// k8s.io/pod-security-admission policy checks, and checks the shell scripts
// those pods run. It holds tests only; this file gives the package its doc.
package securitytest
