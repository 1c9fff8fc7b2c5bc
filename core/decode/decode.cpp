// Bytes -> gray Image. Every refusal is a sentence the user can act on; stb's
// terse reason is at most appended in parentheses.
//
// Order of checks (each cheap, none allocates pixels):
//   1. sniff the magic bytes (names are never consulted);
//   2. read the dimensions from our own parse of the header (PNG IHDR, JPEG
//      SOFn) and refuse oversized images with the numbers in the message;
//   3. refuse truncated files: a PNG must reach its IEND chunk, a JPEG must
//      hold an EOI marker after its first SOS (stb would silently pad a
//      truncated JPEG with gray); refuse JPEG fields that stb 2.27 does not
//      check but overruns memory on;
//   4. stbi_info must agree, then stb decodes at the file's own channel count
//      and we convert to gray here.
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/allocate.h"
#include "decode/dicom.h"
#include "decode/image.h"
#include "stb_image.h"

namespace cxr {
namespace detail {
unsigned stb_invariant_failures();  // stb_image_impl.cpp
}

namespace {

// ---------------------------------------------------------------- sniffing

struct Foreign {
  const char* what;        // what the bytes look like, for sniff_format
  const char* image_name;  // set for image formats we do not read
};

constexpr Foreign kEmpty{"empty file", nullptr};
constexpr Foreign kPdf{"PDF document", nullptr};
constexpr Foreign kZip{"ZIP archive (or a Word/Excel/PowerPoint file)", nullptr};
constexpr Foreign kGzip{"gzip archive", nullptr};
constexpr Foreign kRar{"RAR archive", nullptr};
constexpr Foreign kSevenZip{"7-Zip archive", nullptr};
constexpr Foreign kIsoMedia{"MP4/QuickTime media file", nullptr};
constexpr Foreign kHtml{"HTML page", nullptr};
constexpr Foreign kXml{"XML/SVG document", nullptr};
constexpr Foreign kText{"text file", nullptr};
constexpr Foreign kGif{"GIF image", "GIF"};
constexpr Foreign kBmp{"BMP image", "BMP"};
constexpr Foreign kTiff{"TIFF image", "TIFF"};
constexpr Foreign kWebp{"WebP image", "WebP"};
constexpr Foreign kJpeg2000{"JPEG 2000 image", "JPEG 2000"};
constexpr Foreign kHeic{"HEIC image", "HEIC"};
constexpr Foreign kAvif{"AVIF image", "AVIF"};
constexpr Foreign kPsd{"Photoshop document", "Photoshop (PSD)"};

bool bytes_at(const uint8_t* data, size_t size, size_t offset, const char* magic, size_t length) {
  return size >= offset + length && std::memcmp(data + offset, magic, length) == 0;
}

uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }
uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

bool starts_with_ignoring_case(const uint8_t* data, size_t size, const char* prefix) {
  const size_t length = std::strlen(prefix);
  if (size < length) return false;
  for (size_t i = 0; i < length; ++i) {
    const uint8_t c = data[i];
    if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != uint8_t(prefix[i])) return false;
  }
  return true;
}

// Mostly printable ASCII or UTF-8 (bytes >= 0x80 pass loosely) and no NUL.
bool looks_like_text(const uint8_t* data, size_t size) {
  const size_t n = size < 1024 ? size : 1024;
  size_t texty = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = data[i];
    if (c == 0) return false;
    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r' || c == '\f') ++texty;
  }
  return texty * 100 >= n * 95;
}

const Foreign* identify_text(const uint8_t* data, size_t size) {
  if (!looks_like_text(data, size)) return nullptr;
  if (bytes_at(data, size, 0, "\xEF\xBB\xBF", 3)) data += 3, size -= 3;  // UTF-8 BOM
  while (size > 0 && (*data == ' ' || *data == '\t' || *data == '\n' || *data == '\r')) ++data, --size;
  if (starts_with_ignoring_case(data, size, "<!doctype html") || starts_with_ignoring_case(data, size, "<html"))
    return &kHtml;
  if (starts_with_ignoring_case(data, size, "<?xml") || starts_with_ignoring_case(data, size, "<svg")) return &kXml;
  return &kText;
}

