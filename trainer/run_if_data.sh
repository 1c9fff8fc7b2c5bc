#!/bin/sh
# Runs "$@" when the data folder $1 exists; otherwise exits 77 (ctest: skipped)
# with a message saying why.
data="$1"; shift
if [ ! -d "$data" ]; then
  echo "SKIPPED: $data not found (set CXR_DATA_DIR to the folder holding chest_xray_224, or CXR_PRETRAINED_DIR to the pretrained weights)"
  exit 77
fi
exec "$@"
