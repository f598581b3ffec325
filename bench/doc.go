// Package bench is lanlq's benchmark harness: it generates inputs, runs lanlq's steps
// against baselines measured in the same run, and prints the figures recorded in
// BENCHMARKS.md together with the command that produced them.
package bench
