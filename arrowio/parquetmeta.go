package arrowio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
)

// lanlq's experiment results are labelled after they are written: the experiment's own COPY
// statements write them, with the options the user chose (compression, row group size,
// partitioning), and lanlq then adds its key-value metadata by rewriting only the
// Parquet footer. Writing the files again through DuckDB (COPY … (KV_METADATA …))
// would replace those options with lanlq's and read and write all the data a second
// time; the footer is the file's last few kilobytes, and as nothing before it moves,
// the offsets of every column chunk stay valid.
//
// The footer is parquet.thrift's FileMetaData in Thrift's compact protocol. It is
// edited field by field rather than decoded into a struct: every field except
// key_value_metadata (field 5) is copied byte for byte, so fields that a decoder might
// not know (newer statistics, writer-specific ones) survive. It is done here by hand
// because arrow-go's parquet/metadata, which could decode it, needs modules (xxhash,
// x/sync) that lanlq's build does not otherwise use.

// ParquetKV is one key-value pair for SetParquetKeyValues. KeepExisting leaves the
// value of a key the file already has as it is (and adds the pair only when the key
// is missing); otherwise an existing value is replaced in place.
type ParquetKV struct {
	Key, Value   string
	KeepExisting bool
}

const (
	parquetMagic          = "PAR1"
	parquetEncryptedMagic = "PARE" // footer encrypted (parquet modular encryption)

	fileMetaKeyValues  = 5 // FileMetaData.key_value_metadata: list<KeyValue>
	fileMetaEncryption = 8 // FileMetaData.encryption_algorithm: set in plaintext-footer encrypted files
)

// SetParquetKeyValues sets key-value metadata of the Parquet file at path by rewriting
// its footer in place (see above). Existing pairs keep their order; keys the file does
// not have are appended in the order given. The file's data pages are not touched.
func SetParquetKeyValues(path string, kvs ...ParquetKV) (err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrParquetFooter, err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	footer, start, err := readParquetFooter(f, path)
	if err != nil {
		return err
	}
	fields, err := splitThriftStruct(footer)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrParquetFooter, path, err)
	}
	kvAt := -1
	for i, fl := range fields {
		switch {
		case fl.id == fileMetaEncryption:
			return fmt.Errorf("%w: %s is encrypted (signed plaintext footer), and a changed footer would fail its signature", ErrParquetFooter, path)
		case fl.id == fileMetaKeyValues && fl.typ == thriftList:
			kvAt = i
		case fl.id == fileMetaKeyValues:
			return fmt.Errorf("%w: %s: key_value_metadata has Thrift type %d, not a list", ErrParquetFooter, path, fl.typ)
		}
	}
	var entries []keyValueEntry
	if kvAt >= 0 {
		if entries, err = splitKeyValues(fields[kvAt].value); err != nil {
			return fmt.Errorf("%w: %s: key_value_metadata: %w", ErrParquetFooter, path, err)
		}
	}
	for _, kv := range kvs {
		i := indexOfKey(entries, kv.Key)
		switch {
		case i < 0:
			entries = append(entries, keyValueEntry{key: kv.Key, raw: encodeKeyValue(kv.Key, kv.Value)})
		case !kv.KeepExisting:
			entries[i].raw = encodeKeyValue(kv.Key, kv.Value)
		}
	}
	list := encodeStructList(entries)
	if kvAt >= 0 {
		fields[kvAt].value = list
	} else {
		at := len(fields) // fields are written in id order; keep them so
		for i, fl := range fields {
			if fl.id > fileMetaKeyValues {
				at = i
				break
			}
		}
		fields = slices.Insert(fields, at, thriftField{id: fileMetaKeyValues, typ: thriftList, value: list})
	}

	var tail bytes.Buffer
	writeThriftStruct(&tail, fields)
	n := tail.Len()
	tail.Write(binary.LittleEndian.AppendUint32(nil, uint32(n)))
	tail.WriteString(parquetMagic)
	if _, err := f.WriteAt(tail.Bytes(), start); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrParquetFooter, path, err)
	}
	if err := f.Truncate(start + int64(tail.Len())); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrParquetFooter, path, err)
	}
	return nil
}

