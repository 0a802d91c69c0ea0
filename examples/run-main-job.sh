#!/usr/bin/env bash
# The main job: train the Fashion-MNIST MLP end to end and print its test accuracy.
# Uses the full data set when Debian's dataset-fashion-mnist is installed (installs it when run as root
# with apt-get available); otherwise the program falls back to its embedded sample and says so.
# Extra arguments go to `train`, e.g. `bash examples/run-main-job.sh --model cnn --epochs 20`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) \
    || echo "Could not install dataset-fashion-mnist; the embedded sample will be used."
fi
exec dotnet run -c Release --project examples/MiniHaiku.FashionMnist -- train --model mlp --epochs 15 --out runs/mlp "$@"
