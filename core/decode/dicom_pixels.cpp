// DICOM pixel pipeline: pixel format checks and limits (before any
// allocation), the first frame's samples, the display pipeline and the safety
// warnings. See dicom.h for the order of the stages.
//
// Monochrome images are mapped through one table indexed by the raw stored
// word (256 or 65536 entries): stored value, padding, Modality LUT, VOI and
// MONOCHROME1 inversion depend on the word alone, so each is computed once per
// distinct word, in double, and every pixel costs one lookup.
//
// Choices where the standard leaves room (documented in README):
//  - the Modality LUT Sequence is applied (first item); Rescale Slope and
//    Intercept are then ignored, as PS3.3 C.11.1 makes them exclusive;
//  - a VOI LUT's output is scaled by 2^(LUT Descriptor bits) - 1; a VOI LUT
//    input that is not an integer (after a fractional rescale) is floored;
//  - an invalid window (LINEAR width < 1, other functions width <= 0) or an
//    unknown VOI LUT Function falls back with a warning, never silently;
//  - the Presentation LUT Shape is not read: in the DX/CR image modules it
//    only restates what MONOCHROME1/2 already say;
//  - colour images (RGB, YBR_FULL) skip Modality/VOI (defined for monochrome
//    only) and become gray with the PNG path's luma.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/allocate.h"
#include "decode/dicom_internal.h"

