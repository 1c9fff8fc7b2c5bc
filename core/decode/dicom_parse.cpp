// DICOM structure: sniffing bare datasets, the transfer syntax, one linear
// walk over the elements, and the first frame's encapsulated/RLE bytes.
//
// The walk is iterative with an explicit, bounded stack (no recursion): a
// sequence or item with a defined length ends at its length, one with an
// undefined length at its delimiter. Every length is checked against the
// buffer before it is used; odd lengths are tolerated (they only move the
// cursor). Only the top-level attributes the pipeline needs, and the first
// item of the Modality/VOI LUT Sequences, are recorded; everything else,
// including nested images such as icons, is skipped. The walk stops at the
// top-level Pixel Data.
#include <cstring>

#include "decode/dicom_internal.h"

namespace cxr::dicom {
namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;
constexpr size_t kOpenEnded = SIZE_MAX;  // a frame closed by a delimiter
constexpr int kMaxDepth = 16;            // sequence + item frames (8 nested sequences)

constexpr uint32_t tag(uint32_t group, uint32_t element) { return group << 16 | element; }
constexpr uint32_t kItem = tag(0xFFFE, 0xE000);
constexpr uint32_t kItemDelimiter = tag(0xFFFE, 0xE00D);
constexpr uint32_t kSequenceDelimiter = tag(0xFFFE, 0xE0DD);
constexpr uint32_t kPixelData = tag(0x7FE0, 0x0010);
constexpr uint32_t kTransferSyntax = tag(0x0002, 0x0010);
constexpr uint32_t kModalityLutSequence = tag(0x0028, 0x3000);
constexpr uint32_t kVoiLutSequence = tag(0x0028, 0x3010);
constexpr uint32_t kLutDescriptor = tag(0x0028, 0x3002);
constexpr uint32_t kLutData = tag(0x0028, 0x3006);

uint32_t le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t le32(const uint8_t* p) { return le16(p) | le16(p + 2) << 16; }

bool is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }

