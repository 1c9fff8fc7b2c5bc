#!/usr/bin/env bash
# The model card's "Site calibration" numbers (issue 16): the shipped model
# calibrated as a clinic would, with `cxr calibrate`, on the `tune` half of
# test/ at target sensitivity 95%, then that calibration measured — nothing
# chosen — on the `report` half beside the model's default threshold on the
# same films. Films the gate flags and duplicate files are left out by the
# CLI as for any site (it lists them).
#   models/site_calibration.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/pneumonia.cxrm}
data=$(realpath "${DATA:-../shared/data}/chest_xray_224")
cli=build/native/cli/cxr
work=build/site-calibration
mkdir -p "$work"
for part in tune report; do  # test_halves.csv: file,class,subtype,patient,part (CRLF)
  awk -F, -v d="$data" -v part="$part" 'NR > 1 { sub(/\r$/, ""); if ($5 == part) print d "/" $1 "," $2 }' \
    "$data/test_halves.csv" > "$work/$part.csv"
done
echo "== calibrate on tune (target sensitivity 0.95)"
$cli calibrate --model "$model" --labels "$work/tune.csv" --target-sensitivity 0.95 --date 2026-12-07 \
  --out "$work/site.json"
echo "== measured on report (the default and the site threshold on the same films)"
$cli calibrate --model "$model" --labels "$work/report.csv" --check "$work/site.json"
