// Package plots draws lanlq's PNG figures (red-team activity, Δ(t), top artifacts, ROC and precision-recall curves) from plain Go values with gonum.org/v1/plot.
package plots