bool known_vr(uint8_t a, uint8_t b) {
  static const char kVrs[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
  for (size_t i = 0; i + 1 < sizeof kVrs; i += 2)
    if (kVrs[i] == a && kVrs[i + 1] == b) return true;
  return false;
}

// VRs whose explicit header has 2 reserved bytes and a 32-bit length.
bool long_vr(uint8_t a, uint8_t b) {
  static const char kLong[] = "OBODOFOLOVOWSQSVUCUNURUTUV";
  for (size_t i = 0; i + 1 < sizeof kLong; i += 2)
    if (kLong[i] == a && kLong[i + 1] == b) return true;
  return false;
}

struct Header {
  uint32_t tag = 0;
  char vr[2] = {0, 0};  // {0, 0}: implicit (or an item/delimiter)
  uint32_t length = 0;
  size_t value = 0;     // offset of the value
};

// One element header at pos. Items and delimiters have no VR; an explicit
// header with an unknown VR is read as implicit (some writers mix them).
bool read_header(const uint8_t* d, size_t size, size_t pos, bool implicit, Header* h) {
  if (pos > size || size - pos < 8) return false;
  *h = Header{};
  const uint32_t group = le16(d + pos);
  h->tag = tag(group, le16(d + pos + 2));
  if (group == 0xFFFE) {
    h->length = le32(d + pos + 4);
    h->value = pos + 8;
    return true;
  }
  const uint8_t a = d[pos + 4], b = d[pos + 5];
  if ((!implicit || group == 0x0002) && is_upper(a) && is_upper(b) && known_vr(a, b)) {
    h->vr[0] = char(a);
    h->vr[1] = char(b);
    if (long_vr(a, b)) {
      if (size - pos < 12) return false;
      h->length = le32(d + pos + 8);
      h->value = pos + 12;
    } else {
      h->length = le16(d + pos + 6);
      h->value = pos + 8;
    }
    return true;
  }
  h->length = le32(d + pos + 4);
  h->value = pos + 8;
  return true;
}

bool vr_is(const Header& h, const char* vr) { return h.vr[0] == vr[0] && h.vr[1] == vr[1]; }

// ------------------------------------------------------------ transfer syntax

enum class SyntaxKind { implicit_le, explicit_le, jpeg_baseline, rle, refused };

struct Syntax {
  const char* uid;
  SyntaxKind kind;
  const char* what;    // for the refusal: "DICOM <what> is not supported"
  const char* advice;  // how to convert
};

constexpr const char* kJpegAdvice =
    "convert it to uncompressed first, e.g. `gdcmconv --raw in.dcm out.dcm` (GDCM) or `dcmdjpeg in.dcm out.dcm` "
    "(DCMTK)";
constexpr const char* kJpegLsAdvice =
    "convert it to uncompressed first, e.g. `gdcmconv --raw in.dcm out.dcm` (GDCM) or `dcmdjpls in.dcm out.dcm` "
    "(DCMTK)";
constexpr const char* kRawAdvice = "convert it to uncompressed first, e.g. `gdcmconv --raw in.dcm out.dcm` (GDCM)";
constexpr const char* kByteOrderAdvice =
    "convert it first, e.g. `dcmconv +te in.dcm out.dcm` (DCMTK) or `gdcmconv --raw in.dcm out.dcm` (GDCM)";
constexpr const char* kVideoAdvice = "export one frame as an uncompressed DICOM image or as PNG";

constexpr Syntax kSyntaxes[] = {
    {"1.2.840.10008.1.2", SyntaxKind::implicit_le, nullptr, nullptr},
    {"1.2.840.10008.1.2.1", SyntaxKind::explicit_le, nullptr, nullptr},
    {"1.2.840.10008.1.2.4.50", SyntaxKind::jpeg_baseline, nullptr, nullptr},
    {"1.2.840.10008.1.2.5", SyntaxKind::rle, nullptr, nullptr},
    {"1.2.840.10008.1.2.1.99", SyntaxKind::refused, "compressed with Deflate", kByteOrderAdvice},
    {"1.2.840.10008.1.2.2", SyntaxKind::refused, "in Explicit VR Big Endian byte order", kByteOrderAdvice},
    {"1.2.840.10008.1.2.1.98", SyntaxKind::refused, "with encapsulated uncompressed pixel data", kRawAdvice},
    {"1.2.840.10008.1.2.4.51", SyntaxKind::refused, "compressed with JPEG Extended (12-bit)", kJpegAdvice},
    {"1.2.840.10008.1.2.4.57", SyntaxKind::refused, "compressed with JPEG Lossless", kJpegAdvice},
    {"1.2.840.10008.1.2.4.70", SyntaxKind::refused, "compressed with JPEG Lossless (SV1)", kJpegAdvice},
    {"1.2.840.10008.1.2.4.80", SyntaxKind::refused, "compressed with JPEG-LS Lossless", kJpegLsAdvice},
    {"1.2.840.10008.1.2.4.81", SyntaxKind::refused, "compressed with JPEG-LS (near-lossless)", kJpegLsAdvice},
    {"1.2.840.10008.1.2.4.90", SyntaxKind::refused, "compressed with JPEG 2000 (lossless)", kRawAdvice},
    {"1.2.840.10008.1.2.4.91", SyntaxKind::refused, "compressed with JPEG 2000", kRawAdvice},
    {"1.2.840.10008.1.2.4.92", SyntaxKind::refused, "compressed with JPEG 2000 Part 2 (lossless)", kRawAdvice},
    {"1.2.840.10008.1.2.4.93", SyntaxKind::refused, "compressed with JPEG 2000 Part 2", kRawAdvice},
    {"1.2.840.10008.1.2.4.94", SyntaxKind::refused, "referencing JPIP pixel data", kRawAdvice},
    {"1.2.840.10008.1.2.4.95", SyntaxKind::refused, "referencing JPIP pixel data", kRawAdvice},
    {"1.2.840.10008.1.2.4.201", SyntaxKind::refused, "compressed with HTJ2K (lossless)", kRawAdvice},
    {"1.2.840.10008.1.2.4.202", SyntaxKind::refused, "compressed with HTJ2K (lossless RPCL)", kRawAdvice},
    {"1.2.840.10008.1.2.4.203", SyntaxKind::refused, "compressed with HTJ2K", kRawAdvice},
    {"1.2.840.10008.1.2.4.204", SyntaxKind::refused, "referencing JPIP HTJ2K pixel data", kRawAdvice},
};

// The video syntaxes: MPEG-2 (.100, .101), MPEG-4 (.102-.106), HEVC (.107, .108).
bool is_video_syntax(const std::string& uid) {
  static const char kPrefix[] = "1.2.840.10008.1.2.4.1";
  if (uid.compare(0, sizeof kPrefix - 1, kPrefix) != 0 || uid.size() != sizeof kPrefix + 1) return false;
  return uid[sizeof kPrefix - 1] == '0' && uid[sizeof kPrefix] >= '0' && uid[sizeof kPrefix] <= '8';
}

// A UID value: printable digits and dots only (a UID is not an identifier of
// a person, but the message must still be clean), trailing NUL/space dropped.
std::string read_uid(View v) {
  std::string uid;
  for (size_t i = 0; i < v.size && uid.size() < 64; ++i) {
    const char c = char(v.data[i]);
    if ((c >= '0' && c <= '9') || c == '.') uid.push_back(c);
    else if (c == '\0' || c == ' ') break;
    else return "(unreadable)";
  }
  return uid;
}

Status classify_syntax(View value, SyntaxKind* kind) {
  const std::string uid = read_uid(value);
  for (const Syntax& s : kSyntaxes) {
    if (uid != s.uid) continue;
    *kind = s.kind;
    if (s.kind != SyntaxKind::refused) return Ok();
    return Fail(cxr_status_unsupported_format, "DICOM %s is not supported; %s", s.what, s.advice);
  }
  if (is_video_syntax(uid))
    return Fail(cxr_status_unsupported_format, "DICOM video (MPEG/HEVC) is not supported; %s", kVideoAdvice);
  if (uid.compare(0, 20, "1.2.840.10008.1.2.4.") == 0)
    return Fail(cxr_status_unsupported_format, "DICOM compressed with a JPEG-family syntax (UID %s) is not "
                "supported; %s", uid.c_str(), kJpegAdvice);
  return Fail(cxr_status_unsupported_format, "DICOM with an unknown transfer syntax (UID %s) is not supported; %s",
              uid.empty() ? "empty" : uid.c_str(), kRawAdvice);
}

// ------------------------------------------------------------ the walk

struct Frame {
  bool sequence;   // else an item
  bool implicit;   // VR encoding of the elements inside
  size_t end;      // kOpenEnded: closed by a delimiter
  uint32_t tag;    // sequence: its tag
  uint32_t items;  // sequence: items opened so far
};

Status corrupt(const char* what) {
  return Fail(cxr_status_corrupt_input, "corrupt DICOM: %s; re-export or copy it again", what);
}

Status truncated_file() {
  return Fail(cxr_status_corrupt_input,
              "truncated DICOM (the file ends inside its header); re-export or copy it again");
}

Status truncated_pixels() {
  return Fail(cxr_status_corrupt_input, "truncated DICOM pixel data (the file ends before the image does); "
              "re-export or copy it again");
}

// Items of an undefined-length non-sequence element (encapsulated pixel data
// nested in an icon, say) up to its sequence delimiter; returns the offset
// after it, or 0 when malformed.
size_t skip_fragments(const uint8_t* d, size_t size, size_t pos) {
  Header h;
  while (read_header(d, size, pos, true, &h)) {
    if (h.tag == kSequenceDelimiter) return h.value;
    if (h.tag != kItem || h.length == kUndefined || h.length > size - h.value) return 0;
    pos = h.value + h.length;
  }
  return 0;
}

void record_top_level(const Header& h, const uint8_t* d, Facts* f) {
  const View v{d + h.value, h.length};
  View* slot = nullptr;
  switch (h.tag) {
    case tag(0x0008, 0x0020): slot = &f->study_date; break;
    case tag(0x0008, 0x0022): slot = &f->acquisition_date; break;
    case tag(0x0008, 0x0023): slot = &f->content_date; break;
    case tag(0x0008, 0x0060): slot = &f->modality; break;
    case tag(0x0010, 0x0030): slot = &f->birth_date; break;
    case tag(0x0008, 0x103E): slot = &f->series_description; break;
    case tag(0x0010, 0x1010): slot = &f->patient_age; break;
    case tag(0x0018, 0x0015): slot = &f->body_part; break;
    case tag(0x0018, 0x1030): slot = &f->protocol_name; break;
    case tag(0x0018, 0x5101): slot = &f->view_position; break;
    case tag(0x0028, 0x0002): slot = &f->samples_per_pixel; break;
    case tag(0x0028, 0x0004): slot = &f->photometric; break;
    case tag(0x0028, 0x0006): slot = &f->planar_configuration; break;
    case tag(0x0028, 0x0008): slot = &f->number_of_frames; break;
    case tag(0x0028, 0x0010): slot = &f->rows; break;
    case tag(0x0028, 0x0011): slot = &f->columns; break;
    case tag(0x0028, 0x0100): slot = &f->bits_allocated; break;
    case tag(0x0028, 0x0101): slot = &f->bits_stored; break;
    case tag(0x0028, 0x0102): slot = &f->high_bit; break;
    case tag(0x0028, 0x0103): slot = &f->pixel_representation; break;
    case tag(0x0028, 0x0120): slot = &f->padding_value; break;
    case tag(0x0028, 0x0121): slot = &f->padding_range_limit; break;
    case tag(0x0028, 0x1050): slot = &f->window_center; break;
    case tag(0x0028, 0x1051): slot = &f->window_width; break;
    case tag(0x0028, 0x1052): slot = &f->rescale_intercept; break;
    case tag(0x0028, 0x1053): slot = &f->rescale_slope; break;
    case tag(0x0028, 0x1056): slot = &f->voi_function; break;
    default: return;
  }
  if (!slot->present()) *slot = v;  // a repeated tag: the first one counts
}

void record_lut_element(const Header& h, const uint8_t* d, LutView* lut) {
  const View v{d + h.value, h.length};
  if (h.tag == kLutDescriptor && !lut->descriptor.present()) {
    lut->descriptor = v;
    lut->descriptor_has_vr = h.vr[0] != 0;
    lut->descriptor_signed = vr_is(h, "SS");
  } else if (h.tag == kLutData && !lut->data.present()) {
    lut->data = v;
  }
}

// Sequences known without a VR (implicit VR): the two the pipeline reads.
// Any other sequence with a defined length is skipped as an opaque value;
// one with an undefined length is recognised by that length.
bool dictionary_sequence(uint32_t t) { return t == kModalityLutSequence || t == kVoiLutSequence; }

}  // namespace

