#include "decode/sniff.h"

#include <string>

#include "decode/dicom.h"
#include "decode/image.h"

namespace cxr {
namespace {

using sniff::bytes_at;

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

Status sniff::refuse_unknown(const uint8_t* data, size_t size) { return refuse_foreign(identify_foreign(data, size)); }

}  // namespace cxr
