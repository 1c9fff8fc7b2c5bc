"""The DICOM display pipeline computed with pydicom (the expected images of
make_dicom_fixtures.py): stored values, padding, Modality LUT, VOI LUT,
MONOCHROME1 inversion, luma for colour."""
import numpy as np
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut, convert_color_space
from pydicom.uid import JPEGBaseline8Bit


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
