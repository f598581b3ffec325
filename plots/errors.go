package plots

import "errors"

var (
	// ErrEmpty reports a plot asked for with nothing to draw.
	ErrEmpty = errors.New("plots: nothing to draw")
	// ErrInvalid reports input that cannot be drawn faithfully (a NaN on a curve, a
	// negative count, a width that is not positive, …).
	ErrInvalid = errors.New("plots: invalid input")
)