Status parse(const uint8_t* d, size_t size, Facts* f) {
  *f = Facts{};
  size_t pos = 0;
  bool part10 = false;
  if (size >= 132 && std::memcmp(d + 128, "DICM", 4) == 0) {
    pos = 132;
    part10 = true;
  }

  View transfer_syntax;
  bool syntax_known = false;  // decided at the first element after group 0002
  bool implicit = true;       // of the main dataset

  Frame stack[kMaxDepth];
  int depth = 0;
  for (;;) {
    while (depth > 0 && stack[depth - 1].end != kOpenEnded && pos >= stack[depth - 1].end) {
      if (pos > stack[depth - 1].end) return corrupt("an element runs past the end of its sequence");
      --depth;
    }
    if (pos >= size || (depth == 0 && size - pos < 8)) {
      // The end of the file (a few stray trailing bytes at the top level are
      // tolerated). Open sequences mean it was cut short.
      if (depth > 0) return truncated_file();
      break;
    }
    Frame* top = depth > 0 ? &stack[depth - 1] : nullptr;
    bool element_implicit = top ? top->implicit : implicit;
    Header h;
    if (!read_header(d, size, pos, element_implicit, &h)) return truncated_file();

    if (top && top->sequence) {
      if (h.tag == kItem) {
        if (depth == kMaxDepth) return corrupt("its sequences are nested too deeply");
        size_t end = kOpenEnded;
        if (h.length != kUndefined) {
          if (h.length > size - h.value) return truncated_file();
          end = h.value + h.length;
          if (top->end != kOpenEnded && end > top->end) return corrupt("an item runs past the end of its sequence");
        }
        stack[depth++] = Frame{false, top->implicit, end, 0, 0};
        ++top->items;
        pos = h.value;
        continue;
      }
      if (h.tag == kSequenceDelimiter) {
        pos = h.value;
        if (top->end == kOpenEnded) --depth;  // else a stray delimiter inside a defined length: skipped
        continue;
      }
      return corrupt("a sequence holds something other than items");
    }
    if (h.tag == kItemDelimiter) {
      pos = h.value;
      if (top && top->end == kOpenEnded) --depth;  // a stray one elsewhere is skipped
      continue;
    }
    if (h.tag >> 16 == 0xFFFE) return corrupt("a delimiter is out of place");

    // The main dataset's encoding, once the file meta group is behind us.
    if (depth == 0 && h.tag >> 16 != 0x0002 && !syntax_known) {
      syntax_known = true;
      SyntaxKind kind = SyntaxKind::implicit_le;
      if (transfer_syntax.present()) {
        Status s = classify_syntax(transfer_syntax, &kind);
        if (!s.ok()) return s;
      } else {
        // No file meta: implicit VR unless this element's VR says otherwise.
        kind = is_upper(d[pos + 4]) && is_upper(d[pos + 5]) && known_vr(d[pos + 4], d[pos + 5])
                   ? SyntaxKind::explicit_le
                   : SyntaxKind::implicit_le;
      }
      implicit = element_implicit = kind == SyntaxKind::implicit_le;
      f->encoding = kind == SyntaxKind::jpeg_baseline ? Encoding::jpeg_baseline
                    : kind == SyntaxKind::rle         ? Encoding::rle
                                                      : Encoding::native;
      if (!read_header(d, size, pos, implicit, &h)) return truncated_file();
    }

    const bool undefined = h.length == kUndefined;
    const bool no_vr = h.vr[0] == 0;
    const bool is_sequence = vr_is(h, "SQ") || (vr_is(h, "UN") && undefined) ||
                             (no_vr && (dictionary_sequence(h.tag) || (undefined && h.tag != kPixelData)));
    if (is_sequence) {
      if (depth == kMaxDepth) return corrupt("its sequences are nested too deeply");
      size_t end = kOpenEnded;
      if (!undefined) {
        if (h.length > size - h.value) return truncated_file();
        end = h.value + h.length;
      }
      // A UN sequence of undefined length is encoded in implicit VR (PS3.5 6.2.2).
      const bool inner_implicit = vr_is(h, "UN") ? true : element_implicit;
      stack[depth++] = Frame{true, inner_implicit, end, h.tag, 0};
      pos = h.value;
      continue;
    }

    if (undefined) {
      if (h.tag == kPixelData && depth == 0) {
        f->pixel_data = true;
        f->encapsulated = true;
        f->fragments_offset = h.value;
        return Ok();
      }
      const size_t next = skip_fragments(d, size, h.value);
      if (next == 0) return corrupt("an element of undefined length is malformed");
      pos = next;
      continue;
    }

    if (h.length > size - h.value) {
      if (h.tag == kPixelData && depth == 0) {
        f->pixel_data = true;
        f->native_declared = h.length;
        f->native_bytes = View{d + h.value, size - h.value};
        return Ok();
      }
      return truncated_file();
    }

    if (depth == 0) {
      if (h.tag == kTransferSyntax && !transfer_syntax.present()) transfer_syntax = View{d + h.value, h.length};
      if (h.tag == kPixelData) {
        f->pixel_data = true;
        f->native_declared = h.length;
        f->native_bytes = View{d + h.value, h.length};
        return Ok();
      }
      record_top_level(h, d, f);
    } else if (depth == 2 && stack[0].items == 1 &&
               (stack[0].tag == kModalityLutSequence || stack[0].tag == kVoiLutSequence)) {
      record_lut_element(h, d, stack[0].tag == kVoiLutSequence ? &f->voi_lut : &f->modality_lut);
    }
    pos = h.value + h.length;
  }
  if (!syntax_known && transfer_syntax.present()) {
    // Only a file meta group: still say what it would have been.
    SyntaxKind kind;
    Status s = classify_syntax(transfer_syntax, &kind);
    if (!s.ok()) return s;
  }
  (void)part10;
  return Ok();
}