namespace cxr::dicom {
namespace {

struct PixelFormat {
  uint32_t rows = 0, columns = 0, samples = 1;
  uint32_t bits_allocated = 0, bits_stored = 0, high_bit = 0;
  bool is_signed = false;
  bool planar = false;
  uint64_t frames = 1;
  std::string photometric;
};

Status corrupt(const char* what) {
  return Fail(cxr_status_corrupt_input, "corrupt DICOM: %s; re-export or copy it again", what);
}

// Codes named in messages: letters, digits, space, '_' and '-' only, short.
std::string printable_code(const std::string& code) {
  std::string out;
  for (char c : code) {
    if (out.size() >= 16) break;
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_' || c == '-';
    out.push_back(ok ? c : '?');
  }
  return out;
}

Status read_format(const Facts& f, PixelFormat* p) {
  if (!f.pixel_data)
    return Fail(cxr_status_unsupported_format,
                "this DICOM file holds no image (it may be a report, a DICOMDIR or a presentation state); "
                "open the file of the X-ray image itself");
  if (!read_u16(f.rows, &p->rows) || !read_u16(f.columns, &p->columns))
    return corrupt("it has pixel data but no Rows/Columns");
  if (p->rows == 0 || p->columns == 0) return corrupt("its Rows or Columns is 0");
  if (p->columns > CXR_MAX_IMAGE_SIDE || p->rows > CXR_MAX_IMAGE_SIDE ||
      uint64_t(p->columns) * p->rows > CXR_MAX_IMAGE_PIXELS)
    return Fail(cxr_status_too_large,
                "DICOM image is %ux%u pixels; the limit is %u pixels a side and %u megapixels; downscale it and "
                "try again",
                p->columns, p->rows, CXR_MAX_IMAGE_SIDE, CXR_MAX_IMAGE_PIXELS / 1000000u);

  uint32_t value = 1;
  if (f.samples_per_pixel.present() && !read_u16(f.samples_per_pixel, &value)) value = 0;
  if (value != 1 && value != 3)
    return Fail(cxr_status_unsupported_format,
                "DICOM with %u samples per pixel is not supported (only gray or RGB); export it as PNG", value);
  p->samples = value;

  if (!read_u16(f.bits_allocated, &p->bits_allocated)) return corrupt("it has no Bits Allocated");
  if (f.encoding == Encoding::jpeg_baseline) {
    // JPEG Baseline frames are 8-bit whatever the header says.
    p->bits_allocated = p->bits_stored = 8;
    p->high_bit = 7;
  } else {
    if (p->bits_allocated != 8 && p->bits_allocated != 16)
      return Fail(cxr_status_unsupported_format,
                  "DICOM with %u bits allocated per sample is not supported (only 8 and 16); convert it, e.g. "
                  "with `gdcmconv --raw in.dcm out.dcm`",
                  p->bits_allocated);
    p->bits_stored = p->bits_allocated;
    if (f.bits_stored.present() && !read_u16(f.bits_stored, &p->bits_stored)) p->bits_stored = 0;
    p->high_bit = p->bits_stored - 1;
    if (f.high_bit.present() && !read_u16(f.high_bit, &p->high_bit)) p->high_bit = 99;
    if (p->bits_stored < 1 || p->bits_stored > p->bits_allocated || p->high_bit >= p->bits_allocated ||
        p->high_bit + 1 < p->bits_stored)
      return corrupt("its Bits Stored and High Bit do not fit its Bits Allocated");
  }
  uint32_t representation = 0;
  if (f.pixel_representation.present() && !read_u16(f.pixel_representation, &representation)) representation = 2;
  if (representation > 1) return corrupt("its Pixel Representation is neither 0 nor 1");
  p->is_signed = representation == 1;
  uint32_t planar = 0;
  if (f.planar_configuration.present() && read_u16(f.planar_configuration, &planar)) p->planar = planar == 1;
  if (f.encoding == Encoding::rle) p->planar = true;  // RLE segments are sample planes
  uint64_t frames = 1;
  if (read_is(f.number_of_frames, &frames) && frames > 1) p->frames = frames;

  p->photometric = read_code(f.photometric);
  if (p->photometric.empty()) p->photometric = p->samples == 1 ? "MONOCHROME2" : "RGB";
  const std::string& pi = p->photometric;
  if (p->samples == 1 && pi != "MONOCHROME1" && pi != "MONOCHROME2") {
    if (pi == "PALETTE COLOR")
      return Fail(cxr_status_unsupported_format,
                  "palette-colour DICOM is not supported; export the image as gray DICOM or PNG");
    return Fail(cxr_status_unsupported_format,
                "DICOM with photometric interpretation %s and one sample per "
                "pixel is not supported",
                printable_code(pi).c_str());
  }
  if (p->samples == 3) {
    const bool jpeg = f.encoding == Encoding::jpeg_baseline;
    const bool ok = pi == "RGB" || pi == "YBR_FULL" || (jpeg && pi == "YBR_FULL_422");
    if (!ok)
      return Fail(cxr_status_unsupported_format,
                  "DICOM colour in %s is not supported here; export it as RGB or "
                  "PNG",
                  printable_code(pi).c_str());
  }
  return Ok();
}

// ------------------------------------------------------------ LUTs (Modality, VOI)

struct Lut {
  uint32_t entries = 0;
  int32_t first = 0;
  uint32_t bits = 16;
  std::vector<uint16_t> values;
  double operator()(double x) const {
    const double index = std::floor(x) - first;
    const uint32_t i = !(index > 0) ? 0 : index >= double(entries - 1) ? entries - 1 : uint32_t(index);
    return values[i];
  }
  double max_output() const { return double((uint32_t(1) << bits) - 1); }
};

// `signed_input`: how to read the first-mapped value when the VR does not say.
Status read_lut(const LutView& v, bool signed_input, const char* which, Lut* lut) {
  char what[96];
  std::snprintf(what, sizeof what, "its %s is malformed", which);
  if (v.descriptor.size < 6) return corrupt(what);
  const uint8_t* d = v.descriptor.data;
  const uint32_t entries = uint32_t(d[0] | d[1] << 8), first = uint32_t(d[2] | d[3] << 8),
                 bits = uint32_t(d[4] | d[5] << 8);
  lut->entries = entries == 0 ? 65536 : entries;
  const bool is_signed = v.descriptor_has_vr ? v.descriptor_signed : signed_input && first >= 0x8000;
  lut->first = is_signed ? int32_t(int16_t(uint16_t(first))) : int32_t(first);
  if (bits < 1 || bits > 16) return corrupt(what);
  lut->bits = bits;
  const uint32_t mask = (uint32_t(1) << bits) - 1;
  lut->values.resize(lut->entries);
  if (v.data.size >= size_t(lut->entries) * 2) {
    for (uint32_t i = 0; i < lut->entries; ++i)
      lut->values[i] = uint16_t((v.data.data[2 * i] | v.data.data[2 * i + 1] << 8) & mask);
  } else if (bits <= 8 && v.data.size >= lut->entries) {
    for (uint32_t i = 0; i < lut->entries; ++i) lut->values[i] = uint16_t(v.data.data[i] & mask);
  } else {
    return corrupt(what);
  }
  return Ok();
}

// ------------------------------------------------------------ VOI

enum class Voi { lut, linear, linear_exact, sigmoid, min_max };

struct Display {
  // stored value -> padding?
  bool has_padding = false;
  int32_t padding_low = 0, padding_high = 0;
  // Modality
  bool has_modality_lut = false;
  Lut modality_lut;
  double slope = 1, intercept = 0;
  // VOI
  Voi voi = Voi::min_max;
  Lut voi_lut;
  double center = 0, width = 1;
  double low = 0, high = 0;  // min_max: the non-padding modality range
  bool invert = false;

