// Package layout holds only a test: the README's layout table (package → what it
// holds → what it may import) checked against the imports of the code.
package layout
