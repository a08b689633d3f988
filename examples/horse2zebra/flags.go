package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
)

// A bound is the valid range of one numeric flag: lo <= v <= hi (lo < v
// when open), or v == special for a flag whose default stands for
// something else ("0: the preset's").
type bound struct {
	name        string
	value       func() float64
	lo, hi      float64
	open        bool   // lo itself is out of range
	special     string // what the default means; "" when it is an ordinary value
	specialWant float64
}

// bounds are the numeric flags of one command, registered with their ranges
// so that the help text states them and check tests them in one place.
type bounds []bound

// noMax is the upper end of an unbounded range.
const noMax = math.MaxFloat64

// intVar registers an int flag valid in [lo, hi]; special, if not empty,
// says what the default def stands for (def is then valid too).
func (b *bounds) intVar(fs *flag.FlagSet, p *int, name string, def, lo, hi int, special, usage string) {
	fs.IntVar(p, name, def, b.describe(usage, float64(lo), float64(hi), false, special, float64(def)))
	*b = append(*b, bound{name, func() float64 { return float64(*p) }, float64(lo), float64(hi), false, special, float64(def)})
}

// floatVar registers a float64 flag valid in [lo, hi], or (lo, hi] when
// open; special as for intVar. NaN and infinities are never valid.
func (b *bounds) floatVar(fs *flag.FlagSet, p *float64, name string, def, lo, hi float64, open bool, special, usage string) {
	fs.Float64Var(p, name, def, b.describe(usage, lo, hi, open, special, def))
	*b = append(*b, bound{name, func() float64 { return *p }, lo, hi, open, special, def})
}

// describe appends the range to a flag's usage text.
func (b *bounds) describe(usage string, lo, hi float64, open bool, special string, def float64) string {
	s := usage + "; " + rangeText(lo, hi, open)
	if special != "" {
		s += fmt.Sprintf(", or %s for %s", num(def), special)
	}
	return s
}

// rangeText says "from 1 to 64", "at least 0" or "above 0".
func rangeText(lo, hi float64, open bool) string {
	switch {
	case hi == noMax && open:
		return "above " + num(lo)
	case hi == noMax:
		return "at least " + num(lo)
	case open:
		return fmt.Sprintf("above %s, at most %s", num(lo), num(hi))
	}
	return fmt.Sprintf("from %s to %s", num(lo), num(hi))
}

// num formats v, whole numbers in full (100000000, not 1e+08).
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// check returns an error naming the first flag whose value is out of its
// range.
func (b bounds) check() error {
	for _, f := range b {
		v := f.value()
		if f.special != "" && v == f.specialWant {
			continue
		}
		ok := v <= f.hi && (v > f.lo || !f.open && v == f.lo) && !math.IsInf(v, 0)
		if !ok {
			msg := fmt.Sprintf("-%s %s: must be %s", f.name, num(v), rangeText(f.lo, f.hi, f.open))
			if f.special != "" {
				msg += fmt.Sprintf(" (or %s for %s)", num(f.specialWant), f.special)
			}
			return fmt.Errorf("%s", msg)
		}
	}
	return nil
}
