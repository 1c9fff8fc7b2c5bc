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

The output is rebuilt only when this script or the data folder changed; it is
written to a temporary folder and renamed into place, so parallel runs are safe.
"""
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile

GENERATOR_VERSION = 1

try:
    import numpy as np
    import pydicom
    from PIL import Image
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut, convert_color_space
    from pydicom.sequence import Sequence
    from pydicom.uid import (ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless,
                             generate_uid, PYDICOM_IMPLEMENTATION_UID)
except ImportError as e:  # the C++ tests skip and say so
    print(f"make_dicom_fixtures: {e}; install python3-pydicom python3-numpy python3-pil "
          "(make deps) to run the DICOM tests", file=sys.stderr)
    sys.exit(0)

DX_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
# Identifiers that must never appear in anything the core says.
PATIENT_NAME = "Zyxwvut^Identifier"
PATIENT_ID = "CXR-SECRET-ID-8472"

SHARED_IMAGE_224 = "chest_xray_224/test/NORMAL/IM-0001-0001.jpeg"
SHARED_IMAGE_224_PNEUMONIA = "chest_xray_224/test/PNEUMONIA/person100_bacteria_475.jpeg"


class Writer:
    def __init__(self, out):
        self.out = out
        self.cases = []

    # ------------------------------------------------------------ datasets

    @staticmethod
    def base(rows, cols, *, bits=16, stored=None, signed=False, photometric="MONOCHROME2", spp=1, **extra):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SOPClassUID = DX_STORAGE
        ds.SOPInstanceUID = generate_uid()
        ds.Modality = "DX"
        ds.PatientName = PATIENT_NAME
        ds.PatientID = PATIENT_ID
        ds.PatientAge = "006Y"
        ds.BodyPartExamined = "CHEST"
        ds.ViewPosition = "PA"
        ds.SamplesPerPixel = spp
        ds.PhotometricInterpretation = photometric
        if spp == 3:
            ds.PlanarConfiguration = 0
        ds.Rows = rows
        ds.Columns = cols
        ds.BitsAllocated = bits
        ds.BitsStored = stored if stored is not None else bits
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = 1 if signed else 0
        for key, value in extra.items():
            setattr(ds, key, value)
        return ds

    def save(self, ds, name, syntax=ExplicitVRLittleEndian, part10=True):
        path = os.path.join(self.out, name + ".dcm")
        if part10:
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = ds.SOPClassUID
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            meta.TransferSyntaxUID = syntax
            meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
            ds.file_meta = meta
            ds.preamble = b"\0" * 128
            ds.is_little_endian = syntax != "1.2.840.10008.1.2.2"
            ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
            try:
                known = pydicom.uid.UID(syntax).is_transfer_syntax
            except ValueError:
                known = False
            if known:
                ds.save_as(path, write_like_original=False)
            else:
                # pydicom 2.3 will not write a standard UID it does not know
                # (HTJ2K, MPEG...): write a private placeholder of the same
                # length, then put the real UID in its place.
                placeholder = ("9." * len(syntax))[:len(syntax) - 1] + "9"
                meta.TransferSyntaxUID = placeholder
                ds.is_little_endian, ds.is_implicit_VR = True, False
                ds.save_as(path, write_like_original=False)
                data = open(path, "rb").read()
                assert data.count(placeholder.encode()) == 1
                with open(path, "wb") as f:
                    f.write(data.replace(placeholder.encode(), syntax.encode()))
        else:  # a bare dataset: no preamble, no "DICM", no file meta
            ds.is_little_endian = True
            ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
            pydicom.dcmwrite(path, ds, write_like_original=True)
        return path

    @staticmethod
    def read(path, syntax):
        ds = pydicom.dcmread(path, force=True)
        if "TransferSyntaxUID" not in ds.file_meta:
            ds.file_meta.TransferSyntaxUID = syntax
        return ds

    # ------------------------------------------------------------ cases

    def ok(self, name, ds, *, syntax=ExplicitVRLittleEndian, part10=True, tolerance=1.0 / 65535,
           mean_tolerance=None, warnings=(), expected=None, **extra):
        """A file the core must decode; expected pixels from pydicom unless given."""
        path = self.save(ds, name, syntax, part10)
        if expected is None:
            expected = expected_display(self.read(path, syntax))
        expected.astype("<f4").tofile(os.path.join(self.out, name + ".f32"))
        case = {"name": name, "file": name + ".dcm", "expect": "ok", "width": int(ds.Columns),
                "height": int(ds.Rows), "expected": name + ".f32", "tolerance": tolerance,
                "warnings": list(warnings)}
        if mean_tolerance is not None:
            case["mean_tolerance"] = mean_tolerance
        case.update(extra)
        self.cases.append(case)

    def error(self, name, ds_or_bytes, status, message, *, syntax=ExplicitVRLittleEndian, part10=True, cut=None):
        """A file the core must refuse with `status` and a message containing `message`."""
        if isinstance(ds_or_bytes, (bytes, bytearray)):
            path = os.path.join(self.out, name + ".dcm")
            with open(path, "wb") as f:
                f.write(ds_or_bytes)
        else:
            path = self.save(ds_or_bytes, name, syntax, part10)
        if cut is not None:
            data = open(path, "rb").read()
            with open(path, "wb") as f:
                f.write(data[:cut(len(data))])
        self.cases.append({"name": name, "file": name + ".dcm", "expect": "error", "status": status,
                           "message": message})


# ---------------------------------------------------------------- the pipeline, by pydicom

def stored_values(ds, arr):
    """Stored values per PS3.5 8.1.1: the Bits Stored bits ending at High Bit,
    sign-extended for Pixel Representation 1.

    pydicom quirk: 2.3's pixel_array keeps whatever lies above High Bit (a
    12-bit file with garbage in bits 12-15 reads as a 16-bit value); the
    standard says those bits are not part of the value, so mask them here."""
    bits, stored, high = int(ds.BitsAllocated), int(ds.BitsStored), int(ds.HighBit)
    raw = arr.astype(np.int64) & ((1 << bits) - 1)
    v = (raw >> (high + 1 - stored)) & ((1 << stored) - 1)
    if int(ds.PixelRepresentation) == 1:
        v = np.where(v & (1 << (stored - 1)), v - (1 << stored), v)
    return v


def padding_mask(ds, stored):
    if "PixelPaddingValue" not in ds:
        return np.zeros(stored.shape, bool)
    a = int(ds.PixelPaddingValue)
    b = int(ds.PixelPaddingRangeLimit) if "PixelPaddingRangeLimit" in ds else a
    lo, hi = min(a, b), max(a, b)
    return (stored >= lo) & (stored <= hi)


def first_frame(ds):
    arr = ds.pixel_array
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    return arr[0] if frames > 1 else arr


def luma(r, g, b):
    """The core's integer luma (decode.cpp): the same for PNG and DICOM."""
    return (77 * r.astype(np.int64) + 150 * g.astype(np.int64) + 29 * b.astype(np.int64) + 128) >> 8


