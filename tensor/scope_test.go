package tensor_test

import (
	"testing"

	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

func TestScopeFreesWhatItDoesNotKeep(t *testing.T) {
	dev := tensor.Default()
	before := dev.LiveBytes()
	s := tensor.OpenScope()
	a := tensor.Full(1, 100)
	b := tensor.Full(2, 50)
	view := b.Reshape(5, 10) // shares b's storage
	freed := tensor.Zeros(7)
	freed.Free() // freed inside the scope: not freed twice
	s.Keep(view)
	s.Close()
	s.Close() // a second Close does nothing
	require.Equal(t, before+50*4, dev.LiveBytes(), "only b's storage is still allocated")
	require.Equal(t, float32(2), b.Data()[49])
	require.Panics(t, func() { a.Data() }, "a was freed by the scope")
	b.Free()
	require.Equal(t, before, dev.LiveBytes())
}

func TestScopeNests(t *testing.T) {
	dev := tensor.Default()
	before := dev.LiveBytes()
	outer := tensor.OpenScope()
	inner := tensor.OpenScope()
	kept := tensor.Zeros(10)
	tensor.Zeros(20)
	require.PanicsWithValue(t, "tensor: Scope.Close: an inner scope is still open", outer.Close)
	inner.Keep(kept)
	inner.Close()
	require.Equal(t, before+10*4, dev.LiveBytes(), "the inner scope freed what it did not keep")
	outer.Close()
	require.Equal(t, before, dev.LiveBytes(), "what the inner scope kept belonged to the outer one")
}

func TestNoScopeNoTracking(t *testing.T) {
	dev := tensor.Default()
	before := dev.LiveBytes()
	x := tensor.Zeros(3)
	s := tensor.OpenScope()
	s.Close()
	require.Equal(t, before+12, dev.LiveBytes(), "a tensor made before the scope is not the scope's")
	x.Free()
}

func TestScopeTrimHoldsTheLastResult(t *testing.T) {
	dev := tensor.Default()
	before := dev.LiveBytes()
	outside := tensor.Zeros(4) // the chain's input: not the scope's
	s := tensor.OpenScope()
	kept := tensor.Zeros(8)
	s.Keep(kept)
	x := outside
	for range 3 {
		tmp := tensor.Zeros(100)
		y := tensor.Zeros(10)
		_ = tmp
		s.Trim(y.Reshape(2, 5)) // a view keeps its storage
		require.Panics(t, func() { tmp.Data() }, "a step's scratch is freed")
		x = y
	}
	require.Equal(t, before+(4+8+10)*4, dev.LiveBytes(), "the input, the kept tensor and the last result")
	s.Keep(x)
	s.Close()
	require.Equal(t, before+(4+8+10)*4, dev.LiveBytes())
	for _, u := range []*tensor.Tensor{outside, kept, x} {
		u.Free()
	}
	require.Equal(t, before, dev.LiveBytes())
}

func TestScopeKeepAllPassesToTheParent(t *testing.T) {
	dev := tensor.Default()
	before := dev.LiveBytes()
	outer := tensor.OpenScope()
	inner := tensor.OpenScope()
	a := tensor.Zeros(5)
	inner.KeepAll()
	tensor.Zeros(7)
	inner.Trim()
	require.Equal(t, before+5*4, dev.LiveBytes(), "Trim leaves what KeepAll kept")
	inner.Close()
	require.Equal(t, float32(0), a.Data()[0])
	outer.Close()
	require.Equal(t, before, dev.LiveBytes(), "the outer scope owned what the inner one kept")
}
