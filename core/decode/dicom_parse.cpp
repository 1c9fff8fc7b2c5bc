// DICOM structure: sniffing bare datasets, the transfer syntax, one linear
// walk over the elements, and the entry point (decode_dicom). Element headers
// and value readers are in dicom_element.cpp; the first frame's
// encapsulated/RLE bytes in dicom_frames.cpp.
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

#include "decode/dicom_element.h"

namespace cxr::dicom {
namespace {

constexpr size_t kOpenEnded = SIZE_MAX;  // a frame closed by a delimiter
constexpr int kMaxDepth = 16;            // sequence + item frames (8 nested sequences)

constexpr uint32_t kTransferSyntax = tag(0x0002, 0x0010);
constexpr uint32_t kModalityLutSequence = tag(0x0028, 0x3000);
constexpr uint32_t kVoiLutSequence = tag(0x0028, 0x3010);
constexpr uint32_t kLutDescriptor = tag(0x0028, 0x3002);
constexpr uint32_t kLutData = tag(0x0028, 0x3006);

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
    return Fail(cxr_status_unsupported_format,
                "DICOM compressed with a JPEG-family syntax (UID %s) is not "
                "supported; %s",
                uid.c_str(), kJpegAdvice);
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
        CXR_TRY(classify_syntax(transfer_syntax, &kind));
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
    CXR_TRY(classify_syntax(transfer_syntax, &kind));
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

}  // namespace cxr::dicom

namespace cxr {

bool looks_like_bare_dicom(const uint8_t* data, size_t size) { return dicom::looks_like_bare(data, size); }

Status decode_dicom(const uint8_t* data, size_t size, Image* out) {
  dicom::Facts facts;
  CXR_TRY(dicom::parse(data, size, &facts));
  return dicom::render(data, size, facts, out);
}

}  // namespace cxr