def expected_display(ds):
    arr = first_frame(ds)
    if int(ds.SamplesPerPixel) == 3:
        maximum = (1 << int(ds.BitsStored)) - 1
        # pixel_array is (rows, cols, 3) whatever the planar configuration.
        if ds.PhotometricInterpretation == "YBR_FULL" and ds.file_meta.TransferSyntaxUID != JPEGBaseline8Bit:
            gray = arr[..., 0].astype(np.int64)
        elif ds.PhotometricInterpretation.startswith("YBR"):
            # pydicom leaves a YBR JPEG's decoded pixels in YCbCr; convert as
            # the core's JPEG decoder (stb) does, then the luma.
            rgb = convert_color_space(arr, "YBR_FULL", "RGB")
            gray = luma(rgb[..., 0], rgb[..., 1], rgb[..., 2])
        else:
            gray = luma(arr[..., 0], arr[..., 1], arr[..., 2])
        return gray / maximum

    stored = stored_values(ds, arr)
    pad = padding_mask(ds, stored)
    modality = apply_modality_lut(stored, ds).astype(np.float64)
    if ds.get("VOILUTSequence"):
        entries, first, bits = (int(v) for v in ds.VOILUTSequence[0].LUTDescriptor)
        entries = entries or 65536
        # pydicom quirk: apply_voi indexes an 8-bit LUT with a uint8 array, so
        # an input more than 255 above the first mapped value wraps around
        # instead of clamping to the last entry (PS3.3 C.11.2.1.1). Clamping
        # the input to the LUT's range first is the same mapping by the
        # standard and keeps pydicom's indices in range.
        clamped = np.clip(np.floor(modality), first, first + entries - 1).astype(np.int64)
        out = apply_voi_lut(clamped, ds)
        y = out.astype(np.float64) / ((1 << bits) - 1)
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        out = apply_voi_lut(modality, ds)
        # pydicom quirk: apply_windowing's output range is the stored range
        # mapped through Rescale Slope/Intercept, so a negative slope makes
        # y_max < y_min and the output comes out inverted. PS3.3 C.11.2.1.2
        # maps to the display's range [ymin, ymax] whatever the slope.
        # Normalising with pydicom's own y_min/y_max undoes both its range and
        # that inversion, leaving the standard's [0, 1].
        y_min, y_max = pydicom_window_range(ds)
        y = (out - y_min) / (y_max - y_min)
    else:
        values = modality[~pad]
        lo, hi = values.min(), values.max()
        y = (modality - lo) / (hi - lo) if hi > lo else np.zeros(modality.shape)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 1 - y
    y[pad] = 0
    return np.clip(y, 0, 1)


