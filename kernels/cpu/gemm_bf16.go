package cpu

import (
	"math"
	"unsafe"

	"github.com/semgan/semgan/kernels"
)

// The BF16 path of the packed GEMM, for CPUs with AVX512_BF16. Where the
// operands of a product are rounded to bfloat16 (kernels.BF16), the packed
// A and B panels (float32, not rounded) are converted into pair panels,
// rounding each value to bfloat16 as kernels.RoundBF16 does: each 32-bit
// word holds the bfloat16 values of two consecutive k, the even one in the
// low half, an odd k padded with a zero. An A pair panel holds, for each
// pair q < kh = ceil(kb/2), the packMR words of its rows at q*packMR + r;
// a B pair panel the packNR words of its columns at q*packNR + j. Pair
// panels come in pairs (a zero panel completes an odd count), so that
// every 12x32 tile of C, partial ones through a buffer, is one call of
// microKernelBF16Wide, whose VDPBF16PS does two multiply-adds per lane
// where VFMADD231PS does one. Each product of two bfloat16 values is exact
// in float32, so the results are those of the FP32 path on rounded
// operands up to the order of the float32 sums, and up to denormals:
// VDPBF16PS reads denormal inputs as zero and flushes denormal results to
// zero.

// microKernelBF16Wide computes a 12x32 tile of C from two adjacent A pair
// panels (a, and a+packMR*kh) and two adjacent B pair panels (b, and
// b+packNR*kh), kh pairs deep:
//
//	c[r*ldc+j] (+)= alpha * sum_q sum_{h<2} bf16(a[(r/6)*6*kh + q*6 + r%6], h) * bf16(b[(j/16)*16*kh + q*16 + j%16], h)
//
// for r < 12, j < 32, where bf16(w, 0) is the low half of the word w and
// bf16(w, 1) the high half, each a bfloat16 value. As microKernel, it adds
// to c when accumulate is true and otherwise writes c without reading it.
// Denormal inputs count as zero and denormal partial sums are flushed to
// zero (as VDPBF16PS does). It is set where the CPU has AVX512_BF16 and
// SEMGAN_CPU_KERNELS allows it (see gemm_amd64.go), and nil otherwise, in
// which case BF16 products take the float32 path.
var microKernelBF16Wide func(kh int, a, b *uint32, c *float32, ldc int, alpha float32, accumulate bool)

// microKernelBF16WideGo is microKernelBF16Wide in Go: the twin the
// assembly is tested against, one VDPBF16PS step at a time (the high
// halves' product first, as the instruction's reference describes it).
func microKernelBF16WideGo(kh int, a, b *uint32, c *float32, ldc int, alpha float32, accumulate bool) {
	const rows, cols = 2 * packMR, 2 * packNR
	as, bs := unsafe.Slice(a, rows*kh+1), unsafe.Slice(b, cols*kh+1)
	cs := unsafeSlice(c, (rows-1)*ldc+cols)
	var acc [rows * cols]float32
	for q := range kh {
		for r := range rows {
			aw := as[(r/packMR)*packMR*kh+q*packMR+r%packMR]
			for j := range cols {
				bw := bs[(j/packNR)*packNR*kh+q*packNR+j%packNR]
				s := &acc[r*cols+j]
				*s = flushDenormal(*s + bf16High(aw)*bf16High(bw))
				*s = flushDenormal(*s + bf16Low(aw)*bf16Low(bw))
			}
		}
	}
	for r := range rows {
		for j := range cols {
			v := alpha * acc[r*cols+j]
			if accumulate {
				v += cs[r*ldc+j]
			}
			cs[r*ldc+j] = v
		}
	}
}

// bf16Low and bf16High are the bfloat16 values in the low and the high
// half of w as float32, a denormal read as zero of its sign.
func bf16Low(w uint32) float32  { return flushDenormal(math.Float32frombits(w << 16)) }
func bf16High(w uint32) float32 { return flushDenormal(math.Float32frombits(w &^ 0xffff)) }

// flushDenormal returns x, or a zero of x's sign where x is denormal.
func flushDenormal(x float32) float32 {
	b := math.Float32bits(x)
	if b&0x7f800000 == 0 {
		return math.Float32frombits(b & 0x80000000)
	}
	return x
}

// usePairs reports whether a product of m rows and n columns of C in
// precision prec takes the BF16 path: in BF16, on the packed path, where
// the CPU has the kernel, and with at least one full 12x32 tile.
func usePairs(prec kernels.Precision, m, n int) bool {
	return prec == kernels.BF16 && microKernelBF16Wide != nil && microKernel != nil &&
		m >= 2*packMR && n >= 2*packNR
}