  bool padding(int32_t stored) const { return has_padding && stored >= padding_low && stored <= padding_high; }
  double modality(int32_t stored) const { return has_modality_lut ? modality_lut(stored) : stored * slope + intercept; }
  // PS3.3 C.11.2.1.2.1 (LINEAR), C.11.2.1.3.2 (LINEAR_EXACT), C.11.2.1.3.1
  // (SIGMOID), with the output range taken as [0, 1].
  double voi_output(double x) const {
    switch (voi) {
      case Voi::lut: return voi_lut(x) / voi_lut.max_output();
      case Voi::linear: {
        const double c = center - 0.5, w = width - 1;
        if (x <= c - w / 2) return 0;
        if (x > c + w / 2) return 1;
        return (x - c) / w + 0.5;
      }
      case Voi::linear_exact:
        if (x <= center - width / 2) return 0;
        if (x > center + width / 2) return 1;
        return (x - center) / width + 0.5;
      case Voi::sigmoid: return 1 / (1 + std::exp(-4 * (x - center) / width));
      case Voi::min_max: return high > low ? (x - low) / (high - low) : 0;
    }
    return 0;
  }
};

uint16_t to_u16(double y) {
  if (!(y > 0)) return 0;  // NaN too
  if (y >= 1) return 65535;
  return uint16_t(y * 65535 + 0.5);
}

// Stored value of a raw word (PS3.5 8.1.1, PS3.3 C.7.6.3.1): the Bits Stored
// bits ending at High Bit, sign-extended when Pixel Representation is 1.
struct StoredValue {
  uint32_t shift, mask, sign_bit;
  bool is_signed;
  explicit StoredValue(const PixelFormat& p)
      : shift(p.high_bit + 1 - p.bits_stored),
        mask((uint32_t(1) << p.bits_stored) - 1),
        sign_bit(uint32_t(1) << (p.bits_stored - 1)),
        is_signed(p.is_signed) {}
  int32_t operator()(uint32_t word) const {
    const uint32_t v = (word >> shift) & mask;
    return is_signed && (v & sign_bit) ? int32_t(v) - int32_t(mask) - 1 : int32_t(v);
  }
};

int32_t read_padding(View v, bool is_signed) {
  uint32_t raw = 0;
  read_u16(v, &raw);
  return is_signed ? int32_t(int16_t(uint16_t(raw))) : int32_t(raw);
}

Status setup_display(const Facts& f, const PixelFormat& p, Display* d, std::vector<std::string>* warnings) {
  uint32_t unused;
  if (f.padding_value.present() && read_u16(f.padding_value, &unused)) {
    d->has_padding = true;
    const int32_t a = read_padding(f.padding_value, p.is_signed);
    const int32_t b = f.padding_range_limit.present() && read_u16(f.padding_range_limit, &unused)
                          ? read_padding(f.padding_range_limit, p.is_signed)
                          : a;
    d->padding_low = a < b ? a : b;
    d->padding_high = a < b ? b : a;
  }

  if (f.modality_lut.present()) {
    d->has_modality_lut = true;
    CXR_TRY(read_lut(f.modality_lut, p.is_signed, "Modality LUT", &d->modality_lut));
  } else {
    if (f.rescale_slope.present() && !read_ds(f.rescale_slope, &d->slope))
      return corrupt("its Rescale Slope is not a number");
    if (f.rescale_intercept.present() && !read_ds(f.rescale_intercept, &d->intercept))
      return corrupt("its Rescale Intercept is not a number");
    if (d->slope == 0) return corrupt("its Rescale Slope is 0");
  }

  if (f.voi_lut.present()) {
    d->voi = Voi::lut;
    const bool negative_input = p.is_signed || (!d->has_modality_lut && (d->intercept < 0 || d->slope < 0));
    return read_lut(f.voi_lut, negative_input, "VOI LUT", &d->voi_lut);
  }
  double center, width;
  if (f.window_center.present() && f.window_width.present() && read_ds(f.window_center, &center) &&
      read_ds(f.window_width, &width)) {
    const std::string function = read_code(f.voi_function);
    Voi voi = Voi::linear;
    if (function == "LINEAR_EXACT") voi = Voi::linear_exact;
    else if (function == "SIGMOID") voi = Voi::sigmoid;
    else if (!function.empty() && function != "LINEAR")
      warnings->push_back("unknown VOI LUT Function in the DICOM file; the LINEAR window was used");
    const bool valid = voi == Voi::linear ? width >= 1 : width > 0;
    if (valid) {
      d->voi = voi;
      d->center = center;
      d->width = width;
      return Ok();
    }
    warnings->push_back("the DICOM file's window width is invalid; the image's full range was shown instead");
  }
  d->voi = Voi::min_max;
  return Ok();
}

// ------------------------------------------------------------ sample access

// Raw little-endian words of one frame in the file's layout (or the RLE
// decoder's planar copy of it).
struct Samples {
  const uint8_t* base;
  uint32_t bytes;  // 1 or 2
  uint32_t samples;
  bool planar;
  size_t pixels;
  uint32_t operator()(size_t i, uint32_t s) const {
    const size_t index = planar ? size_t(s) * pixels + i : i * samples + s;
    return bytes == 1 ? base[index] : uint32_t(base[2 * index] | base[2 * index + 1] << 8);
  }
};

Status resize_pixels(Image* out, size_t count) {
  char refusal[64];
  snprintf(refusal, sizeof refusal, "not enough memory for a %ux%u image", out->width, out->height);
  return try_resize(&out->pixels, count, refusal);
}

// Monochrome: raw word -> display value table, then one lookup per pixel.
template <typename Word>
Status render_monochrome(const PixelFormat& p, const Display& display, size_t pixels, Word word, Image* out) {
  const uint32_t words = p.bits_allocated == 8 ? 256 : 65536;
  const StoredValue stored(p);
  Display d = display;
  if (d.voi == Voi::min_max) {
    std::vector<uint8_t> present(words, 0);
    for (size_t i = 0; i < pixels; ++i) present[word(i) & (words - 1)] = 1;
    bool any = false;
    for (uint32_t w = 0; w < words; ++w) {
      if (!present[w] || d.padding(stored(w))) continue;
      const double m = d.modality(stored(w));
      if (!any || m < d.low) d.low = m;
      if (!any || m > d.high) d.high = m;
      any = true;
    }
  }
  std::vector<uint16_t> table(words);
  for (uint32_t w = 0; w < words; ++w) {
    const int32_t s = stored(w);
    if (d.padding(s)) {
      table[w] = 0;  // the darkest value of the final image, whatever the photometric
      continue;
    }
    double y = d.voi_output(d.modality(s));
    if (d.invert) y = 1 - y;
    table[w] = to_u16(y);
  }
  CXR_TRY(resize_pixels(out, pixels));
  for (size_t i = 0; i < pixels; ++i) out->pixels[i] = table[word(i) & (words - 1)];
  return Ok();
}

uint32_t luma(uint32_t r, uint32_t g, uint32_t b) { return (77 * r + 150 * g + 29 * b + 128) >> 8; }

// Colour: gray from the PNG path's luma (RGB) or the Y channel (YBR_FULL) of
// the stored values, then scaled to 16 bits. No Modality/VOI.
Status render_colour(const PixelFormat& p, const Samples& samples, Image* out) {
  const uint32_t shift = p.high_bit + 1 - p.bits_stored, mask = (uint32_t(1) << p.bits_stored) - 1;
  const uint32_t tolerance = 16 * mask / 255;
  const bool ybr = p.photometric != "RGB";
  const uint32_t half = (mask + 1) / 2;
  CXR_TRY(resize_pixels(out, samples.pixels));
  bool coloured = false;
  for (size_t i = 0; i < samples.pixels; ++i) {
    const uint32_t a = (samples(i, 0) >> shift) & mask, b = (samples(i, 1) >> shift) & mask,
                   c = (samples(i, 2) >> shift) & mask;
    uint32_t gray;
    if (ybr) {
      gray = a;
      coloured |= (b > half ? b - half : half - b) > tolerance || (c > half ? c - half : half - c) > tolerance;
    } else {
      gray = luma(a, b, c);
      const uint32_t hi = a > b ? (a > c ? a : c) : (b > c ? b : c);
      const uint32_t lo = a < b ? (a < c ? a : c) : (b < c ? b : c);
      coloured |= hi - lo > tolerance;
    }
    out->pixels[i] = uint16_t((uint64_t(gray) * 65535 + mask / 2) / mask);
  }
  if (coloured) {
    out->color_content = true;
    out->warnings.push_back("colour image converted to gray");
  }
  return Ok();
}

// ------------------------------------------------------------ safety metadata

bool has_word(const std::string& text, const char* word) {
  const size_t n = std::strlen(word);
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !std::isalnum(uint8_t(text[at - 1]));
    const bool right = at + n == text.size() || !std::isalnum(uint8_t(text[at + n]));
    if (left && right) return true;
  }
  return false;
}

// Age in years from an AS value "nnnD/W/M/Y"; -1 when unreadable.
double age_in_years(const std::string& as) {
  if (as.size() < 2) return -1;
  double n = 0;
  size_t i = 0;
  for (; i < as.size() && as[i] >= '0' && as[i] <= '9' && i < 4; ++i) n = n * 10 + (as[i] - '0');
  if (i == 0 || i + 1 != as.size()) return -1;
  switch (as[i]) {
    case 'Y': return n;
    case 'M': return n / 12;
    case 'W': return n * 7 / 365.25;
    case 'D': return n / 365.25;
  }
  return -1;
}

// Days since 0000-03-01 of a DA value "YYYYMMDD" (a civil-calendar day count);
// -1 when it is not a valid date.
double day_number(const std::string& da) {
  if (da.size() != 8) return -1;
  int v[8];
  for (int i = 0; i < 8; ++i) {
    if (da[i] < '0' || da[i] > '9') return -1;
    v[i] = da[i] - '0';
  }
  int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5];
  const int d = v[6] * 10 + v[7];
  if (y < 1800 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
  if (m <= 2) --y, m += 12;  // the year starts in March: leap days come last
  return 365.0 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d - 1;
}

// The stated age: Patient's Age, else Birth Date to the first of Study,
// Acquisition and Content Date that is a date; -1 when neither is known.
double stated_age_years(const Facts& f) {
  const double age = age_in_years(read_code(f.patient_age));
  if (age >= 0) return age;
  const double birth = day_number(read_code(f.birth_date));
  if (birth < 0) return -1;
  for (View when : {f.study_date, f.acquisition_date, f.content_date}) {
    const double day = day_number(read_code(when));
    if (day >= 0) return day >= birth ? (day - birth) / 365.25 : -1;
  }
  return -1;
}

void safety_warnings(const Facts& f, const PixelFormat& p, std::vector<std::string>* warnings) {
  if (p.frames > 1) warnings->push_back("multi-frame DICOM: only the first frame was classified");

  const std::string view = read_code(f.view_position);
  const bool lateral_view =
      view == "LL" || view == "RL" || view == "LAT" || view == "LATERAL" ||
      has_word(read_code(f.series_description), "LAT") || has_word(read_code(f.series_description), "LATERAL") ||
      has_word(read_code(f.protocol_name), "LAT") || has_word(read_code(f.protocol_name), "LATERAL");
  if (lateral_view) warnings->push_back("lateral view: the model was trained on frontal chest films");

  const std::string body_part = read_code(f.body_part);
  if (!body_part.empty() && body_part.find("CHEST") == std::string::npos && body_part != "THORAX" &&
      body_part != "LUNG" && body_part != "LUNGS")
    warnings->push_back("body part examined is " + printable_code(body_part) +
                        ", not CHEST: the model was trained on chest films");

  if (age_in_years(read_code(f.patient_age)) >= 18)
    warnings->push_back("outside intended use: the patient is an adult and the model was trained on children");

  const std::string modality = read_code(f.modality);
  if (!modality.empty() && modality != "CR" && modality != "DX" && modality != "DR")
    warnings->push_back("modality is " + printable_code(modality) +
                        ", not CR/DX: the model was trained on chest radiographs");
}

}  // namespace

