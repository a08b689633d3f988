//go:build !amd64

// Command fmapeak measures the multiply-add ceiling of x86-64 cores; on
// other architectures it only says so.
package main

import "fmt"

func main() { fmt.Println("fmapeak: AVX2 and AVX-512 are x86-64 only") }