// readParquetFooter returns the serialized FileMetaData of f and its offset: the file
// ends with it, its 4-byte little-endian length and "PAR1".
func readParquetFooter(f *os.File, path string) ([]byte, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrParquetFooter, err)
	}
	size := st.Size()
	const minSize = 2*len(parquetMagic) + 4 // header magic, footer length, footer magic
	if size < int64(minSize) {
		return nil, 0, fmt.Errorf("%w: %s is not a Parquet file (%d bytes)", ErrParquetFooter, path, size)
	}
	var end [8]byte
	if _, err := f.ReadAt(end[:], size-8); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %w", ErrParquetFooter, path, err)
	}
	switch string(end[4:]) {
	case parquetMagic:
	case parquetEncryptedMagic:
		return nil, 0, fmt.Errorf("%w: %s has an encrypted footer", ErrParquetFooter, path)
	default:
		return nil, 0, fmt.Errorf("%w: %s is not a Parquet file (it does not end with %s)", ErrParquetFooter, path, parquetMagic)
	}
	n := int64(binary.LittleEndian.Uint32(end[:4]))
	start := size - 8 - n
	if start < int64(len(parquetMagic)) {
		return nil, 0, fmt.Errorf("%w: %s: footer length %d exceeds the file (%d bytes)", ErrParquetFooter, path, n, size)
	}
	footer := make([]byte, n)
	if _, err := f.ReadAt(footer, start); err != nil {
		return nil, 0, fmt.Errorf("%w: %s: %w", ErrParquetFooter, path, err)
	}
	return footer, start, nil
}

// Thrift compact protocol type codes.
const (
	thriftStop   = 0
	thriftTrue   = 1
	thriftFalse  = 2
	thriftByte   = 3
	thriftI16    = 4
	thriftI32    = 5
	thriftI64    = 6
	thriftDouble = 7
	thriftBinary = 8
	thriftList   = 9
	thriftSet    = 10
	thriftMap    = 11
	thriftStruct = 12
	thriftUUID   = 13

	thriftMaxDepth = 64 // nesting bound, against crafted footers
)

// thriftField is one field of a compact-protocol struct: its id, type and encoded
// value (empty for booleans, whose value is the type).
type thriftField struct {
	id    int16
	typ   byte
	value []byte
}

// keyValueEntry is one encoded KeyValue struct of key_value_metadata and its key.
type keyValueEntry struct {
	key string
	raw []byte
}

func indexOfKey(entries []keyValueEntry, key string) int {
	for i, e := range entries {
		if e.key == key {
			return i
		}
	}
	return -1
}

// thriftReader reads compact-protocol values from a byte slice.
type thriftReader struct {
	b   []byte
	pos int
}

var errThriftShort = errors.New("footer ends inside a value")

func (r *thriftReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, errThriftShort
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *thriftReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	r.pos += n
	return v, nil
}

func (r *thriftReader) skipBytes(n uint64) error {
	if n > uint64(len(r.b)-r.pos) {
		return errThriftShort
	}
	r.pos += int(n)
	return nil
}

// fieldHeader reads a field header: its type (thriftStop at the end of a struct) and
// id, given the previous field's id.
func (r *thriftReader) fieldHeader(last int16) (byte, int16, error) {
	h, err := r.byte()
	if err != nil || h == thriftStop {
		return thriftStop, 0, err
	}
	typ, delta := h&0x0f, int16(h>>4)
	if delta != 0 {
		return typ, last + delta, nil
	}
	v, err := r.uvarint()
	if err != nil {
		return 0, 0, err
	}
	return typ, int16(int64(v>>1) ^ -int64(v&1)), nil // zigzag
}