const Foreign* identify_iso_media(const uint8_t* data, size_t size) {
  if (!bytes_at(data, size, 4, "ftyp", 4) || size < 12) return nullptr;
  static const char* const heic_brands[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"};
  for (const char* brand : heic_brands)
    if (bytes_at(data, size, 8, brand, 4)) return &kHeic;
  if (bytes_at(data, size, 8, "avif", 4) || bytes_at(data, size, 8, "avis", 4)) return &kAvif;
  return &kIsoMedia;
}

bool is_bmp(const uint8_t* data, size_t size) {
  if (!bytes_at(data, size, 0, "BM", 2) || size < 18) return false;
  const uint32_t info_header_size = le32(data + 14);  // one of the known BITMAPINFOHEADER sizes
  for (uint32_t known : {12u, 40u, 52u, 56u, 64u, 108u, 124u})
    if (info_header_size == known) return true;
  return false;
}

// Something we recognise but do not decode; nullptr when unrecognised.
const Foreign* identify_foreign(const uint8_t* data, size_t size) {
  if (size == 0) return &kEmpty;
  if (bytes_at(data, size, 0, "%PDF", 4)) return &kPdf;
  if (bytes_at(data, size, 0, "PK\x03\x04", 4) || bytes_at(data, size, 0, "PK\x05\x06", 4)) return &kZip;
  if (bytes_at(data, size, 0, "GIF87a", 6) || bytes_at(data, size, 0, "GIF89a", 6)) return &kGif;
  if (is_bmp(data, size)) return &kBmp;
  if (bytes_at(data, size, 0, "II*\0", 4) || bytes_at(data, size, 0, "MM\0*", 4)) return &kTiff;
  if (bytes_at(data, size, 0, "RIFF", 4) && bytes_at(data, size, 8, "WEBP", 4)) return &kWebp;
  if (bytes_at(data, size, 0, "\xFF\x4F\xFF\x51", 4) || bytes_at(data, size, 0, "\x00\x00\x00\x0CjP  \r\n\x87\n", 12))
    return &kJpeg2000;
  if (const Foreign* media = identify_iso_media(data, size)) return media;
  if (bytes_at(data, size, 0, "\x1F\x8B", 2)) return &kGzip;
  if (bytes_at(data, size, 0, "Rar!\x1A\x07", 6)) return &kRar;
  if (bytes_at(data, size, 0, "7z\xBC\xAF\x27\x1C", 6)) return &kSevenZip;
  if (bytes_at(data, size, 0, "8BPS", 4)) return &kPsd;
  return identify_text(data, size);
}

// ------------------------------------------------------- our header parse

// What we learn from the header without decoding anything.
struct HeaderFacts {
  bool has_size = false;
  uint32_t width = 0, height = 0;
  bool truncated = false;             // the file ends before the image data does
  const char* unsupported = nullptr;  // a variant stb cannot decode, named for the user
};

// PNG: IHDR comes first (width, height at fixed offsets); the file is complete
// when its chunk chain reaches IEND.
HeaderFacts read_png_facts(const uint8_t* data, size_t size) {
  HeaderFacts facts;
  if (bytes_at(data, size, 12, "IHDR", 4) && size >= 24) {
    facts.has_size = true;
    facts.width = be32(data + 16);
    facts.height = be32(data + 20);
  }
  facts.truncated = true;
  size_t pos = 8;
  while (size - pos >= 12) {  // length, type, (data), crc
    const uint64_t chunk_bytes = 12ull + be32(data + pos);
    if (chunk_bytes > size - pos) break;
    if (bytes_at(data, size, pos + 4, "IEND", 4)) {
      facts.truncated = false;
      break;
    }
    pos += size_t(chunk_bytes);
  }
  return facts;
}

bool is_sof_marker(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

const char* unsupported_jpeg_variant(uint8_t sof_marker, uint8_t precision) {
  if (sof_marker == 0xC3) return "lossless JPEG";
  if (sof_marker >= 0xC5 && sof_marker <= 0xC7) return "hierarchical JPEG";
  if (sof_marker >= 0xC9) return "arithmetic-coded JPEG";
  if (precision != 8) return "12-bit JPEG";
  return nullptr;
}

// stb_image 2.27 trusts some JPEG fields that later releases check; each one
// below reaches out-of-bounds memory in 2.27 (nothings/stb #1289 and the
// 2.28 fixes), so the walk refuses them before stb sees the file.
struct JpegWalk {
  HeaderFacts facts;
  const char* damage = nullptr;  // why the file cannot be decoded safely
  bool have_sof = false, progressive = false, dc_defined[4] = {}, ac_defined[4] = {};
  // The frame's components (id, sampling factors), for the scan-length check.
  struct Component {
    uint8_t id;
    uint32_t h, v;
  };
  std::vector<Component> components;
  uint32_t h_max = 1, v_max = 1;
};

// DHT: every table must fit its segment and hold at most 256 symbols.
const char* read_huffman_tables(const uint8_t* p, size_t length, JpegWalk& walk) {
  for (size_t pos = 0; pos < length;) {
    if (length - pos < 17) return "a Huffman table is cut short";
    const uint32_t table_class = p[pos] >> 4, id = p[pos] & 15;
    if (table_class > 1 || id > 3) return "a Huffman table has an invalid id";
    size_t symbols = 0;
    for (int i = 1; i <= 16; ++i) symbols += p[pos + i];
    if (symbols > 256 || symbols > length - pos - 17) return "a Huffman table is malformed";
    (table_class ? walk.ac_defined : walk.dc_defined)[id] = true;
    pos += 17 + symbols;
  }
  return nullptr;
}

// SOFn: size and variant; sampling factors must divide the largest ones
// (stb's upsamplers overrun on fractional ratios).
const char* read_frame_header(uint8_t marker, const uint8_t* p, size_t length, JpegWalk& walk) {
  if (walk.have_sof) return nullptr;  // stb reads the first frame only
  if (length < 6 || length < 6 + 3 * size_t(p[5])) return "its frame header is cut short";
  walk.have_sof = true;
  walk.progressive = marker == 0xC2;
  walk.facts.has_size = true;
  walk.facts.height = be16(p + 1);
  walk.facts.width = be16(p + 3);
  walk.facts.unsupported = unsupported_jpeg_variant(marker, p[0]);
  uint32_t h_max = 1, v_max = 1;
  for (size_t i = 0; i < p[5]; ++i) {
    const uint32_t h = p[7 + 3 * i] >> 4, v = p[7 + 3 * i] & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) return "a component has invalid sampling factors";
    h_max = h > h_max ? h : h_max;
    v_max = v > v_max ? v : v_max;
  }
  for (size_t i = 0; i < p[5]; ++i)
    if (h_max % (p[7 + 3 * i] >> 4) != 0 || v_max % (p[7 + 3 * i] & 15) != 0)
      return "its components have unsupported sampling ratios";
  walk.h_max = h_max;
  walk.v_max = v_max;
  for (size_t i = 0; i < p[5]; ++i)
    walk.components.push_back({p[6 + 3 * i], uint32_t(p[7 + 3 * i] >> 4), uint32_t(p[7 + 3 * i] & 15)});
  return nullptr;
}

// The fewest bits a complete scan can take. Every Huffman code is at least one
// bit, so in a sequential scan each 8x8 block costs at least two (its DC
// difference and an AC code, EOB at least) and in a progressive DC scan at
// least one; progressive AC scans can cover thousands of blocks with one EOB
// run, so they get no bound. stb_image decodes a scan whose data stops early by
// feeding zeros, which would classify an image that is mostly missing (e.g. a
// 39 Mpx header in front of 16 rows of data): such a scan is refused instead.
uint64_t min_scan_bits(const uint8_t* p, const JpegWalk& walk) {
  const size_t count = p[0];
  const uint8_t spectral_start = p[1 + 2 * count];
  if (!walk.have_sof || (walk.progressive && spectral_start != 0)) return 0;
  const uint64_t bits_per_block = walk.progressive ? 1 : 2;
  const uint64_t width = walk.facts.width, height = walk.facts.height;
  auto blocks = [](uint64_t pixels) { return (pixels + 7) / 8; };
  uint64_t total = 0;
  if (count == 1) {  // non-interleaved: the component's own blocks
    for (const JpegWalk::Component& c : walk.components)
      if (c.id == p[1])
        total =
            blocks((width * c.h + walk.h_max - 1) / walk.h_max) * blocks((height * c.v + walk.v_max - 1) / walk.v_max);
    return total * bits_per_block;
  }
  const uint64_t mcus =
      ((width + 8 * walk.h_max - 1) / (8 * walk.h_max)) * ((height + 8 * walk.v_max - 1) / (8 * walk.v_max));
  for (size_t i = 0; i < count; ++i)
    for (const JpegWalk::Component& c : walk.components)
      if (c.id == p[1 + 2 * i]) total += mcus * c.h * c.v;
  return total * bits_per_block;
}

// SOS: every Huffman table the scan decodes with must have been defined
// (stb 2.27 would read an uninitialised one).
const char* read_scan_header(const uint8_t* p, size_t length, const JpegWalk& walk) {
  if (length < 1 || length < 1 + 2 * size_t(p[0]) + 3) return "a scan header is cut short";
  const size_t components = p[0];
  const uint8_t spectral_start = p[1 + 2 * components], approximation_high = p[3 + 2 * components] >> 4;
  const bool uses_dc = !walk.progressive || (spectral_start == 0 && approximation_high == 0);
  const bool uses_ac = !walk.progressive || spectral_start > 0;
  for (size_t i = 0; i < components; ++i) {
    const uint32_t dc = p[2 + 2 * i] >> 4, ac = p[2 + 2 * i] & 15;
    if (dc > 3 || ac > 3) return "a scan names an invalid Huffman table";
    if ((uses_dc && !walk.dc_defined[dc]) || (uses_ac && !walk.ac_defined[ac]))
      return "a scan uses a Huffman table that the file never defines";
  }
  return nullptr;
}

// Index of the next marker's 0xFF after entropy-coded data starting at pos:
// skips stuffed bytes (FF 00), restart markers and fill bytes; size if none.
size_t skip_entropy_coded_data(const uint8_t* data, size_t size, size_t pos) {
  for (; pos + 1 < size; ++pos) {
    if (data[pos] != 0xFF) continue;
    size_t next = pos + 1;
    while (next < size && data[next] == 0xFF) ++next;
    if (next >= size) return size;
    if (data[next] != 0x00 && (data[next] < 0xD0 || data[next] > 0xD7)) return next - 1;
    pos = next;
  }
  return size;
}

// JPEG: walks every marker segment the way stb reads them (stray bytes and
// fill 0xFFs skipped, entropy-coded data skipped up to the next marker).
// Entropy-coded data never holds FF D9 (0xFF is stuffed), so a complete file
// reaches an EOI marker after its first scan.
JpegWalk walk_jpeg(const uint8_t* data, size_t size) {
  JpegWalk walk;
  bool seen_scan = false;
  size_t pos = 2;
  for (;;) {
    while (pos < size && data[pos] != 0xFF) ++pos;
    while (pos < size && data[pos] == 0xFF) ++pos;
    if (pos >= size) return walk.facts.truncated = true, walk;
    const uint8_t marker = data[pos++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9) {
      if (!seen_scan) walk.damage = "it ends before any image data";
      return walk;
    }
    if (size - pos < 2) return walk.facts.truncated = true, walk;
    const size_t length = be16(data + pos);
    if (length < 2) return walk.damage = "a marker segment has an invalid length", walk;
    if (length > size - pos) return walk.facts.truncated = true, walk;
    const uint8_t* payload = data + pos + 2;
    const char* damage = nullptr;
    if (is_sof_marker(marker)) damage = read_frame_header(marker, payload, length - 2, walk);
    if (marker == 0xC4) damage = read_huffman_tables(payload, length - 2, walk);
    if (marker == 0xDA) damage = read_scan_header(payload, length - 2, walk);
    if (damage) return walk.damage = damage, walk;
    const uint64_t min_bits = marker == 0xDA ? min_scan_bits(payload, walk) : 0;
    pos += length;
    if (marker == 0xDA) {
      seen_scan = true;
      const size_t start = pos;
      pos = skip_entropy_coded_data(data, size, pos);
      if (pos < size && uint64_t(pos - start) * 8 < min_bits)
        return walk.damage = "its image data stops before the image is complete", walk;
    }
  }
}

// ------------------------------------------------------- messages

const char* format_name(ImageFormat format) { return format == ImageFormat::png ? "PNG" : "JPEG"; }

bool over_limits(uint64_t width, uint64_t height) {
  return width > CXR_MAX_IMAGE_SIDE || height > CXR_MAX_IMAGE_SIDE || width * height > CXR_MAX_IMAGE_PIXELS;
}

Status too_large(ImageFormat format, uint64_t width, uint64_t height) {
  return Fail(cxr_status_too_large,
              "%s is %llux%llu pixels; the limit is %u pixels a side and %u megapixels; "
              "downscale it and try again",
              format_name(format), (unsigned long long)width, (unsigned long long)height, CXR_MAX_IMAGE_SIDE,
              CXR_MAX_IMAGE_PIXELS / 1000000u);
}

Status truncated(ImageFormat format) {
  return Fail(cxr_status_corrupt_input,
              "truncated %s (the file ends before the image data does); re-export or copy it again",
              format_name(format));
}

Status refuse_foreign(const Foreign* foreign) {
  if (!foreign)
    return Fail(cxr_status_unsupported_format,
                "not a PNG, JPEG or DICOM image (unrecognised content); choose a PNG or JPEG X-ray");
  if (foreign == &kEmpty)
    return Fail(cxr_status_unsupported_format, "empty file (0 bytes); choose the image again or re-copy it");
  if (foreign->image_name)
    return Fail(cxr_status_unsupported_format, "%s images are not supported; save the X-ray as PNG or JPEG",
                foreign->image_name);
  return Fail(cxr_status_unsupported_format, "not an image: %s; choose a PNG or JPEG X-ray", foreign->what);
}

bool printable(const char* text) {
  if (!text || !*text) return false;
  for (; *text; ++text)
    if (*text < 0x20 || *text > 0x7E) return false;
  return true;
}

// What a failed stb decode means, in words. stb's reasons are the short
// strings passed to stbi__err in stb_image.h v2.27.
Status explain_stb_failure(ImageFormat format, const char* reason) {
  if (reason && std::strcmp(reason, "outofmem") == 0)
    return Fail(cxr_status_out_of_memory,
                "not enough memory to decode this %s; close other tabs or use a "
                "smaller image",
                format_name(format));
  const char* detail = printable(reason) ? reason : "unreadable data";
  if (format == ImageFormat::png) {
    static const char* const damaged_pixels[] = {"bad zlib header",     "zlib corrupt",      "bad huffman code",
                                                 "bad codelengths",     "bad dist",          "read past buffer",
                                                 "output buffer limit", "not enough pixels", "outofdata",
                                                 "invalid filter",      "no preset dict",    "bad compression"};
    for (const char* known : damaged_pixels)
      if (reason && std::strcmp(reason, known) == 0)
        return Fail(cxr_status_corrupt_input,
                    "truncated or corrupt PNG: its compressed pixel data is damaged (%s); re-export or copy "
                    "it again",
                    detail);
  }
  return Fail(cxr_status_corrupt_input, "corrupt %s that cannot be decoded (%s); re-export or copy it again",
              format_name(format), detail);
}

// ------------------------------------------------------- gray conversion

// Integer luma, weights 77/150/29 (sum 256, ~BT.601: 0.299/0.587/0.114),
// rounded. Exact in uint32 for 16-bit samples too (65535 * 256 < 2^32), and
// never exceeds the channel maximum.
uint32_t luma(uint32_t r, uint32_t g, uint32_t b) { return (77 * r + 150 * g + 29 * b + 128) >> 8; }

// A pixel is coloured when its R, G, B spread more than this many levels of
// 255 (scaled for 16-bit). Gray stored as RGB, even through JPEG's YCbCr,
// stays within a couple of levels.
constexpr uint32_t kColourTolerance8 = 16;

// Alpha (2nd or 4th channel) is ignored: X-rays do not use transparency, and
// compositing would invent a background. Returns whether colour was seen.
template <typename Sample>
bool convert_to_gray(const Sample* samples, size_t pixel_count, int channels, uint32_t colour_tolerance,
                     uint16_t* gray) {
  bool coloured = false;
  for (size_t i = 0; i < pixel_count; ++i) {
    const Sample* p = samples + i * size_t(channels);
    if (channels < 3) {
      gray[i] = p[0];
      continue;
    }
    const uint32_t r = p[0], g = p[1], b = p[2];
    const uint32_t hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
    const uint32_t lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
    coloured |= hi - lo > colour_tolerance;
    gray[i] = uint16_t(luma(r, g, b));
  }
  return coloured;
}

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

// Decodes with stb at `channels` per pixel (the file's own count) into *out.
Status decode_with_stb(const uint8_t* data, int size, ImageFormat format, int channels, bool sixteen_bit, Image* out) {
  int width = 0, height = 0, file_channels = 0;
  const unsigned invariant_failures_before = detail::stb_invariant_failures();
  std::unique_ptr<void, StbFree> samples(
      sixteen_bit ? static_cast<void*>(stbi_load_16_from_memory(data, size, &width, &height, &file_channels, channels))
                  : static_cast<void*>(stbi_load_from_memory(data, size, &width, &height, &file_channels, channels)));
  if (!samples) return explain_stb_failure(format, stbi_failure_reason());
  if (detail::stb_invariant_failures() != invariant_failures_before)
    return explain_stb_failure(format, "internal consistency check failed");
  if (width != int(out->width) || height != int(out->height))
    return Fail(cxr_status_corrupt_input,
                "corrupt %s: its header and its image data disagree on the size; "
                "re-export it",
                format_name(format));

  const size_t pixel_count = size_t(width) * size_t(height);
  char refusal[64];
  snprintf(refusal, sizeof refusal, "not enough memory for a %dx%d image", width, height);
  CXR_TRY(try_resize(&out->pixels, pixel_count, refusal));
  const bool coloured = sixteen_bit ? convert_to_gray(static_cast<const uint16_t*>(samples.get()), pixel_count,
                                                      channels, kColourTolerance8 * 257, out->pixels.data())
                                    : convert_to_gray(static_cast<const uint8_t*>(samples.get()), pixel_count, channels,
                                                      kColourTolerance8, out->pixels.data());
  if (coloured) {
    out->color_content = true;
    out->warnings.push_back("colour image converted to gray");
  }
  return Ok();
}

void reset(Image* out) {
  out->width = out->height = 0;
  out->bit_depth = 8;
  out->max_value = 255;
  out->pixels.clear();  // keeps capacity for the next image
  out->format = ImageFormat::unknown;
  out->source_channels = 1;
  out->color_content = false;
  out->warnings.clear();
  out->patient_age_years = -1;
}

Status decode_raster(const uint8_t* data, size_t size, ImageFormat format, Image* out);

}  // namespace