def pydicom_window_range(ds):
    """The y_min/y_max that pydicom 2.3's apply_windowing uses (util.py)."""
    if ds.get("ModalityLUTSequence"):
        return 0, 2 ** int(ds.ModalityLUTSequence[0].LUTDescriptor[2]) - 1
    stored = int(ds.BitsStored)
    if int(ds.PixelRepresentation) == 0:
        y_min, y_max = 0, 2 ** stored - 1
    else:
        y_min, y_max = -2 ** (stored - 1), 2 ** (stored - 1) - 1
    if "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        y_min, y_max = y_min * slope + intercept, y_max * slope + intercept
    return y_min, y_max


# ---------------------------------------------------------------- images

ROWS, COLS = 48, 64  # not square: a swapped Rows/Columns shows


def synthetic(lo, hi, rows=ROWS, cols=COLS, seed=1):
    """A gradient plus noise plus a block, covering [lo, hi]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    base = (x / (cols - 1) * 0.7 + y / (rows - 1) * 0.3)
    img = base + rng.uniform(-0.05, 0.05, base.shape)
    img[rows // 4:rows // 2, cols // 4:cols // 2] = 0.9
    img = (img - img.min()) / (img.max() - img.min())
    img.flat[0], img.flat[-1] = 0.0, 1.0
    return np.round(lo + img * (hi - lo)).astype(np.int64)


def jpeg_bytes(pixels, mode):
    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8), mode).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def lut_item(entries, first, bits, values):
    item = Dataset()
    item.LUTDescriptor = [entries, first, bits]
    item.LUTData = [int(v) for v in values]
    item["LUTData"].VR = "US"
    return item


def set_encapsulated(ds, fragments_per_frame, has_bot=True):
    ds.PixelData = encapsulate(fragments_per_frame, has_bot=has_bot)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True


# ---------------------------------------------------------------- the matrix

def build(w, data_dir):
    u16 = synthetic(0, 65535)
    u12 = synthetic(0, 4095)
    s16 = synthetic(-30000, 30000)
    s12 = synthetic(-2048, 2047)
    u8 = synthetic(0, 255)

    # Syntax and layout: Part 10 / bare, explicit / implicit, 8 / 16 bit.
    for name, syntax, part10 in [("mono16_explicit_part10", ExplicitVRLittleEndian, True),
                                 ("mono16_implicit_part10", ImplicitVRLittleEndian, True),
                                 ("mono16_implicit_bare", ImplicitVRLittleEndian, False),
                                 ("mono16_explicit_bare", ExplicitVRLittleEndian, False)]:
        ds = w.base(ROWS, COLS)
        ds.PixelData = u16.astype("<u2").tobytes()
        w.ok(name, ds, syntax=syntax, part10=part10)
    for name, syntax, part10 in [("mono8_explicit_part10", ExplicitVRLittleEndian, True),
                                 ("mono8_implicit_bare", ImplicitVRLittleEndian, False)]:
        ds = w.base(ROWS, COLS, bits=8)
        ds.PixelData = u8.astype("u1").tobytes()
        w.ok(name, ds, syntax=syntax, part10=part10)

    # Bits Stored 12, High Bit 11: unsigned and signed, with garbage above the
    # high bit that must be masked off.
    rng = np.random.default_rng(7)
    garbage = rng.integers(0, 16, u12.shape) << 12
    ds = w.base(ROWS, COLS, stored=12)
    ds.PixelData = (u12 | garbage).astype("<u2").tobytes()
    w.ok("bits12_unsigned_masked", ds)
    ds = w.base(ROWS, COLS, stored=12, signed=True)
    ds.PixelData = ((s12 & 0xFFF) | garbage).astype("<u2").tobytes()
    w.ok("bits12_signed_masked", ds, syntax=ImplicitVRLittleEndian)
    ds = w.base(ROWS, COLS, signed=True)
    ds.PixelData = s16.astype("<i2").tobytes()
    w.ok("signed16", ds)

    # Pixel padding: excluded from min-max, black in the result (also with
    # MONOCHROME1), at values that would not be black without the padding rule.
    padded = u12.copy()
    padded[:, :6] = 2000
    ds = w.base(ROWS, COLS, stored=12, PixelPaddingValue=2000)
    ds.PixelData = padded.astype("<u2").tobytes()
    w.ok("padding_value", ds)
    padded = u12.copy()
    padded[:, -5:] = 0
    padded[:3, :] = 7
    ds = w.base(ROWS, COLS, stored=12, photometric="MONOCHROME1", PixelPaddingValue=0,
                PixelPaddingRangeLimit=10)
    ds.PixelData = padded.astype("<u2").tobytes()
    w.ok("padding_range_monochrome1", ds)
    padded = s12.copy()
    padded[-4:, :] = -2000
    ds = w.base(ROWS, COLS, stored=12, signed=True, PixelPaddingValue=-2000,
                WindowCenter=-1500, WindowWidth=3000)
    ds["PixelPaddingValue"].VR = "SS"
    ds.PixelData = (padded & 0xFFFF).astype("<u2").tobytes()
    w.ok("padding_signed_window", ds)

    # Modality LUT: Rescale Slope/Intercept in double, incl. slope < 1 and negative.
    ds = w.base(ROWS, COLS, stored=12, RescaleSlope=0.5, RescaleIntercept=-10.25, RescaleType="US",
                WindowCenter=900.5, WindowWidth=1500)
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("rescale_half_window", ds)
    ds = w.base(ROWS, COLS, stored=12, RescaleSlope=0.25, RescaleIntercept=3.75)
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("rescale_quarter_minmax", ds, syntax=ImplicitVRLittleEndian)
    ds = w.base(ROWS, COLS, stored=12, RescaleSlope=-1, RescaleIntercept=4095, RescaleType="US",
                WindowCenter=1500, WindowWidth=2000)
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("rescale_negative_window", ds)
    ds = w.base(ROWS, COLS, stored=12, signed=True, RescaleSlope=-2.5, RescaleIntercept=100.5)
    ds.PixelData = (s12 & 0xFFFF).astype("<u2").tobytes()
    w.ok("rescale_negative_signed_minmax", ds)
    lut = np.round(np.sqrt(np.arange(4096) / 4095) * 65535).astype(int)
    ds = w.base(ROWS, COLS, stored=12, WindowCenter=30000, WindowWidth=50000)
    ds.ModalityLUTSequence = Sequence([lut_item(4096, 0, 16, lut)])
    ds.ModalityLUTSequence[0].ModalityLUTType = "US"
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("modality_lut_sequence", ds)

    # VOI: window (single and multi-valued), LINEAR / LINEAR_EXACT / SIGMOID,
    # VOI LUT Sequence (precedence over a window), MONOCHROME1 after VOI.
    for name, extra in [("window_linear", dict(WindowCenter=2000, WindowWidth=1001)),
                        ("window_multivalued", dict(WindowCenter=[1500, 3000], WindowWidth=[800, 4000])),
                        ("window_linear_exact", dict(WindowCenter=2047.5, WindowWidth=1000.25,
                                                     VOILUTFunction="LINEAR_EXACT")),
                        ("window_sigmoid", dict(WindowCenter=1800, WindowWidth=900, VOILUTFunction="SIGMOID")),
                        ("window_width_one", dict(WindowCenter=2048, WindowWidth=1)),
                        ("monochrome1_window", dict(WindowCenter=2500, WindowWidth=3000,
                                                    PhotometricInterpretation="MONOCHROME1")),
                        ("monochrome1_minmax", dict(PhotometricInterpretation="MONOCHROME1"))]:
        ds = w.base(ROWS, COLS, stored=12, **extra)
        ds.PixelData = u12.astype("<u2").tobytes()
        w.ok(name, ds, syntax=ImplicitVRLittleEndian if "multi" in name else ExplicitVRLittleEndian)
    voi = np.round((1 - np.cos(np.linspace(0, np.pi, 3000))) / 2 * 65535).astype(int)
    ds = w.base(ROWS, COLS, stored=12, WindowCenter=10, WindowWidth=20)  # the LUT wins
    ds.VOILUTSequence = Sequence([lut_item(3000, 500, 16, voi), lut_item(2, 0, 16, [0, 65535])])
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("voi_lut_sequence_16bit", ds)
    ds = w.base(ROWS, COLS, stored=12)
    ds.VOILUTSequence = Sequence([lut_item(256, 1000, 8, np.arange(256)[::-1])])
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("voi_lut_sequence_8bit_implicit", ds, syntax=ImplicitVRLittleEndian)

    # Colour: RGB interleaved and planar, YBR_FULL.
    rgb = np.stack([u8, synthetic(0, 255, seed=2), synthetic(0, 255, seed=3)], axis=-1)
    ds = w.base(ROWS, COLS, bits=8, spp=3, photometric="RGB")
    ds.PixelData = rgb.astype("u1").tobytes()
    w.ok("rgb_interleaved", ds, warnings=["colour image converted to gray"])
    ds = w.base(ROWS, COLS, bits=8, spp=3, photometric="RGB", PlanarConfiguration=1)
    ds.PixelData = np.moveaxis(rgb, -1, 0).astype("u1").tobytes()
    w.ok("rgb_planar", ds, syntax=ImplicitVRLittleEndian, warnings=["colour image converted to gray"])
    gray_rgb = np.stack([u8, u8, u8], axis=-1)
    ds = w.base(ROWS, COLS, bits=8, spp=3, photometric="RGB", PlanarConfiguration=1)
    ds.PixelData = np.moveaxis(gray_rgb, -1, 0).astype("u1").tobytes()
    w.ok("rgb_gray_content_planar", ds, warnings=[], exact_warnings=True)
    ybr = np.stack([u8, np.full_like(u8, 128), np.full_like(u8, 128)], axis=-1)
    ds = w.base(ROWS, COLS, bits=8, spp=3, photometric="YBR_FULL")
    ds.PixelData = ybr.astype("u1").tobytes()
    w.ok("ybr_full", ds)

    # Multi-frame: the first frame, with a warning.
    frames = np.stack([u12, 4095 - u12, u12 // 2])
    ds = w.base(ROWS, COLS, stored=12, NumberOfFrames=3)
    ds.PixelData = frames.astype("<u2").tobytes()
    w.ok("multiframe_native", ds, warnings=["multi-frame DICOM: only the first frame was classified"])

    # JPEG Baseline 8-bit, encapsulated. Pixels differ from pydicom's (Pillow,
    # libjpeg-turbo: another IDCT and, for colour, another chroma upsampler);
    # measured here: at most 1 level of 255, mean 0.006 levels. Tolerances:
    # 2 levels (3 for colour, whose upsamplers differ more), mean 0.05.
    ds = w.base(ROWS, COLS, bits=8, WindowCenter=128, WindowWidth=256)
    set_encapsulated(ds, [jpeg_bytes(u8, "L")], has_bot=False)
    w.ok("jpeg_gray_encapsulated", ds, syntax=JPEGBaseline8Bit, tolerance=2 / 255, mean_tolerance=0.05 / 255)
    ds = w.base(ROWS, COLS, bits=8, spp=3, photometric="YBR_FULL_422")
    set_encapsulated(ds, [jpeg_bytes(rgb, "RGB")])
    w.ok("jpeg_colour_encapsulated", ds, syntax=JPEGBaseline8Bit, tolerance=3 / 255, mean_tolerance=0.05 / 255,
         warnings=["colour image converted to gray"])
    ds = w.base(ROWS, COLS, bits=8, photometric="MONOCHROME1", NumberOfFrames=2)
    first = jpeg_bytes(u8, "L")
    # Frame 1 split over two fragments, with a Basic Offset Table.
    ds.PixelData = encapsulate([first, jpeg_bytes(255 - u8, "L")], fragments_per_frame=1, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    w.ok("jpeg_multiframe_monochrome1", ds, syntax=JPEGBaseline8Bit, tolerance=2 / 255, mean_tolerance=0.05 / 255,
         warnings=["multi-frame DICOM: only the first frame was classified"])

    # RLE Lossless (pydicom's encoder): 16-bit, 8-bit signed, RGB, multi-frame.
    for name, ds, arr, warn in [
            ("rle_mono16", w.base(ROWS, COLS, WindowCenter=30000, WindowWidth=40000), u16, []),
            ("rle_mono8", w.base(ROWS, COLS, bits=8), u8, []),
            ("rle_signed12", w.base(ROWS, COLS, stored=12, signed=True), s12, []),
            ("rle_rgb", w.base(ROWS, COLS, bits=8, spp=3, photometric="RGB"), rgb,
             ["colour image converted to gray"]),
            ("rle_multiframe", w.base(ROWS, COLS, stored=12, NumberOfFrames=3), frames,
             ["multi-frame DICOM: only the first frame was classified"])]:
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        dtype = {8: "u1", 16: "<u2"}[int(ds.BitsAllocated)]
        if int(ds.PixelRepresentation):
            dtype = "<i2"
        ds.compress(RLELossless, arr.astype(dtype))
        w.ok(name, ds, syntax=RLELossless, warnings=warn)

    # Structure: nested sequences of undefined length (pydicom writes them so),
    # an icon image with its own Rows/Columns/Pixel Data inside a sequence,
    # private elements, odd-length values.
    ds = w.base(ROWS, COLS, stored=12)
    icon = Dataset()
    icon.Rows, icon.Columns, icon.SamplesPerPixel = 8, 8, 1
    icon.PhotometricInterpretation, icon.BitsAllocated, icon.BitsStored, icon.HighBit = "MONOCHROME2", 8, 8, 7
    icon.PixelRepresentation = 0
    icon.PixelData = bytes(range(64))
    ds.IconImageSequence = Sequence([icon])
    inner = Dataset()
    inner.ReferencedSOPClassUID = DX_STORAGE
    inner.ReferencedSOPInstanceUID = generate_uid()
    deeper = Dataset()
    deeper.CodeValue, deeper.CodingSchemeDesignator, deeper.CodeMeaning = "R-10206", "SRT", "PA"
    inner.PurposeOfReferenceCodeSequence = Sequence([deeper, deeper])
    ds.ReferencedImageSequence = Sequence([inner, Dataset()])
    block = ds.private_block(0x0099, "CXR TEST", create=True)
    block.add_new(0x01, "LO", "odd")
    block.add_new(0x02, "OB", b"\x01\x02\x03")
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("nested_sequences_and_icon", ds, syntax=ImplicitVRLittleEndian)
    w.ok("nested_sequences_and_icon_explicit", ds)

    # Safety metadata.
    for name, extra, warn in [
            ("meta_lateral_view", dict(ViewPosition="LL"), "lateral view"),
            ("meta_lateral_series", dict(ViewPosition="", SeriesDescription="CHEST LAT"), "lateral view"),
            ("meta_adult", dict(PatientAge="034Y"), "outside intended use"),
            ("meta_body_part", dict(BodyPartExamined="ABDOMEN"), "body part examined is ABDOMEN"),
            ("meta_ct", dict(Modality="CT"), "modality is CT")]:
        ds = w.base(ROWS, COLS, stored=12, **extra)
        ds.PixelData = u12.astype("<u2").tobytes()
        w.ok(name, ds, warnings=[warn])
    ds = w.base(ROWS, COLS, stored=12, PatientAge="008M", Modality="CR", ViewPosition="AP")
    ds.PixelData = u12.astype("<u2").tobytes()
    w.ok("meta_child_months_no_warning", ds, warnings=[], exact_warnings=True)

    # Refusals: transfer syntaxes we do not decode (headers + dummy fragments).
    for name, uid, words in [("syntax_jpeg2000", "1.2.840.10008.1.2.4.91", "JPEG 2000"),
                             ("syntax_jpeg2000_lossless", "1.2.840.10008.1.2.4.90", "JPEG 2000"),
                             ("syntax_jpeg_lossless", "1.2.840.10008.1.2.4.70", "dcmdjpeg"),
                             ("syntax_jpeg_lossless_57", "1.2.840.10008.1.2.4.57", "JPEG Lossless"),
                             ("syntax_jpeg_extended", "1.2.840.10008.1.2.4.51", "JPEG Extended"),
                             ("syntax_jpeg_ls", "1.2.840.10008.1.2.4.80", "JPEG-LS"),
                             ("syntax_jpeg_ls_near", "1.2.840.10008.1.2.4.81", "dcmdjpls"),
                             ("syntax_htj2k", "1.2.840.10008.1.2.4.201", "HTJ2K"),
                             ("syntax_mpeg4", "1.2.840.10008.1.2.4.102", "video"),
                             ("syntax_hevc", "1.2.840.10008.1.2.4.107", "video"),
                             ("syntax_unknown", "1.2.826.0.1.3680043.99.1", "unknown transfer syntax")]:
        ds = w.base(ROWS, COLS, bits=8)
        set_encapsulated(ds, [b"\xff\x4f\xff\x51" + bytes(60)])
        w.error(name, ds, "unsupported_format", words, syntax=uid)
    for name, uid, words in [("syntax_big_endian", "1.2.840.10008.1.2.2", "Big Endian"),
                             ("syntax_deflated", "1.2.840.10008.1.2.1.99", "Deflate")]:
        ds = w.base(ROWS, COLS)
        ds.PixelData = u16.astype("<u2").tobytes()
        if uid == "1.2.840.10008.1.2.2":
            ds.PixelData = u16.astype(">u2").tobytes()
        try:
            w.error(name, ds, "unsupported_format", words, syntax=uid)
        except Exception:  # a pydicom that cannot write it: the meta group alone says enough
            ds = w.base(ROWS, COLS)
            ds.PixelData = u16.astype("<u2").tobytes()
            path = w.save(ds, name, ExplicitVRLittleEndian)
            data = open(path, "rb").read().replace(ExplicitVRLittleEndian.encode() + b"\0", uid.encode())
            w.cases.pop()
            w.error(name, data, "unsupported_format", words)

    # Refusals: damage and limits.
    ds = w.base(ROWS, COLS)
    ds.PixelData = u16.astype("<u2").tobytes()
    w.error("truncated_native", ds, "corrupt_input", "truncated DICOM pixel data", cut=lambda n: n - 1000)
    ds = w.base(ROWS, COLS)
    ds.PixelData = u16.astype("<u2").tobytes()[:ROWS * COLS]  # an honest length, half the pixels
    w.error("short_native", ds, "corrupt_input", "truncated DICOM pixel data")
    ds = w.base(ROWS, COLS, bits=8)
    set_encapsulated(ds, [jpeg_bytes(u8, "L")])
    w.error("truncated_jpeg", ds, "corrupt_input", "truncated", syntax=JPEGBaseline8Bit, cut=lambda n: n - 300)
    ds = w.base(ROWS, COLS, bits=16, stored=12)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.compress(RLELossless, u12.astype("<u2"))
    w.error("truncated_rle", ds, "corrupt_input", "truncated", syntax=RLELossless, cut=lambda n: n - 40)
    for name, rows, cols, frames, status, words in [
            ("oversized_side", 60000, 60000, 1, "too_large", "60000x60000"),
            ("oversized_pixels", 16000, 16000, 1, "too_large", "megapixels"),
            ("overflowing_frames", 4000, 4000, 2 ** 31 - 1, "corrupt_input", "truncated DICOM pixel data")]:
        ds = w.base(rows, cols, NumberOfFrames=frames)
        ds.PixelData = bytes(4096)
        w.error(name, ds, status, words)
    ds = w.base(ROWS, COLS, bits=32)
    ds.PixelData = bytes(ROWS * COLS * 4)
    w.error("bits_allocated_32", ds, "unsupported_format", "32 bits allocated")
    ds = w.base(ROWS, COLS, bits=8, photometric="PALETTE COLOR")
    ds.PixelData = u8.astype("u1").tobytes()
    w.error("palette_colour", ds, "unsupported_format", "palette")
    ds = w.base(ROWS, COLS)
    del ds.Rows, ds.Columns, ds.BitsAllocated
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"  # Basic Text SR
    w.error("no_pixel_data", ds, "unsupported_format", "holds no image")

    # Real films from ../shared/data: the same X-ray as JPEG and as DICOM.
    if data_dir:
        for tag, rel in [("normal", SHARED_IMAGE_224), ("pneumonia", SHARED_IMAGE_224_PNEUMONIA)]:
            source = os.path.join(data_dir, rel)
            if not os.path.isfile(source):
                continue
            jpeg = open(source, "rb").read()
            image = Image.open(io.BytesIO(jpeg))
            gray = np.asarray(image.convert("L")).astype(np.int64)
            rows, cols = gray.shape
            # (a) the JPEG's own bytes, encapsulated: same decoder, same pixels.
            if image.mode == "L":
                ds = w.base(rows, cols, bits=8, WindowCenter=128, WindowWidth=256)
            else:
                ds = w.base(rows, cols, bits=8, spp=3, photometric="YBR_FULL_422")
            set_encapsulated(ds, [jpeg])
            w.ok(f"real_{tag}_jpeg_encapsulated", ds, syntax=JPEGBaseline8Bit, tolerance=2 / 255,
                 mean_tolerance=0.05 / 255, same_as=source, same_exactly=True)
            # (b) decoded by Pillow and stored uncompressed, 8-bit MONOCHROME2 with
            # the identity window (c 128, w 256 maps v to v/255 exactly).
            ds = w.base(rows, cols, bits=8, WindowCenter=128, WindowWidth=256)
            ds.PixelData = gray.astype("u1").tobytes()
            w.ok(f"real_{tag}_uncompressed8", ds, syntax=ImplicitVRLittleEndian, part10=False, same_as=source)
            # (c) 16-bit MONOCHROME1, inverted stored values: 65535 - 257 v with
            # the full window shows v/255 again.
            ds = w.base(rows, cols, photometric="MONOCHROME1", WindowCenter=32768, WindowWidth=65536)
            ds.PixelData = (65535 - 257 * gray).astype("<u2").tobytes()
            w.ok(f"real_{tag}_monochrome1_16bit", ds, same_as=source)


def fingerprint(data_dir):
    h = hashlib.sha256()
    h.update(open(os.path.abspath(__file__), "rb").read())
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