// pairPanels converts float32 panels of width w (packMR or packNR) and
// depth kb, laid out as packA or packB lays them out, into pair panels of
// depth kh = ceil(kb/2) in dst, each value rounded with kernels.RoundBF16:
// word q*w + i of a panel holds element (2q, i) in its low half and
// (2q+1, i) in its high half (zero past kb). An odd number of panels is
// followed by a panel of zeros. It returns the words written.
func pairPanels(src []float32, w, kb int, dst []uint32) int {
	if kb == 0 {
		return 0
	}
	kh := (kb + 1) / 2
	panels := len(src) / (w * kb)
	dst = dst[:roundUp(panels, 2)*w*kh]
	for pn := range panels {
		s, d := src[pn*w*kb:(pn+1)*w*kb], dst[pn*w*kh:(pn+1)*w*kh]
		q := 0
		switch {
		case w == packNR && pairs16Kernel != nil:
			q = kb / 2
			pairs16Kernel(&s[0], &d[0], q)
		case w == packMR && pairs6Kernel != nil && kb >= 4:
			q = kb/2 - 1 // the last pair in Go: the kernel reads and writes past it
			pairs6Kernel(&s[0], &d[0], q)
		}
		for ; 2*q+1 < kb; q++ {
			even, odd, out := s[2*q*w:(2*q+1)*w], s[(2*q+1)*w:(2*q+2)*w], d[q*w:(q+1)*w]
			for i := range out {
				out[i] = bf16Bits(even[i]) | bf16Bits(odd[i])<<16
			}
		}
		if q < kh { // kb odd: the last pair's high half is zero
			even, out := s[2*q*w:(2*q+1)*w], d[q*w:(q+1)*w]
			for i := range out {
				out[i] = bf16Bits(even[i])
			}
		}
	}
	clear(dst[panels*w*kh:])
	return len(dst)
}

// pairs16Kernel and pairs6Kernel, where the CPU has them, convert n pair
// rows of a B panel (packNR wide) or n pair columns of an A panel (packMR
// wide) as pairPanels does, except that denormal inputs become zeros of
// their sign (VDPBF16PS would read them as zero anyway, but a float32 just
// below 2^-126 that RoundBF16 rounds up to 2^-126 counts as zero too).
// pairs6Kernel reads src[:12n+2] and writes dst[:6n+2].
var pairs16Kernel, pairs6Kernel func(src *float32, dst *uint32, n int)

// bf16Bits is the bfloat16 value kernels.RoundBF16(x), as its 16 bits.
func bf16Bits(x float32) uint32 { return math.Float32bits(kernels.RoundBF16(x)) >> 16 }

// words is the memory of f as 32-bit words: pair panels live in float32
// scratch buffers.
func words(f []float32) []uint32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&f[0])), len(f))
}

// macroKernelPairs is macroKernel for the BF16 path: the product of mb
// rows of op(A) and nb columns of op(B), kb deep, in the pair panels apw
// and bpw (each padded to a whole number of 12x32 tiles), times alpha,
// added into c or written there when accumulate is false. Every tile is
// one call of microKernelBF16Wide; partial ones go through edge
// (2*packMR*2*packNR floats).
func macroKernelPairs(mb, nb, kb int, apw, bpw []uint32, c []float32, ldc int,
	alpha float32, accumulate bool, edge []float32) {
	const rows, cols = 2 * packMR, 2 * packNR
	kh := (kb + 1) / 2
	edge = edge[:rows*cols]
	for jr := 0; jr < nb; jr += cols {
		b := &bpw[jr*kh]
		_ = bpw[(jr+cols)*kh-1] // both B pair panels are inside bpw
		nr := min(cols, nb-jr)
		for ir := 0; ir < mb; ir += rows {
			_ = apw[(ir+rows)*kh-1] // both A pair panels are inside apw
			ci := ir*ldc + jr
			mr := min(rows, mb-ir)
			if mr == rows && nr == cols {
				_ = c[ci+(rows-1)*ldc+cols-1] // the whole tile is inside c
				microKernelBF16Wide(kh, &apw[ir*kh], b, &c[ci], ldc, alpha, accumulate)
				continue
			}
			microKernelBF16Wide(kh, &apw[ir*kh], b, &edge[0], cols, alpha, false)
			for r := range mr {
				dst, src := c[ci+r*ldc:ci+r*ldc+nr], edge[r*cols:r*cols+nr]
				if accumulate {
					axpy(dst, 1, src)
				} else {
					copy(dst, src)
				}
			}
		}
	}
}