ImageFormat sniff_format(const uint8_t* data, size_t size, std::string* what) {
  if (what) what->clear();
  if (!data) size = 0;
  // DICOM first: its 128-byte preamble may itself look like another format.
  if (bytes_at(data, size, 128, "DICM", 4)) return ImageFormat::dicom;
  if (bytes_at(data, size, 0, "\xFF\xD8\xFF", 3)) return ImageFormat::jpeg;
  if (bytes_at(data, size, 0, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::png;
  if (looks_like_bare_dicom(data, size)) return ImageFormat::dicom;  // no preamble (e.g. from a CD)
  const Foreign* foreign = identify_foreign(data, size);
  if (what && foreign) *what = foreign->what;
  return ImageFormat::unknown;
}

Status decode_image(const uint8_t* data, size_t size, Image* out) {
  if (!out) return Fail(cxr_status_invalid_argument, "decode_image: no output image given");
  reset(out);
  if (!data && size != 0) return Fail(cxr_status_invalid_argument, "decode_image: no bytes given");

  const ImageFormat format = sniff_format(data, size, nullptr);
  if (format == ImageFormat::dicom) {
    Status status = decode_dicom(data, size, out);
    if (!status.ok()) reset(out);
    return status;
  }
  if (format == ImageFormat::unknown) return refuse_foreign(identify_foreign(data, size));
  return decode_raster(data, size, format, out);
}

namespace detail {
Status decode_jpeg(const uint8_t* data, size_t size, Image* out) {
  reset(out);
  if (!bytes_at(data, size, 0, "\xFF\xD8\xFF", 3))
    return Fail(cxr_status_corrupt_input, "corrupt JPEG: it does not start with a JPEG marker");
  return decode_raster(data, size, ImageFormat::jpeg, out);
}
}  // namespace detail

namespace {
// JPEG or PNG (already sniffed) into a freshly reset *out.
Status decode_raster(const uint8_t* data, size_t size, ImageFormat format, Image* out) {
  if (size > size_t(INT_MAX)) return Fail(cxr_status_too_large, "file is %zu bytes; the limit is 2 GB", size);

  const JpegWalk walk = format == ImageFormat::jpeg ? walk_jpeg(data, size) : JpegWalk{};
  const HeaderFacts facts = format == ImageFormat::png ? read_png_facts(data, size) : walk.facts;
  if (facts.has_size && over_limits(facts.width, facts.height)) return too_large(format, facts.width, facts.height);
  if (facts.unsupported)
    return Fail(cxr_status_unsupported_format,
                "%s is not supported; save the X-ray as PNG (16-bit if needed) or as a standard JPEG",
                facts.unsupported);
  if (walk.damage) return Fail(cxr_status_corrupt_input, "corrupt JPEG: %s; re-export or copy it again", walk.damage);
  if (facts.truncated) return truncated(format);

  // stbi_info's own failure reason is always "unknown image type" (it tries
  // every format in turn), so there is nothing better to say than this.
  const int stb_size = int(size);
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, stb_size, &width, &height, &channels) || width <= 0 || height <= 0 || channels < 1 ||
      channels > 4)
    return Fail(cxr_status_corrupt_input, "corrupt %s: its header cannot be read; re-export or copy it again",
                format_name(format));
  if (over_limits(uint64_t(width), uint64_t(height))) return too_large(format, width, height);

  const bool sixteen_bit = format == ImageFormat::png && stbi_is_16_bit_from_memory(data, stb_size);
  out->width = uint32_t(width);
  out->height = uint32_t(height);
  out->bit_depth = sixteen_bit ? 16 : 8;
  out->max_value = sixteen_bit ? 65535 : 255;
  out->format = format;
  out->source_channels = uint32_t(channels);  // palette PNGs count as RGB (or RGBA with tRNS)
  Status status = decode_with_stb(data, stb_size, format, channels, sixteen_bit, out);
  if (!status.ok()) reset(out);
  return status;
}

}  // namespace

}  // namespace cxr
