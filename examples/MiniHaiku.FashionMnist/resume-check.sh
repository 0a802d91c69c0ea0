#!/usr/bin/env bash
# A killed run resumes from its last checkpoint and ends exactly like an uninterrupted one.
# Trains the MLP on the embedded sample twice with the same seed: once straight through, once killed with
# SIGKILL after its checkpoint at step KILL_AFTER_STEP exists and then resumed with --resume. Prints both
# final test accuracies and compares the two model.safetensors files byte for byte.
# Usage: examples/MiniHaiku.FashionMnist/resume-check.sh [KILL_AFTER_STEP]   (APP overrides the command)
set -euo pipefail
cd "$(dirname "$0")/../.."
kill_after=${1:-125}
app=${APP:-"dotnet examples/MiniHaiku.FashionMnist/bin/Release/net10.0/MiniHaiku.FashionMnist.dll"}
[ -n "${APP:-}" ] || dotnet build -c Release -v q -nologo examples/MiniHaiku.FashionMnist >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(train --model mlp --epochs 10 --batch-size 20 --seed 3 --threads 1 --checkpoint-every 25
      --data examples/MiniHaiku.FashionMnist/Sample)

$app "${args[@]}" --out "$out/straight" > "$out/straight.log"
straight=$(grep '^test accuracy:' "$out/straight.log")

$app "${args[@]}" --out "$out/killed" > "$out/killed.log" &
pid=$!
target=$(printf '%s/killed/checkpoints/step-%010d.safetensors' "$out" "$kill_after")
while [ ! -e "$target" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if [ -e "$out/killed/model.safetensors" ]; then echo "the run finished before it could be killed: raise the epochs"; exit 1; fi
echo "killed after: $(cd "$out/killed/checkpoints" && ls step-*.safetensors | tr '\n' ' ')"

$app "${args[@]}" --out "$out/killed" --resume > "$out/resumed.log"
grep '^Resuming from' "$out/resumed.log" | sed "s|$out/||"
resumed=$(grep '^test accuracy:' "$out/resumed.log")
echo "uninterrupted: $straight"
echo "resumed:       $resumed"
[ "$straight" = "$resumed" ] || { echo "FAIL: accuracies differ"; exit 1; }
cmp "$out/straight/model.safetensors" "$out/killed/model.safetensors" && echo "model.safetensors: byte-identical"
