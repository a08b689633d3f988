#!/usr/bin/env bash
# Checks the committed PTX of kernels/cuda without a GPU: assembles every
# module with ptxas for a real architecture and fails when
#   - any kernel spills registers to local memory (ptxas -v: spill stores
#     or loads other than 0 bytes), or
#   - a tensor-core kernel has no HMMA instruction in its machine code
#     (cuobjdump -sass). The tensor-core kernels are found without a list:
#     they are the kernels of a compute_80/90 module that its compute_70
#     module lacks (mma.cuh's SEMGAN_TENSOR_CORES leaves them out there).
# Prints one line per kernel: architecture, registers, spills, shared
# memory, HMMA count.
#
# Usage: scripts/ptx-check.sh [ARCH...]    (default: sm_80 sm_90; needs
# ptxas and cuobjdump from the CUDA toolkit, scripts/install-cuda.sh).
# PTX_DIR names another folder of <family>_<arch>.ptx files to check.
# With --self-test it checks instead that both failures are caught, on the
# two bad kernels of scripts/ptx-check-bad.cu.
set -euo pipefail
if [ "${1:-}" = --self-test ]; then
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
	src=$(dirname "$0")/ptx-check-bad.cu
	nvcc -ptx -arch=compute_70 "$src" -o "$dir/bad_70.ptx"
	nvcc -ptx -arch=compute_90 "$src" -o "$dir/bad_90.ptx"
	if PTX_DIR=$dir bash "$0" sm_90 >"$dir/out" 2>&1; then
		echo "ptx-check --self-test: the bad kernels passed" >&2
		exit 1
	fi
	for want in "spiller spills" "tc_without_mma has no HMMA"; do
		if ! grep -q "$want" "$dir/out"; then
			echo "ptx-check --self-test: no \"$want\" in:" >&2
			cat "$dir/out" >&2
			exit 1
		fi
	done
	echo "ptx-check --self-test: a spill and a tensor-core kernel without HMMA are caught"
	exit 0
fi
cd "${PTX_DIR:-$(dirname "$0")/../kernels/cuda/ptx}"

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(sm_80 sm_90)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# entries lists the kernels of a PTX file.
entries() { sed -n 's/^\.visible \.entry \([A-Za-z0-9_]*\)(.*/\1/p' "$1" | sort; }

fail=0
printf '%-6s %-34s %5s %12s %8s %5s\n' arch kernel regs spill_bytes smem HMMA
for arch in "${archs[@]}"; do
	n=${arch#sm_}
	for ptx in *_"$n".ptx; do
		family=${ptx%_"$n".ptx}
		cubin=$tmp/$family.cubin
		ptxas -arch="$arch" -v "$ptx" -o "$cubin" 2>"$tmp/log"
		# ptxas -v: "Compiling entry function 'k'", then "N bytes spill
		# stores, M bytes spill loads", then "Used R registers, S bytes smem".
		awk '
			/Compiling entry function/ { split($0, q, "'"'"'"); k = q[2] }
			/bytes spill stores/ { sp[k] = $5 + $9 }
			/Used [0-9]+ registers/ {
				r = $5; s = 0
				for (i = 1; i + 2 <= NF; i++) if ($(i+2) ~ /^smem/) s = $i
				print k, r, sp[k], s
			}' "$tmp/log" | sort >"$tmp/props"
		cuobjdump -sass "$cubin" | awk '
			/Function :/ { k = $3; n[k] = 0 }
			/HMMA/ { n[k]++ }
			END { for (k in n) print k, n[k] }' | sort >"$tmp/hmma"
		tensor_core=""
		if [ "$n" != 70 ] && [ -f "${family}_70.ptx" ]; then
			tensor_core=$(comm -23 <(entries "$ptx") <(entries "${family}_70.ptx"))
		fi
		while read -r k regs spill smem; do
			hmma=$(awk -v k="$k" '$1 == k { print $2 }' "$tmp/hmma")
			printf '%-6s %-34s %5s %12s %8s %5s\n' "$arch" "$k" "$regs" "$spill" "$smem" "${hmma:-0}"
			if [ "$spill" != 0 ]; then
				echo "ptx-check: $k spills $spill bytes on $arch" >&2
				fail=1
			fi
			if grep -qx "$k" <<<"$tensor_core" && [ "${hmma:-0}" = 0 ]; then
				echo "ptx-check: tensor-core kernel $k has no HMMA instruction on $arch" >&2
				fail=1
			fi
		done <"$tmp/props"
	done
done
if [ $fail -ne 0 ]; then
	exit 1
fi
echo "ptx-check: no spills; every tensor-core kernel runs HMMA"
