//go:build !unix

package main

// peakRSS is not measured on this system.
type peakRSS struct{}

func newPeakRSS() *peakRSS { return &peakRSS{} }

func (*peakRSS) method() string { return "peak RSS is not measured on this system" }

func (*peakRSS) reset() {}

func (*peakRSS) read() int64 { return 0 }
