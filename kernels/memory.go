package kernels

import "sync/atomic"

// MemoryCounter counts the bytes a backend has handed out and not taken
// back, and the most it has held at once: what LiveBytes and PeakLiveBytes
// report. It is safe for concurrent use; the zero value counts from zero.
type MemoryCounter struct {
	live, peak atomic.Int64
}

// Alloc records n bytes handed out.
func (m *MemoryCounter) Alloc(n int64) {
	live := m.live.Add(n)
	for {
		peak := m.peak.Load()
		if live <= peak || m.peak.CompareAndSwap(peak, live) {
			return
		}
	}
}

// Free records n bytes taken back.
func (m *MemoryCounter) Free(n int64) { m.live.Add(-n) }

// LiveBytes returns the bytes handed out and not taken back.
func (m *MemoryCounter) LiveBytes() int64 { return m.live.Load() }

// PeakLiveBytes returns the most LiveBytes has been since the counter was
// made or ResetPeakLiveBytes last ran.
func (m *MemoryCounter) PeakLiveBytes() int64 { return m.peak.Load() }

// ResetPeakLiveBytes starts the peak again from the bytes live now.
func (m *MemoryCounter) ResetPeakLiveBytes() { m.peak.Store(m.live.Load()) }