// ------------------------------------------------------------ sniffing

bool looks_like_bare(const uint8_t* d, size_t size) {
  if (!d || size < 8) return false;
  const uint32_t group = le16(d), element = le16(d + 2);
  if ((group != 0x0002 && group != 0x0008) || element > 0x00FF) return false;
  const bool explicit_vr = is_upper(d[4]) && is_upper(d[5]) && known_vr(d[4], d[5]);
  if (!explicit_vr && le32(d + 4) > 0xFFFF) return false;  // implicit: a first element is short
  // The first elements must parse, within the buffer, in ascending tag order.
  size_t pos = 0;
  uint32_t previous = 0;
  for (int n = 0; n < 4; ++n) {
    if (pos == size) return n >= 1;
    Header h;
    if (!read_header(d, size, pos, !explicit_vr, &h)) return false;
    if (n > 0 && h.tag <= previous) return false;
    if (explicit_vr && h.tag >> 16 != 0xFFFE && h.vr[0] == 0) return false;
    if (h.length == kUndefined) return n >= 1;  // a sequence: the structure so far was sound
    if (h.length > size - h.value) return n >= 1 && h.tag == kPixelData;
    previous = h.tag;
    pos = h.value + h.length;
  }
  return true;
}

// ------------------------------------------------------------ encapsulated frames