// ------------------------------------------------------------ render

Status render(const uint8_t* data, size_t size, const Facts& f, Image* out) {
  PixelFormat p;
  CXR_TRY(read_format(f, &p));
  const size_t pixels = size_t(p.rows) * p.columns;
  out->width = p.columns;
  out->height = p.rows;
  out->bit_depth = 16;
  out->max_value = 65535;
  out->format = ImageFormat::dicom;
  out->source_channels = p.samples;

  std::vector<std::string> pipeline_warnings;
  Display display;
  display.invert = p.photometric == "MONOCHROME1";
  if (p.samples == 1) CXR_TRY(setup_display(f, p, &display, &pipeline_warnings));

  const uint32_t bytes = p.bits_allocated / 8;
  Status s;  // the rendering's, checked once below
  if (f.encoding == Encoding::native) {
    if (f.encapsulated) return corrupt("its transfer syntax is uncompressed but its pixel data is encapsulated");
    // Bounded: pixels <= 4e7, samples <= 3, bytes <= 2, frames <= 2^32.
    const uint64_t frame_bytes = uint64_t(pixels) * p.samples * bytes;
    if (uint64_t(f.native_declared) < frame_bytes * p.frames || uint64_t(f.native_bytes.size) < frame_bytes * p.frames)
      return Fail(cxr_status_corrupt_input,
                  "truncated DICOM pixel data (%llu bytes where %llu frame%s of %ux%u "
                  "need %llu); re-export or copy it again",
                  (unsigned long long)f.native_bytes.size, (unsigned long long)p.frames, p.frames == 1 ? "" : "s",
                  p.columns, p.rows, (unsigned long long)(frame_bytes * p.frames));
    const Samples samples{f.native_bytes.data, bytes, p.samples, p.planar, pixels};
    s = p.samples == 1 ? render_monochrome(
                             p, display, pixels, [&](size_t i) { return samples(i, 0); }, out)
                       : render_colour(p, samples, out);
  } else {
    if (!f.encapsulated) return corrupt("its transfer syntax is compressed but its pixel data is not encapsulated");
    std::vector<uint8_t> frame;
    CXR_TRY(first_frame_fragments(data, size, f, p.frames, &frame));
    if (f.encoding == Encoding::rle) {
      std::vector<uint8_t> planar;
      CXR_TRY(decode_rle_frame(frame.data(), frame.size(), p.rows, p.columns, p.samples, bytes, &planar));
      const Samples samples{planar.data(), bytes, p.samples, true, pixels};
      s = p.samples == 1 ? render_monochrome(
                               p, display, pixels, [&](size_t i) { return samples(i, 0); }, out)
                         : render_colour(p, samples, out);
    } else {
      if (frame.size() < 3 || frame[0] != 0xFF || frame[1] != 0xD8 || frame[2] != 0xFF)
        return corrupt("its JPEG frame does not start like a JPEG");
      Image jpeg;
      s = detail::decode_jpeg(frame.data(), frame.size(), &jpeg);
      if (!s.ok()) return Fail(s.code, "DICOM with JPEG pixel data: %s", s.message.c_str());
      if (jpeg.width != p.columns || jpeg.height != p.rows)
        return Fail(cxr_status_corrupt_input,
                    "corrupt DICOM: its JPEG frame is %ux%u but its header says %ux%u; "
                    "re-export it",
                    jpeg.width, jpeg.height, p.columns, p.rows);
      if (p.samples == 1) {
        // The decoded 8-bit gray values are the stored values.
        s = render_monochrome(
            p, display, pixels, [&](size_t i) { return uint32_t(jpeg.pixels[i]); }, out);
      } else {
        // stb's own YCbCr -> RGB, then the PNG path's luma (done by decode_jpeg).
        s = resize_pixels(out, pixels);
        if (s.ok())
          for (size_t i = 0; i < pixels; ++i) out->pixels[i] = uint16_t(jpeg.pixels[i] * 257u);
        out->color_content = jpeg.color_content;
        out->warnings.insert(out->warnings.end(), jpeg.warnings.begin(), jpeg.warnings.end());
      }
    }
  }
  if (!s.ok()) return s;
  out->warnings.insert(out->warnings.end(), pipeline_warnings.begin(), pipeline_warnings.end());
  safety_warnings(f, p, &out->warnings);
  out->patient_age_years = stated_age_years(f);
  return Ok();
}

}  // namespace cxr::dicom
