#!/bin/sh
# tests/fuzz/merge.sh FUZZER CORPUS NEW MAX_LEN MAX_FILES MAX_BYTES
# Adds to the checked-in CORPUS the inputs of NEW (a fuzzing run's output) that reach code
# edges CORPUS does not (libFuzzer -merge=1 with -use_counters=0: edges, not hit counts, so
# the corpus stays small). When that would take CORPUS over MAX_FILES, the largest new inputs
# are left out (they stay in NEW) and the script says how many. Inputs of MAX_BYTES or more
# are never added. Prints the before/after counts; exits non-zero on a libFuzzer failure.
set -eu
fuzzer=$1 corpus=$2 new=$3 max_len=$4 max_files=$5 max_bytes=$6
name=$(basename "$corpus")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ls "$corpus" | sort > "$tmp/before"
if ! "$fuzzer" -merge=1 -use_counters=0 -max_len="$max_len" "$corpus" "$new" > "$tmp/log" 2>&1; then
    tail -n 30 "$tmp/log"
    exit 1
fi
ls "$corpus" | sort > "$tmp/after"
comm -13 "$tmp/before" "$tmp/after" > "$tmp/added"
# Drop new inputs that are too big, then the largest ones over the file cap.
room=$(( max_files - $(wc -l < "$tmp/before") ))
[ "$room" -lt 0 ] && room=0
dropped=0
while read -r f; do
    size=$(wc -c < "$corpus/$f")
    echo "$size $f"
done < "$tmp/added" | sort -n > "$tmp/bysize"
kept=0
while read -r size f; do
    if [ "$size" -ge "$max_bytes" ] || [ "$kept" -ge "$room" ]; then
        rm -f "$corpus/$f"
        dropped=$((dropped + 1))
    else
        kept=$((kept + 1))
    fi
done < "$tmp/bysize"
echo "fuzz-merge: $name: $(wc -l < "$tmp/before") -> $(ls "$corpus" | wc -l) files ($kept new; $dropped left out over the limits of $max_files files / $max_bytes bytes, still in $new)"