Status first_frame_fragments(const uint8_t* d, size_t size, const Facts& f, uint64_t frames,
                             std::vector<uint8_t>* frame) {
  frame->clear();
  // Item 0: the Basic Offset Table (possibly empty).
  Header h;
  size_t pos = f.fragments_offset;
  if (!read_header(d, size, pos, true, &h)) return truncated_pixels();
  if (h.tag != kItem || h.length == kUndefined) return corrupt("its encapsulated pixel data has no offset table");
  if (h.length > size - h.value) return truncated_pixels();
  // The first frame ends where the table says the second begins (offsets count
  // from the first fragment's item tag).
  uint64_t first_frame_end = UINT64_MAX;
  if (frames > 1 && h.length >= 8) first_frame_end = le32(d + h.value + 4);
  pos = h.value + h.length;
  const size_t first_fragment = pos;

  size_t fragments = 0;
  bool ended = false;
  for (;;) {
    if (!read_header(d, size, pos, true, &h)) return truncated_pixels();
    if (h.tag == kSequenceDelimiter) {
      ended = true;
      break;
    }
    if (h.tag != kItem || h.length == kUndefined) return corrupt("its encapsulated pixel data is malformed");
    if (h.length > size - h.value) return truncated_pixels();
    if (frames <= 1 || (pos - first_fragment) < first_frame_end) {
      if (frame->size() + h.length > size) return corrupt("its encapsulated pixel data is malformed");
      frame->insert(frame->end(), d + h.value, d + h.value + h.length);
      ++fragments;
    }
    pos = h.value + h.length;
    if (frames > 1 && first_frame_end == UINT64_MAX) {
      // No offset table: one fragment per frame, unless this JPEG frame has
      // not reached its EOI marker yet (trailing padding byte allowed).
      if (f.encoding == Encoding::rle) break;
      size_t n = frame->size();
      while (n > 0 && (*frame)[n - 1] == 0x00) --n;
      if (n >= 2 && (*frame)[n - 2] == 0xFF && (*frame)[n - 1] == 0xD9) break;
    }
  }
  (void)ended;
  if (fragments == 0) return Fail(cxr_status_corrupt_input, "truncated DICOM pixel data (its encapsulated "
                                  "pixel data holds no frame); re-export or copy it again");
  return Ok();
}

