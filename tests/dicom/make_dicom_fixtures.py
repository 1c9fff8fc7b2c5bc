#!/usr/bin/python3
"""Writes the DICOM test fixtures for tests/test_dicom.cpp with pydicom.

    /usr/bin/python3 tests/dicom/make_dicom_fixtures.py OUT_DIR [SHARED_DATA_DIR]

For every case: NAME.dcm, and for a decodable one NAME.f32, the expected
display image as little-endian float32 in [0, 1] (0 black, 1 white), computed
with pydicom's own pipeline: pixel_array -> apply_modality_lut ->
apply_voi_lut -> MONOCHROME1 inversion, padding pixels black. OUT_DIR/
manifest.json lists the cases and what the core must answer for each.

Debian's python3-pydicom (2.3), python3-numpy and python3-pil (pydicom's JPEG
decoder and the real films' JPEG decoder). Without them this prints why and
exits 0 without a manifest: the C++ tests then skip with that message.

Where pydicom 2.3 departs from the standard we follow the standard and say so
at the spot (search for "pydicom quirk").

The cases are in fixture_cases.py, the writer in fixture_writer.py, the
expected images in pydicom_pipeline.py. The output is rebuilt only when one of
these scripts or the data folder changed; it is written to a temporary folder
and renamed into place, so parallel runs are safe.
"""
import hashlib
import json
import os
import shutil
import sys
import tempfile

GENERATOR_VERSION = 1
# Every file whose change must rebuild the fixtures.
GENERATOR_FILES = ("make_dicom_fixtures.py", "fixture_writer.py", "fixture_cases.py", "pydicom_pipeline.py")

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
try:
    import pydicom
    from fixture_cases import build  # numpy, PIL and pydicom's encoders through these
    from fixture_writer import PATIENT_ID, PATIENT_NAME, Writer
except ImportError as e:  # the C++ tests skip and say so
    print(f"make_dicom_fixtures: {e}; install python3-pydicom python3-numpy python3-pil "
          "(make deps) to run the DICOM tests", file=sys.stderr)
    sys.exit(0)


def fingerprint(data_dir):
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in GENERATOR_FILES:
        h.update(open(os.path.join(here, name), "rb").read())
    h.update(f"{GENERATOR_VERSION} {pydicom.__version__} {data_dir}".encode())
    return h.hexdigest()


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = os.path.abspath(sys.argv[1])
    data_dir = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CXR_DATA_DIR")
    if not data_dir:
        guess = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")
        data_dir = os.path.realpath(guess) if os.path.isdir(os.path.join(guess, "chest_xray_224")) else ""
    stamp = fingerprint(data_dir)
    manifest = os.path.join(out, "manifest.json")
    try:
        if json.load(open(manifest))["fingerprint"] == stamp:
            return 0  # up to date
    except (OSError, ValueError, KeyError):
        pass

    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".dicom-fixtures-", dir=parent)
    try:
        w = Writer(tmp)
        build(w, data_dir)
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump({"fingerprint": stamp, "pydicom": pydicom.__version__, "data_dir": data_dir,
                       "patient_identifiers": [PATIENT_NAME.split("^")[0], PATIENT_ID], "cases": w.cases},
                      f, indent=1)
        old = out + ".old-" + str(os.getpid())
        if os.path.isdir(out):
            os.rename(out, old)
        try:
            os.rename(tmp, out)
        except OSError:  # another run got there first: fine if it wrote the same
            if json.load(open(manifest)).get("fingerprint") != stamp:
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"make_dicom_fixtures: {len(w.cases)} cases in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
