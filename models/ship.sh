#!/usr/bin/env bash
# Turns one trained run into the shipped model file, in the order the model
# card describes: the OOD gate refitted, weights to f16 (compared on
# validation), the file repacked, the benchmark, then the measurements — tune
# and all 624 test films (no longer a clean test once tune chose), and the
# `report` half LAST, once (models/PROTOCOL-model-v2.md). Prints every number
# the card quotes; writes models/pneumonia.cxrm only when everything passed.
#   models/ship.sh build/trainer/runs/RUN.cxrm
# A shipped model whose weights stay as they are but whose gate is refitted
# (2.0.0 -> 2.1.0: the adult check, models/PROTOCOL-gate-v2.md) skips the f16
# conversion (its weights are halves already):
#   KEEP_WEIGHTS=1 VERSION=2.1.0 models/ship.sh models/pneumonia.cxrm
# The gate's adult check uses ../shared/data/adult_nih (cxr-train --help: gate).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: models/ship.sh RUN.cxrm}
data=${DATA:-../shared/data}/chest_xray_224
halves=$data/test_halves.csv
train=build/native/trainer/cxr-train
work=build/trainer/ship
mkdir -p "$work"
model=$work/pneumonia.cxrm
cp "$run" "$model"
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295
# The train-serve match (preprocess.h) before anything is fitted: fit writes
# it already; an older file gets it here.
$train repack --model "$model" --prescale "${PRESCALE:-224x224}"
$train gate --model "$model" --data "$data"
[ -n "${KEEP_WEIGHTS:-}" ] || $train convert --model "$model" --out "$model" --data "$data"
$train repack --model "$model" --ood-precision f16 --data "$data" --version "${VERSION:-2.0.0}"
$train ood-bench --model "$model" --data "$data" --split test --per-set 100 --seed 1 --write-into-model --check \
  --out "$work/ood.json"
$train evaluate --model "$model" --data "$data" --halves "$halves" --part tune --write-into-model --out "$work/tune.json"
$train evaluate --model "$model" --data "$data" --split test --write-into-model --out "$work/test.json"
$train shortcuts --model "$model" --data "$data" --halves "$halves" --part tune --out "$work/shortcuts.tune.json"
# The report half: once per shipped model, nothing is chosen after this line.
$train evaluate --model "$model" --data "$data" --halves "$halves" --part report --write-into-model --out "$work/report.json"
$train shortcuts --model "$model" --data "$data" --halves "$halves" --part report --out "$work/shortcuts.report.json"
cp "$model" models/pneumonia.cxrm
build/native/cli/cxr info models/pneumonia.cxrm