// ------------------------------------------------------------ RLE

Status decode_rle_frame(const uint8_t* p, size_t size, uint32_t rows, uint32_t columns, uint32_t samples,
                        uint32_t bytes_per_sample, std::vector<uint8_t>* planar) {
  const size_t pixels = size_t(rows) * columns;
  const uint32_t segments = samples * bytes_per_sample;
  if (size < 64) return Fail(cxr_status_corrupt_input, "truncated DICOM pixel data (its RLE header is cut short); "
                             "re-export or copy it again");
  const uint32_t count = le32(p);
  if (count != segments || count > 15)
    return corrupt("its RLE frame has the wrong number of segments for its pixel format");
  uint32_t offsets[16];
  for (uint32_t i = 0; i < count; ++i) offsets[i] = le32(p + 4 + 4 * i);
  offsets[count] = uint32_t(size > 0xFFFFFFFFu ? 0xFFFFFFFFu : size);
  planar->assign(pixels * samples * bytes_per_sample, 0);
  for (uint32_t s = 0; s < count; ++s) {
    const size_t begin = offsets[s], end = offsets[s + 1];
    if (begin < 64 || begin > end || end > size) return corrupt("its RLE segment offsets are invalid");
    // Segment s is byte plane (s % bytes_per_sample) of sample s / bytes_per_sample,
    // most significant byte first; written little endian into the planar buffer.
    const uint32_t sample = s / bytes_per_sample;
    const uint32_t byte_in_sample = bytes_per_sample - 1 - s % bytes_per_sample;
    uint8_t* out = planar->data() + size_t(sample) * pixels * bytes_per_sample + byte_in_sample;
    size_t produced = 0;
    for (size_t i = begin; i < end && produced < pixels;) {
      const int n = int8_t(p[i++]);
      if (n >= 0) {  // n + 1 literal bytes
        const size_t run = size_t(n) + 1;
        if (run > end - i) return corrupt("an RLE segment is cut short");
        for (size_t k = 0; k < run && produced < pixels; ++k) out[produced++ * bytes_per_sample] = p[i + k];
        i += run;
      } else if (n != -128) {  // 1 - n copies of the next byte
        if (i >= end) return corrupt("an RLE segment is cut short");
        const uint8_t value = p[i++];
        for (int k = 0; k < 1 - n && produced < pixels; ++k) out[produced++ * bytes_per_sample] = value;
      }
    }
    if (produced < pixels) return corrupt("an RLE segment decodes to fewer pixels than the image has");
  }
  return Ok();
}

