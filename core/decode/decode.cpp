// Bytes -> gray Image. Every refusal is a sentence the user can act on; stb's
// terse reason is at most appended in parentheses.
//
// Order of checks (each cheap, none allocates pixels):
//   1. sniff the magic bytes (names are never consulted: sniff.cpp);
//   2. read the dimensions from our own parse of the header (PNG IHDR, JPEG
//      SOFn: header_check.cpp) and refuse oversized images with the numbers
//      in the message;
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
#include "decode/header_check.h"
#include "decode/image.h"
#include "decode/sniff.h"
#include "stb_image.h"

namespace cxr {
namespace detail {
unsigned stb_invariant_failures();  // stb_image_impl.cpp
}

namespace {

using header_check::HeaderFacts;
using header_check::JpegWalk;
using sniff::bytes_at;

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
  if (format == ImageFormat::unknown) return sniff::refuse_unknown(data, size);
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

  const JpegWalk walk = format == ImageFormat::jpeg ? header_check::walk_jpeg(data, size) : JpegWalk{};
  const HeaderFacts facts = format == ImageFormat::png ? header_check::read_png_facts(data, size) : walk.facts;
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
