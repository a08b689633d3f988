#!/usr/bin/env bash
# cli-probes.sh: reruns the probes of docs/cli-reliability.md against a
# freshly built horse2zebra binary and prints one line per check, PASS or
# FAIL, then the kill -9 trial: a run killed at random moments and resumed
# until it finishes must end with the same checkpoint, byte for byte, and
# the same losses as an uninterrupted run.
#
# usage: scripts/cli-probes.sh [KILLS]   (KILLS: kill -9 attempts, default 8)
#
# Tiny networks on the built-in data at 32x32; under a minute on two cores.
# Each kill lands at a random moment in the first half of a run's time.
# The exit status is the number of failed checks (0: all passed).
set -u
cd "$(dirname "$0")/.."
kills=${1:-8}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
h2z="$work/h2z"
go build -o "$h2z" ./examples/horse2zebra || exit 1
tiny=(-ngf 8 -ndf 8 -blocks 1 -attn none -dlayers 2 -size 32 -count 8)
failed=0

# check NAME CONDITION...: runs the condition and prints PASS or FAIL.
check() {
	local name=$1
	shift
	if "$@"; then
		printf 'PASS  %s\n' "$name"
	else
		printf 'FAIL  %s\n' "$name"
		failed=$((failed + 1))
	fi
}

# h2z OUTFILE ARGS...: runs the binary, stdout and stderr into OUTFILE, and
# sets rc.
h2z() {
	local log=$1
	shift
	"$h2z" "$@" >"$log" 2>&1
	rc=$?
}

has() { grep -q -- "$2" "$1"; }

echo "== 1. -save-every 0, -sample-every 0"
h2z "$work/1.log" train -out "$work/p1" "${tiny[@]}" -iters 2 -decay 0 -save-every 0
check "save-every 0: exit 0 (was a divide-by-zero panic)" test "$rc" = 0
check "save-every 0: latest.safetensors written" test -f "$work/p1/checkpoints/latest.safetensors"
h2z "$work/1b.log" train -out "$work/p1b" "${tiny[@]}" -iters 2 -decay 0 -sample-every 0
check "sample-every 0: exit 0" test "$rc" = 0

