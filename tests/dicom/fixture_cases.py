"""The fixture cases of make_dicom_fixtures.py: every supported combination,
the refusals, the safety metadata and the real films, written through a
fixture_writer.Writer."""
import io
import os

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless, generate_uid

from fixture_writer import DX_STORAGE

SHARED_IMAGE_224 = "chest_xray_224/test/NORMAL/IM-0001-0001.jpeg"
SHARED_IMAGE_224_PNEUMONIA = "chest_xray_224/test/PNEUMONIA/person100_bacteria_475.jpeg"

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
