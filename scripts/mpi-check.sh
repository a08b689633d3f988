#!/usr/bin/env bash
# Data-parallel training end to end, with 2 processes of a tiny model
# (about 20 s on 2 cores):
#   1. a 2-rank run stopped after 4 iterations and resumed to 8 ends with a
#      checkpoint byte-identical to an uninterrupted 8-iteration run (image
#      pools of 2, so that the restored per-rank pools matter);
#   2. killing one rank with SIGKILL ends the whole job within 30 s, with
#      a message naming the rank.
# Needs Debian's openmpi-bin and libopenmpi-dev. Prints PASS or FAIL per
# check and exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
go build -tags mpi -o "$tmp/h2z" ./examples/horse2zebra
mpirun=(mpirun --allow-run-as-root --oversubscribe -np 2)
flags=(-ngf 8 -ndf 8 -blocks 1 -attn none -size 32 -count 16 -decay 0 -save-every 4 -sample-every 0 -pool 2)
failed=0
check() { # NAME COMMAND...: PASS if the command succeeds
	local name=$1
	shift
	if "$@"; then echo "PASS: $name"; else echo "FAIL: $name"; failed=$((failed + 1)); fi
}

"${mpirun[@]}" "$tmp/h2z" train "${flags[@]}" -iters 8 -out "$tmp/whole" >"$tmp/whole.log" 2>&1
"${mpirun[@]}" "$tmp/h2z" train "${flags[@]}" -iters 4 -out "$tmp/parts" >"$tmp/part1.log" 2>&1
"${mpirun[@]}" "$tmp/h2z" train "${flags[@]}" -iters 8 -resume -out "$tmp/parts" >"$tmp/part2.log" 2>&1
check "2 ranks: the run says it trains on 2 processes" \
	grep -q "data-parallel training on 2 processes" "$tmp/whole.log"
check "2 ranks: stopped at 4 and resumed to 8 equals 8 uninterrupted, byte for byte" \
	cmp -s "$tmp/whole/checkpoints/latest.safetensors" "$tmp/parts/checkpoints/latest.safetensors"

"${mpirun[@]}" "$tmp/h2z" train "${flags[@]}" -iters 100000 -save-every 50 -out "$tmp/kill" >"$tmp/kill.log" 2>&1 &
job=$!
# Wait for both ranks to be training, then kill the last one started.
for _ in $(seq 100); do
	[ "$(pgrep -f "$tmp/h2z train" | wc -l)" -ge 3 ] && [ -s "$tmp/kill.log" ] && break
	sleep 0.2
done
sleep 2
victim=$(pgrep -f "^$tmp/h2z train" | tail -n 1)
start=$(date +%s)
kill -9 "$victim"
ended=1
for _ in $(seq 150); do
	if ! kill -0 "$job" 2>/dev/null; then ended=0; break; fi
	sleep 0.2
done
wait "$job" 2>/dev/null || true
echo "killed rank (pid $victim): the job ended after $(($(date +%s) - start)) s"
check "a rank killed with SIGKILL ends the job within 30 s" [ $ended = 0 ]
check "the job's message names the killed rank" grep -Eq "process rank [0-9]+ .*exited on signal 9" "$tmp/kill.log"
if [ $ended != 0 ]; then pkill -9 -f "$tmp/h2z" || true; fi

echo "$((4 - failed)) passed, $failed failed"
[ $failed = 0 ]