echo "== 2. a text file named testA/0bad.jpg"
data="$work/data"
reals=$(ls "$work"/p1/results/images/*_real.png | head -4) # built-in test scenes, 32x32
for d in trainA trainB testA testB; do
	mkdir -p "$data/$d"
	# shellcheck disable=SC2086
	cp $reals "$data/$d/"
done
echo "not a jpeg" >"$data/testA/0bad.jpg"
h2z "$work/2.log" train -out "$work/p2" -data "$data" "${tiny[@]}" -iters 4 -decay 0 -sample-every 2 -save-every 2
check "bad test image: exit 0, training finished" test "$rc" = 0
check "bad test image: warned once" test "$(grep -c '0bad.jpg' "$work/2.log")" = 1
h2z "$work/2s.log" train -out "$work/p2s" -data "$data" "${tiny[@]}" -iters 4 -decay 0 -sample-every 2 -save-every 4 -strict
check "bad test image with -strict: exit 1" test "$rc" = 1
check "bad test image with -strict: fails before training, naming the file" has "$work/2s.log" "0bad.jpg"
check "bad test image with -strict: nothing trained" test ! -e "$work/p2s/checkpoints/latest.safetensors"

echo "== 3. NaN guard and divergence guard"
h2z "$work/3.log" train -out "$work/p3" "${tiny[@]}" -iters 6 -decay 0 -lr-g 1e30 -lr-d 1e30 -save-every 3
check "lr 1e30: exit 1 on a NaN" test "$rc" = 1
saved=$(grep -o 'to [^ ]*latest.safetensors' "$work/3.log" | head -1 | cut -c4-)
check "lr 1e30: names a checkpoint that exists ($saved)" test -n "$saved" -a -f "$saved"
for lr in 1e9 1e15; do
	h2z "$work/3-$lr.log" train -out "$work/p3-$lr" "${tiny[@]}" -iters 6 -decay 0 -lr-g "$lr" -lr-d "$lr"
	check "lr $lr: warns that training diverges" has "$work/3-$lr.log" "warning: training is diverging"
done

echo "== 4, 5, 8. translate"
ckpt="$work/p1/checkpoints/latest.safetensors"
mkdir -p "$work/in4" "$work/in5"
echo "not a jpeg" >"$work/in4/photo.jpg"
h2z "$work/4.log" translate -weights "$ckpt" -in "$work/in4/photo.jpg" -out "$work/o4"
check "translate of an unreadable file: exit 1" test "$rc" = 1
h2z "$work/4b.log" translate -weights "$ckpt" -in "$work/in4" -out "$work/o4"
check "translate of a folder whose only image is bad: exit 1" test "$rc" = 1
set -- $reals
cp "$1" "$work/in5/x.png"
cp "$2" "$work/in5/x.jpg" # a PNG named .jpg decodes
h2z "$work/5.log" translate -weights "$ckpt" -in "$work/in5" -out "$work/o5"
check "x.jpg and x.png: two outputs ($(ls "$work/o5" | tr '\n' ' '))" test "$(ls "$work/o5" | wc -l)" = 2
pth=testdata/golden/pth_generator.pth
if [ -f "$pth" ]; then
	h2z "$work/8.log" translate -weights "$pth" -in "$work/in5/x.png" -out "$work/o8" -direction sideways
	check "-direction sideways with a generator state dict: exit 1" test "$rc" = 1
fi

echo "== 6. values out of range"
for f in "-ngf -5" "-batch -3" "-iters -5" "-decay -5" "-lr-g -1" "-pool -7" "-lambda-cycle -3" "-count 0" "-count -5" "-lr-d nan"; do
	# shellcheck disable=SC2086
	h2z "$work/6.log" train -out "$work/p6" $f
	check "$f: refused, naming the flag, nothing written" test "$rc" = 1 -a ! -e "$work/p6" -a "$(grep -c -- "${f%% *} " "$work/6.log")" -ge 1
done

echo "== 7, 9, 10, 13. resume"
run7="$work/p7"
h2z "$work/7.log" train -out "$run7" "${tiny[@]}" -iters 2 -decay 2
h2z "$work/7a.log" train -out "$run7" -resume -iters 200 -ngf 32
check "-resume -iters 200 -ngf 32: refused, naming -ngf" test "$rc" = 1 -a "$(grep -c -- '-ngf would change' "$work/7a.log")" = 1
touch "$run7/checkpoints/.iter_000002.safetensors.tmp123" "$run7/checkpoints/.latest.safetensors.tmp456"
printf '5,0.7,0.12' >>"$run7/loss_log.csv" # a torn last row
h2z "$work/7b.log" train -out "$run7" -resume -iters 4 -decay 4
check "-resume -iters 4 -decay 4 after a 2+2 run: exit 0" test "$rc" = 0
check "  it trained to iteration 8" has "$work/7b.log" "checkpoint: .*(iteration 8)"
check "  the torn last row of loss_log.csv was dropped" has "$work/7b.log" "dropped its last row"
check "  the temporary files were removed" test -z "$(ls -A "$run7/checkpoints" | grep tmp)"
check "  the seconds column never goes back" awk -F, 'NR > 2 && $2 < prev { bad = 1 } NR > 1 { prev = $2 } END { exit bad }' "$run7/loss_log.csv"

echo "== 11, 12. signals"
# wait_rows DIR N: waits until DIR's loss log has N rows after the header.
wait_rows() {
	for _ in $(seq 600); do
		[ -f "$1/loss_log.csv" ] && [ "$(($(wc -l <"$1/loss_log.csv") - 1))" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
slow=(-ngf 16 -ndf 16 -blocks 2 -attn none -size 128 -count 8 -iters 20 -decay 0 -sample-every 0 -save-every 0)
"$h2z" train -out "$work/p11" "${slow[@]}" >"$work/11.log" 2>&1 &
pid=$!
wait_rows "$work/p11" 2
kill -TERM "$pid"
wait "$pid"
rc=$?
check "SIGTERM: exit 143 after saving" test "$rc" = 143 -a -f "$work/p11/checkpoints/latest.safetensors"
"$h2z" train -out "$work/p12" "${slow[@]}" >"$work/12.log" 2>&1 &
pid=$!
wait_rows "$work/p12" 2
t0=$(date +%s.%N)
kill -INT "$pid"
for _ in $(seq 400); do has "$work/12.log" "stopping after iteration" && break; sleep 0.01; done
t1=$(date +%s.%N)
check "Ctrl-C acknowledged in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s (an iteration takes $(awk -F, 'NR > 1 { s = $2 / $1 } END { printf "%.2f", s }' "$work/p12/loss_log.csv") s)" has "$work/12.log" "stopping after iteration"
kill -INT "$pid"
wait "$pid"
rc=$?
check "a second Ctrl-C: exit 130 at once, saying so" test "$rc" = 130 -a "$(grep -c 'again: stopping at once' "$work/12.log")" = 1

echo "== 13. help and flag errors"
"$h2z" -h >"$work/13.log" 2>&1
check "h2z -h lists the commands" has "$work/13.log" "commands:"
"$h2z" train -nosuch >"$work/13b.log" 2>&1
check "a flag error is printed once" test "$(grep -c 'not defined' "$work/13b.log")" = 1
"$h2z" translate -device cuda -weights x -in y >"$work/13c.log" 2>&1
check "translate -device cuda gives the build hint" has "$work/13c.log" "build with -tags cuda"

echo "== kill -9 at random moments, resume, compare with an uninterrupted run"
long=("${tiny[@]}" -iters 60 -decay 20 -save-every 5 -sample-every 20)
h2z "$work/ref.log" train -out "$work/ref" "${long[@]}"
started=$(date +%s.%N)
h2z "$work/time.log" train -out "$work/timing" "${long[@]}"
secs=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
killed=0 resumed=0 fresh=0
for _ in $(seq "$kills"); do
	args=(train -out "$work/k" "${long[@]}")
	if [ -f "$work/k/checkpoints/latest.safetensors" ]; then
		args+=(-resume)
		resumed=$((resumed + 1))
	else
		fresh=$((fresh + 1))
	fi
	"$h2z" "${args[@]}" >>"$work/k.log" 2>&1 &
	pid=$!
	sleep "$(awk -v s="$RANDOM" -v t="$secs" 'BEGIN { printf "%.2f", (s / 32768) * t / 2 }')"
	if kill -9 "$pid" 2>/dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2>/dev/null && break # it finished before the kill
done
args=(train -out "$work/k" "${long[@]}")
[ -f "$work/k/checkpoints/latest.safetensors" ] && args+=(-resume)
h2z "$work/k-last.log" "${args[@]}" # finishes the run, or does nothing more
echo "   $killed kills (a run takes $secs s uninterrupted); $resumed starts resumed a checkpoint, $fresh started afresh"
echo "   iterations resumed from: $(grep -ho 'resumed at iteration [0-9]*' "$work/k.log" "$work/k-last.log" | awk '{ printf "%s ", $4 }')of 80"
check "killed and resumed run: exit 0 at the end" test "$rc" = 0
check "killed and resumed run: latest.safetensors identical to the uninterrupted run's" cmp -s "$work/ref/checkpoints/latest.safetensors" "$work/k/checkpoints/latest.safetensors"
check "killed and resumed run: the same losses, iteration by iteration" cmp -s <(cut -d, -f1,3- "$work/ref/loss_log.csv") <(cut -d, -f1,3- "$work/k/loss_log.csv")
check "killed and resumed run: no temporary files left" test -z "$(find "$work/k" -name '.*tmp*')"

echo "$failed failed"
exit "$failed"
