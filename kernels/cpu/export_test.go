package cpu

// SetWinograd sets whether 3x3 stride-1 FP32 convolutions may take the
// Winograd path (winogradOn), for the benchmarks of package cpu_test, and
// returns the function that restores the previous setting.
func SetWinograd(on bool) (restore func()) {
	old := winogradOn
	winogradOn = on
	return func() { winogradOn = old }
}
