package engine

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DuckDB's file readers (read_parquet, read_csv, …) treat every path as a glob: `*`,
// `?` and `[` match other files, so a folder named `da*ta` would also read its sibling
// `data`, and one named `da[x]ta` would read nothing. Every path lanlq hands to a
// reader goes through QuoteGlob; COPY … TO and ATTACH take their path literally and
// need only escapeLiteral. DuckDB 1.5.6 has no backslash escape in globs (`\*` matches
// nothing) but reads a one-character class (`[*]`) as that character; a path holding
// a backslash cannot be globbed at all (checkPathChars refuses it).

// QuoteGlob returns path with DuckDB's glob metacharacters (`*`, `?`, `[`) each put in
// a one-character class, so that a reader given it, or it followed by a pattern of
// lanlq's own (QuoteGlob(dir) + "/*.parquet"), reads exactly that path.
func QuoteGlob(path string) string {
	if !strings.ContainsAny(path, "*?[") {
		return path
	}
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// readLiteral returns path as the body of a SQL string literal that a DuckDB reader
// reads as exactly that path.
func readLiteral(path string) string { return escapeLiteral(QuoteGlob(path)) }

// globIn is filepath.Glob of pattern inside dir, dir taken literally whatever it holds.
func globIn(dir, pattern string) ([]string, error) {
	return filepath.Glob(filepath.Join(quoteGoGlob(dir), pattern))
}

// quoteGoGlob escapes path/filepath's glob metacharacters with a backslash (Unix).
func quoteGoGlob(path string) string {
	if !strings.ContainsAny(path, `*?[]\`) {
		return path
	}
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkPathChars refuses a data or output folder that DuckDB cannot read files
// through: one whose absolute path holds a backslash (DuckDB's glob has no way to
// match one, so the views would fail on every query). what names the folder's role.
func checkPathChars(what, abs string) error {
	if strings.ContainsRune(abs, '\\') {
		return fmt.Errorf("%w: %s folder %s holds a backslash, which DuckDB's file readers cannot match; rename or move it",
			ErrPathChars, what, abs)
	}
	return nil
}

// attachableFile returns where DuckDB can ATTACH (create) the database file path.
// DuckDB names a database's write-ahead log by inserting ".wal" before the first `?`
// of the path, symlinks resolved (it reads the rest as URL parameters), so a database
// in a folder named `da?ta` fails at its first commit. Such a file is built in a
// private temporary folder instead and moved into place by done (copied, then synced:
// the temporary folder may be on another file system). done reports the copy's error;
// cleanup removes the temporary folder and is safe after done.
func attachableFile(path string) (attach string, done func() error, cleanup func(), err error) {
	if !strings.ContainsRune(path, '?') {
		return path, func() error { return nil }, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "lanlq-attach-")
	if err != nil {
		return "", nil, nil, err
	}
	if strings.ContainsRune(dir, '?') {
		_ = os.RemoveAll(dir)
		return "", nil, nil, fmt.Errorf("%w: %s and the temporary folder %s both hold a '?'", ErrPathChars, path, dir)
	}
	attach = filepath.Join(dir, filepath.Base(path))
	done = func() error { return copyFileSynced(attach, path) }
	cleanup = func() { _ = os.RemoveAll(dir) } // a private temporary folder: nothing else to report
	return attach, done, cleanup, nil
}

// copyFileSynced copies src to dst (created or truncated) and syncs dst; on failure
// dst is removed.
func copyFileSynced(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(dst) // a partial copy is of no use; the copy's error is the one to report
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(err, out.Close())
	}
	if err := out.Sync(); err != nil {
		return errors.Join(err, out.Close())
	}
	return out.Close()
}