// skip reads past one value of type typ. Booleans inside lists, sets and maps take a
// byte; a boolean field's value is its header (inList false).
func (r *thriftReader) skip(typ byte, inList bool, depth int) error {
	if depth > thriftMaxDepth {
		return errors.New("values nested too deep")
	}
	switch typ {
	case thriftTrue, thriftFalse:
		if inList {
			_, err := r.byte()
			return err
		}
		return nil
	case thriftByte:
		_, err := r.byte()
		return err
	case thriftI16, thriftI32, thriftI64:
		_, err := r.uvarint()
		return err
	case thriftDouble:
		return r.skipBytes(8)
	case thriftUUID:
		return r.skipBytes(16)
	case thriftBinary:
		n, err := r.uvarint()
		if err != nil {
			return err
		}
		return r.skipBytes(n)
	case thriftList, thriftSet:
		elem, n, err := r.listHeader()
		if err != nil {
			return err
		}
		for range n {
			if err := r.skip(elem, true, depth+1); err != nil {
				return err
			}
		}
		return nil
	case thriftMap:
		n, err := r.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := r.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := r.skip(kv>>4, true, depth+1); err != nil {
				return err
			}
			if err := r.skip(kv&0x0f, true, depth+1); err != nil {
				return err
			}
		}
		return nil
	case thriftStruct:
		var last int16
		for {
			t, id, err := r.fieldHeader(last)
			if err != nil {
				return err
			}
			if t == thriftStop {
				return nil
			}
			if err := r.skip(t, false, depth+1); err != nil {
				return err
			}
			last = id
		}
	default:
		return fmt.Errorf("unknown Thrift type %d", typ)
	}
}

// listHeader reads a list or set header: element type and size.
func (r *thriftReader) listHeader() (byte, uint64, error) {
	h, err := r.byte()
	if err != nil {
		return 0, 0, err
	}
	n := uint64(h >> 4)
	if n == 15 {
		if n, err = r.uvarint(); err != nil {
			return 0, 0, err
		}
	}
	// Every element takes a byte at least: a larger count is a corrupt header, and
	// would otherwise loop for long.
	if n > uint64(len(r.b)-r.pos) {
		return 0, 0, errThriftShort
	}
	return h & 0x0f, n, nil
}

// splitThriftStruct cuts an encoded struct (the whole of b) into its fields.
func splitThriftStruct(b []byte) ([]thriftField, error) {
	r := &thriftReader{b: b}
	var fields []thriftField
	var last int16
	for {
		typ, id, err := r.fieldHeader(last)
		if err != nil {
			return nil, err
		}
		if typ == thriftStop {
			break
		}
		at := r.pos
		if err := r.skip(typ, false, 1); err != nil {
			return nil, fmt.Errorf("field %d: %w", id, err)
		}
		fields = append(fields, thriftField{id: id, typ: typ, value: b[at:r.pos]})
		last = id
	}
	if r.pos != len(b) {
		return nil, fmt.Errorf("%d bytes after the end of FileMetaData", len(b)-r.pos)
	}
	return fields, nil
}

// splitKeyValues cuts an encoded list<KeyValue> into its entries and reads each key
// (KeyValue field 1).
func splitKeyValues(b []byte) ([]keyValueEntry, error) {
	r := &thriftReader{b: b}
	elem, n, err := r.listHeader()
	if err != nil {
		return nil, err
	}
	if elem != thriftStruct {
		return nil, fmt.Errorf("elements of Thrift type %d, not structs", elem)
	}
	entries := make([]keyValueEntry, 0, n)
	for range n {
		at := r.pos
		if err := r.skip(thriftStruct, true, 1); err != nil {
			return nil, err
		}
		raw := b[at:r.pos]
		fields, err := splitThriftStruct(raw)
		if err != nil {
			return nil, err
		}
		e := keyValueEntry{raw: raw}
		for _, f := range fields {
			if f.id == 1 && f.typ == thriftBinary {
				k := &thriftReader{b: f.value}
				size, err := k.uvarint()
				if err != nil {
					return nil, err
				}
				e.key = string(f.value[k.pos : k.pos+int(size)])
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// encodeKeyValue encodes KeyValue{1: key, 2: value}.
func encodeKeyValue(key, value string) []byte {
	var t thriftWriter
	t.string(1, key)
	t.string(2, value)
	t.stop()
	return t.b
}

// encodeStructList encodes list<struct> of the entries.
func encodeStructList(entries []keyValueEntry) []byte {
	var t thriftWriter
	t.listHeader(thriftStruct, len(entries))
	for _, e := range entries {
		t.b = append(t.b, e.raw...)
	}
	return t.b
}

// writeThriftStruct encodes fields (in order) and the closing stop byte.
func writeThriftStruct(b *bytes.Buffer, fields []thriftField) {
	var t thriftWriter
	for _, f := range fields {
		t.field(f.id, f.typ)
		t.b = append(t.b, f.value...)
	}
	t.stop()
	b.Write(t.b)
}
