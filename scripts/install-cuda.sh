#!/usr/bin/env bash
# Installs what building kernels/cuda needs on Debian bookworm, if it is
# missing: nvcc (to regenerate the PTX), cuda.h and libcuda.so (for cgo under
# -tags cuda). All of it comes from Debian's nvidia-cuda-toolkit 11.8 in the
# contrib and non-free sections, which this script enables. No GPU and no
# kernel driver are installed or needed: libcuda.so only has to link; the
# real driver is needed only where the tests run on a GPU.
#
# Idempotent; run as root (CI and the developer machines are). Exits non-zero
# if the packages cannot be installed.
set -euo pipefail

have() {
	command -v nvcc >/dev/null 2>&1 &&
		[ -f /usr/include/cuda.h ] &&
		{ [ -e /usr/lib/x86_64-linux-gnu/libcuda.so ] || [ -e /usr/lib/x86_64-linux-gnu/stubs/libcuda.so ]; }
}

if have; then
	echo "install-cuda: toolkit present: $(nvcc --version | sed -n "s/.*release /nvcc /p")"
	exit 0
fi

# The Debian archive and suite this machine already uses (so that a machine
# behind a mirror or a proxy keeps working): the first "deb" source with the
# main component and a plain release suite (not -updates or -security), from
# deb822 .sources files or one-line .list entries. Prints "OPTIONS URI SUITE",
# OPTIONS being "[signed-by=...]" or "-" for none.
debian_source() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			types = uris = suites = comps = key = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^#/) continue
				split($i, kv, ":[ \t]*")
				v = substr($i, length(kv[1]) + 2); sub(/^[ \t]+/, "", v)
				if (kv[1] == "Types") types = v
				if (kv[1] == "URIs") uris = v
				if (kv[1] == "Suites") suites = v
				if (kv[1] == "Components") comps = v
				if (kv[1] == "Signed-By") key = v
				if (kv[1] == "Enabled" && v == "no") types = ""
			}
			if (types !~ /(^| )deb( |$)/ || comps !~ /(^| )main( |$)/) next
			split(uris, u, " "); n = split(suites, s, " ")
			for (j = 1; j <= n; j++)
				if (s[j] !~ /-/) { print (key == "" ? "-" : "[signed-by=" key "]"), u[1], s[j]; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			opts = "-"
			if ($2 ~ /^\[/) { opts = ""; while ($2 !~ /\]$/) { opts = opts $2 " "; $2 = ""; $0 = $0 } ; opts = opts $2; $2 = ""; $0 = $0 }
			main = 0
			for (i = 4; i <= NF; i++) if ($i == "main") main = 1
			if (main && $3 !~ /-/) { print opts, $2, $3; exit }
		}' "$f"
	done
}

read -r opts uri suite < <(debian_source | head -n 1) || true
if [ -z "${uri:-}" ]; then
	echo "install-cuda: found no Debian source with the main component in /etc/apt/sources.list or" >&2
	echo "/etc/apt/sources.list.d/; add the machine's Debian archive there first" >&2
	exit 1
fi
[ "$opts" = "-" ] && opts="" || opts="$opts "
# The same archive in contrib and non-free, with the same Signed-By as its
# main entry (apt refuses two entries for one archive with different keyrings).
echo "deb ${opts}${uri} ${suite} contrib non-free" >/etc/apt/sources.list.d/nonfree.list
echo "install-cuda: contrib and non-free from ${uri} ${suite}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps out the kernel driver, DKMS and the
# documentation; libcuda1 brings libcuda.so.1 (and the unversioned link
# through nvidia-cuda-dev's dependencies).
apt-get install -y -qq --no-install-recommends nvidia-cuda-toolkit nvidia-cuda-dev libcuda1 >/dev/null

if ! have; then
	echo "install-cuda: packages installed but nvcc, cuda.h or libcuda.so is still missing" >&2
	exit 1
fi
echo "install-cuda: installed $(nvcc --version | sed -n "s/.*release /nvcc /p")"