// ------------------------------------------------------------ value readers

bool read_u16(View v, uint32_t* out) {
  if (!v.present() || v.size < 2) return false;
  *out = le16(v.data);
  return true;
}

namespace {
// The first value of a multi-valued string, without padding.
View first_string_value(View v) {
  size_t b = 0, e = 0;
  while (e < v.size && v.data[e] != '\\') ++e;
  while (b < e && (v.data[b] == ' ' || v.data[b] == '\0')) ++b;
  while (e > b && (v.data[e - 1] == ' ' || v.data[e - 1] == '\0')) --e;
  return View{v.data + b, e - b};
}
}  // namespace

// Locale-independent: [+-]digits[.digits][(e|E)[+-]digits].
bool read_ds(View v, double* out) {
  if (!v.present()) return false;
  const View s = first_string_value(v);
  if (s.size == 0 || s.size > 64) return false;
  size_t i = 0;
  bool negative = false;
  if (s.data[i] == '+' || s.data[i] == '-') negative = s.data[i++] == '-';
  double mantissa = 0;
  int digits = 0, scale = 0;
  for (; i < s.size && s.data[i] >= '0' && s.data[i] <= '9'; ++i, ++digits) mantissa = mantissa * 10 + (s.data[i] - '0');
  if (i < s.size && s.data[i] == '.') {
    for (++i; i < s.size && s.data[i] >= '0' && s.data[i] <= '9'; ++i, ++digits, --scale)
      mantissa = mantissa * 10 + (s.data[i] - '0');
  }
  if (digits == 0) return false;
  if (i < s.size && (s.data[i] == 'e' || s.data[i] == 'E')) {
    ++i;
    bool negative_exponent = false;
    if (i < s.size && (s.data[i] == '+' || s.data[i] == '-')) negative_exponent = s.data[i++] == '-';
    int exponent = 0, exponent_digits = 0;
    for (; i < s.size && s.data[i] >= '0' && s.data[i] <= '9'; ++i, ++exponent_digits)
      exponent = exponent < 1000 ? exponent * 10 + (s.data[i] - '0') : exponent;
    if (exponent_digits == 0) return false;
    scale += negative_exponent ? -exponent : exponent;
  }
  if (i != s.size) return false;
  // One multiplication or division by an exact power of ten (up to 1e22) is
  // correctly rounded for the usual DS values; beyond that, repeated scaling.
  static const double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  double value = mantissa;
  for (; scale > 22; scale -= 22) value *= kPowers[22];
  for (; scale < -22; scale += 22) value /= kPowers[22];
  value = scale >= 0 ? value * kPowers[scale] : value / kPowers[-scale];
  if (!(value == value) || value > 1e300 || value < -1e300) return false;
  *out = negative ? -value : value;
  return true;
}

