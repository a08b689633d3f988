package kernels

import "testing"

func TestMemoryCounterPeak(t *testing.T) {
	var m MemoryCounter
	m.Alloc(100)
	m.Alloc(50)
	m.Free(100)
	m.Alloc(20)
	if live, peak := m.LiveBytes(), m.PeakLiveBytes(); live != 70 || peak != 150 {
		t.Fatalf("live %d, peak %d; want 70, 150", live, peak)
	}
	m.ResetPeakLiveBytes()
	m.Alloc(10)
	m.Free(80)
	if live, peak := m.LiveBytes(), m.PeakLiveBytes(); live != 0 || peak != 80 {
		t.Fatalf("after reset: live %d, peak %d; want 0, 80", live, peak)
	}
}
