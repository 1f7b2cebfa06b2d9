// Package securitytest holds tests of the pods celestra writes: every pod
// template of every example and test case against the "restricted" Pod
// Security Standard (the upstream k8s.io/pod-security-admission checks),
// the security defaults the standard leaves open, the syntax of every
// inline script, and round trips of the backup, upload and restore scripts
// against real PostgreSQL, Redis and MariaDB servers with rclone. It holds
// tests only; this file gives the package its doc.
package securitytest
