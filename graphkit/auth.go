package graphkit

import (
	"fmt"
	"slices"
)

// Tuples is a copy of one interval's tuples as a TupleBuilder held them before Build:
// Width id columns per tuple (row-major in IDs, 0 where the tuple's Valid bit is
// clear) and each tuple's multiplicity N. Scorers that need more than the clique graph
// (which artifacts met in the same event, not only in the same hour) read it.
type Tuples struct {
	Width int
	IDs   []int64
	Valid []uint64
	N     []float64
}

// Len returns the number of tuples.
func (t *Tuples) Len() int { return len(t.N) }

// CopyTuples copies the tuples added since the last Build into dst (its slices
// reused), before Build consumes them.
func (b *TupleBuilder) CopyTuples(dst *Tuples) {
	dst.Width = b.width
	dst.IDs = append(dst.IDs[:0], b.ids...)
	dst.Valid = append(dst.Valid[:0], b.valid...)
	dst.N = append(dst.N[:0], b.n...)
}

// Class sorts the values of account and computer artifacts for the scorers that treat
// them differently (Kinds.Class).
type Class uint8

const (
	// ClassOrdinary is a user account or a named computer.
	ClassOrdinary Class = iota
	// ClassMachine is a machine account (C553$@DOM1): computers log on by themselves
	// all day, so their contacts are not a person's.
	ClassMachine
	// ClassUnknown is no identity: LANL's "?" and ANONYMOUS LOGON. Such a value joins
	// unrelated events and never makes a contact.
	ClassUnknown
)

// AuthKinds are the kinds of an authentication event's artifacts in a graph
// architecture that types them by column, as the notebook one does.
type AuthKinds struct {
	User, UserDest, Source, Dest, Auth, Logon Kind
}

// NotebookAuthKinds returns the kinds of the notebook architecture's auth columns
// (userdomain_source, userdomain_destination, computer_source, computer_destination,
// auth, logon), and false when kinds lacks one of them: the typed-contact and
// credential-switching scorers then cannot tell an auth event from the other streams'.
func NotebookAuthKinds(kinds *Kinds) (AuthKinds, bool) {
	names := []string{"userdomain_source", "userdomain_destination", "computer_source", "computer_destination", "auth", "logon"}
	var ks [6]Kind
	for i, n := range names {
		k, ok := kinds.Lookup(n)
		if !ok {
			return AuthKinds{}, false
		}
		ks[i] = k
	}
	return AuthKinds{User: ks[0], UserDest: ks[1], Source: ks[2], Dest: ks[3], Auth: ks[4], Logon: ks[5]}, true
}

// AuthEvent is one distinct authentication tuple of an interval: the artifact ids of
// its source account, destination account, source and destination computer, auth
// package and logon type (−1 where the event has none), and the number of events N it
// stands for.
type AuthEvent struct {
	User, UserDest, Source, Dest, Auth, Logon int64
	N                                         float64
}

// AuthEvents appends to dst the tuples of t that are authentication events (those
// holding an auth package or logon type artifact) and returns it. Ids must be inside
// the kind table (else it panics).
func AuthEvents(t *Tuples, kinds *Kinds, ak AuthKinds, dst []AuthEvent) []AuthEvent {
	dst = dst[:0]
	for r := range t.N {
		row := t.IDs[r*t.Width : (r+1)*t.Width]
		mask := t.Valid[r]
		e := AuthEvent{User: -1, UserDest: -1, Source: -1, Dest: -1, Auth: -1, Logon: -1, N: t.N[r]}
		isAuth := false
		for c, id := range row {
			if mask&(1<<c) == 0 {
				continue
			}
			switch kinds.Of(id) {
			case ak.User:
				e.User = id
			case ak.UserDest:
				e.UserDest = id
			case ak.Source:
				e.Source = id
			case ak.Dest:
				e.Dest = id
			case ak.Auth:
				e.Auth, isAuth = id, true
			case ak.Logon:
				e.Logon, isAuth = id, true
			}
		}
		if isAuth {
			dst = append(dst, e)
		}
	}
	return dst
}

// classOf returns the class of artifact id (ClassOrdinary when kinds has no classes).
func (k *Kinds) classOf(id int64) Class {
	if id < 0 {
		return ClassUnknown
	}
	if int(id) < len(k.Class) {
		return k.Class[id]
	}
	return ClassOrdinary
}

// entityOf returns the entity number of artifact id: artifacts of one value in
// different columns (computer_source::C1 and computer_destination::C1) share it. It is
// id itself when kinds has no entities.
func (k *Kinds) entityOf(id int64) int64 {
	if int(id) < len(k.Entity) {
		return int64(k.Entity[id])
	}
	return id
}

// SetClasses sets the class and entity number of every artifact (parallel to ByID),
// e.g. from the artifact dictionary's values. Either may be nil.
func (k *Kinds) SetClasses(class []Class, entity []int32) error {
	if class != nil && len(class) != len(k.ByID) {
		return fmt.Errorf("%w: %d classes for %d artifacts", ErrInvalidConfig, len(class), len(k.ByID))
	}
	if entity != nil && len(entity) != len(k.ByID) {
		return fmt.Errorf("%w: %d entities for %d artifacts", ErrInvalidConfig, len(entity), len(k.ByID))
	}
	k.Class, k.Entity = slices.Clone(class), slices.Clone(entity)
	return nil
}
