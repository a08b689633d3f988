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

# apt refuses two entries for one archive with different keyrings: when the
# main archive is declared with Signed-By (deb822 .sources, as on these
# machines), name the same keyring here.
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
opts=
if grep -qs "Signed-By: *$keyring" /etc/apt/sources.list.d/*.sources; then
	opts="[signed-by=$keyring] "
fi
echo "deb ${opts}http://deb.debian.org/debian bookworm contrib non-free" >/etc/apt/sources.list.d/nonfree.list
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
