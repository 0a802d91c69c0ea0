#!/bin/sh
# Makes the small embedded Fashion-MNIST sample (Sample/*.gz) from the Debian package
# dataset-fashion-mnist: the first TRAIN_PER_CLASS training and TEST_PER_CLASS test images of each
# class, in their original order, written as gzip IDX files with the standard names (deterministic
# output: gzip mtime 0). Usage: ./make-sample.sh [SOURCE_DIR] [TRAIN_PER_CLASS] [TEST_PER_CLASS]
set -eu
SRC="${1:-/usr/share/datasets/fashion-mnist}"
TRAIN_PER_CLASS="${2:-100}"
TEST_PER_CLASS="${3:-50}"
OUT="$(dirname "$0")/Sample"
if [ ! -f "$SRC/train-images-idx3-ubyte.gz" ]; then
  echo "Fashion-MNIST not found in $SRC: apt-get install dataset-fashion-mnist (or pass a folder)." >&2
  exit 1
fi
mkdir -p "$OUT"
python3 - "$SRC" "$OUT" "$TRAIN_PER_CLASS" "$TEST_PER_CLASS" <<'PY'
import gzip, struct, sys
src, out, train_k, test_k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def read(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]

def write(path, shape, body):
    header = bytes([0, 0, 8, len(shape)]) + struct.pack(">" + "i" * len(shape), *shape)
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=9) as f:
        f.write(header + body)

for split, k in (("train", train_k), ("t10k", test_k)):
    (n, rows, cols), pixels = read(f"{src}/{split}-images-idx3-ubyte.gz")
    (m,), labels = read(f"{src}/{split}-labels-idx1-ubyte.gz")
    assert n == m, f"{split}: {n} images but {m} labels"
    taken, chosen = [0] * 10, []
    for i, label in enumerate(labels):
        if taken[label] < k:
            taken[label] += 1
            chosen.append(i)
    size = rows * cols
    write(f"{out}/{split}-images-idx3-ubyte.gz", (len(chosen), rows, cols),
          b"".join(pixels[i * size:(i + 1) * size] for i in chosen))
    write(f"{out}/{split}-labels-idx1-ubyte.gz", (len(chosen),), bytes(labels[i] for i in chosen))
    print(f"{split}: {len(chosen)} images ({k} per class)")
PY
ls -l "$OUT"
