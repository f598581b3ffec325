package arrowio

import "encoding/binary"

// thriftWriter encodes Parquet's metadata structs in Thrift's compact protocol (the
// type codes are in parquetmeta.go, with the reader). Field
// headers carry the delta from the previous field id of the same struct, so the
// writer keeps the last id of every open struct.
type thriftWriter struct {
	b     []byte
	last  int16
	stack []int16
}

func (t *thriftWriter) reset() { t.b, t.last, t.stack = t.b[:0], 0, t.stack[:0] }

func (t *thriftWriter) field(id int16, typ byte) {
	if d := id - t.last; d > 0 && d <= 15 {
		t.b = append(t.b, byte(d)<<4|typ)
	} else {
		t.b = append(t.b, typ)
		t.b = binary.AppendVarint(t.b, int64(id))
	}
	t.last = id
}

func (t *thriftWriter) i32(id int16, v int32) {
	t.field(id, thriftI32)
	t.b = binary.AppendVarint(t.b, int64(v))
}

func (t *thriftWriter) i64(id int16, v int64) {
	t.field(id, thriftI64)
	t.b = binary.AppendVarint(t.b, v)
}

// bool writes a boolean field: in the compact protocol the value is the field's type.
func (t *thriftWriter) bool(id int16, v bool) {
	if v {
		t.field(id, thriftTrue)
	} else {
		t.field(id, thriftFalse)
	}
}

func (t *thriftWriter) binary(id int16, v []byte) {
	t.field(id, thriftBinary)
	t.b = binary.AppendUvarint(t.b, uint64(len(v)))
	t.b = append(t.b, v...)
}

func (t *thriftWriter) string(id int16, v string) {
	t.field(id, thriftBinary)
	t.b = binary.AppendUvarint(t.b, uint64(len(v)))
	t.b = append(t.b, v...)
}

// beginStruct opens a struct-valued field; endStruct closes it.
func (t *thriftWriter) beginStruct(id int16) {
	t.field(id, thriftStruct)
	t.open()
}

// open starts a struct without a field header: a list element.
func (t *thriftWriter) open() {
	t.stack = append(t.stack, t.last)
	t.last = 0
}

func (t *thriftWriter) endStruct() {
	t.b = append(t.b, 0)
	t.last = t.stack[len(t.stack)-1]
	t.stack = t.stack[:len(t.stack)-1]
}

// list writes a list field's header; the n elements follow (i32 elements with
// listI32, binary ones with listBinary, structs between open and endStruct).
func (t *thriftWriter) list(id int16, elem byte, n int) {
	t.field(id, thriftList)
	t.listHeader(elem, n)
}

// listHeader writes a list's element type and size (a list field's value, or a
// list on its own).
func (t *thriftWriter) listHeader(elem byte, n int) {
	if n < 15 {
		t.b = append(t.b, byte(n)<<4|elem)
	} else {
		t.b = append(t.b, 0xf0|elem)
		t.b = binary.AppendUvarint(t.b, uint64(n))
	}
}

func (t *thriftWriter) listI32(v int32) { t.b = binary.AppendVarint(t.b, int64(v)) }

func (t *thriftWriter) listString(v string) {
	t.b = binary.AppendUvarint(t.b, uint64(len(v)))
	t.b = append(t.b, v...)
}

// stop ends a top-level struct.
func (t *thriftWriter) stop() { t.b = append(t.b, thriftStop) }