bool read_is(View v, uint64_t* out) {
  if (!v.present()) return false;
  const View s = first_string_value(v);
  size_t i = 0;
  if (i < s.size && s.data[i] == '+') ++i;
  if (i == s.size) return false;
  uint64_t value = 0;
  for (; i < s.size; ++i) {
    if (s.data[i] < '0' || s.data[i] > '9') return false;
    value = value * 10 + uint64_t(s.data[i] - '0');
    if (value > (uint64_t(1) << 32)) value = uint64_t(1) << 32;
  }
  *out = value;
  return true;
}

std::string read_code(View v) {
  std::string code;
  if (!v.present()) return code;
  const View s = first_string_value(v);
  for (size_t i = 0; i < s.size && code.size() < 64; ++i) {
    uint8_t c = s.data[i];
    if (c >= 'a' && c <= 'z') c = uint8_t(c - 32);
    code.push_back(c >= 0x20 && c < 0x7F ? char(c) : '?');
  }
  return code;
}

}  // namespace cxr::dicom

namespace cxr {

bool looks_like_bare_dicom(const uint8_t* data, size_t size) { return dicom::looks_like_bare(data, size); }

Status decode_dicom(const uint8_t* data, size_t size, Image* out) {
  dicom::Facts facts;
  Status s = dicom::parse(data, size, &facts);
  if (!s.ok()) return s;
  return dicom::render(data, size, facts, out);
}

}  // namespace cxr
