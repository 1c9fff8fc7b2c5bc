// core/decode DICOM structure, on datasets built here byte by byte: sequences
// in implicit VR, deep nesting (refused without recursion), lengths past the
// end, odd lengths, and sniffing bare datasets among random bytes and other
// formats. The pydicom fixtures are tested in test_dicom.cpp.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "decode/dicom.h"
#include "decode/image.h"
#include "support/image_bytes.h"
#include "support/test_data.h"

namespace cxr {
namespace {

using testing::append_implicit_element;
using testing::Bytes;
using testing::put_le16;
using testing::put_le32;

// ---------------------------------------------------------------- hostile structure

// A bare implicit-VR 8-bit image of w x h with the given extra elements
// (already encoded) placed between the pixel module and the pixel data.
Bytes bare_image(uint32_t w, uint32_t h, const Bytes& extra, const Bytes& pixels) {
  return testing::make_bare_dicom({h, w, 8, "", extra, pixels});
}

Status decode(const Bytes& b, Image* image) { return decode_image(b.data(), b.size(), image); }

TEST(DicomStructure, DefinedLengthVoiLutSequenceInImplicitVr) {
  // pydicom writes sequences with undefined lengths; this one has defined
  // lengths throughout: the dictionary must know (0028,3010) is a sequence.
  Bytes lut_item;
  append_implicit_element(lut_item, 0x0028, 0x3002, [] {
    Bytes d;
    put_le16(d, 4);
    put_le16(d, 10);
    put_le16(d, 8);
    return d;
  }());
  append_implicit_element(lut_item, 0x0028, 0x3006, Bytes{0, 0, 85, 0, 170, 0, 255, 0});
  Bytes item;
  put_le16(item, 0xFFFE);
  put_le16(item, 0xE000);
  put_le32(item, uint32_t(lut_item.size()));
  item.insert(item.end(), lut_item.begin(), lut_item.end());
  Bytes sequence;
  append_implicit_element(sequence, 0x0028, 0x3010, item);
  const Bytes pixels = {0, 10, 11, 12, 13, 200};
  Image image;
  const Status s = decode(bare_image(3, 2, sequence, pixels), &image);
  ASSERT_TRUE(s.ok()) << s.message;
  // Below first-mapped -> entry 0, then entries 1..3, then clamped to the last.
  const std::vector<uint16_t> want = {0, 0, 21845, 43690, 65535, 65535};
  EXPECT_EQ(image.pixels, want);
}

TEST(DicomStructure, DeepNestingIsRefusedWithoutRecursion) {
  Bytes nest;
  for (int i = 0; i < 5000; ++i) {  // undefined-length sequence, undefined-length item, ...
    put_le16(nest, 0x0009);
    put_le16(nest, 0x1010);
    put_le32(nest, 0xFFFFFFFF);
    put_le16(nest, 0xFFFE);
    put_le16(nest, 0xE000);
    put_le32(nest, 0xFFFFFFFF);
  }
  Image image;
  const Status s = decode(bare_image(2, 2, nest, Bytes(4, 7)), &image);
  EXPECT_EQ(s.code, cxr_status_corrupt_input) << s.message;
  EXPECT_NE(s.message.find("nested too deeply"), std::string::npos) << s.message;
}

TEST(DicomStructure, LengthsPastTheEndAreRefused) {
  Bytes b = bare_image(2, 2, {}, Bytes(4, 7));
  Image image;
  ASSERT_TRUE(decode(b, &image).ok());
  // Columns' length field claims more bytes than the file holds.
  Bytes broken = b;
  for (size_t i = 0; i + 8 <= broken.size(); ++i)
    if (broken[i] == 0x28 && broken[i + 1] == 0 && broken[i + 2] == 0x11 && broken[i + 3] == 0) {
      broken[i + 4] = 0xF0, broken[i + 5] = 0xFF, broken[i + 6] = 0xFF, broken[i + 7] = 0x7F;
      break;
    }
  const Status s = decode(broken, &image);
  EXPECT_EQ(s.code, cxr_status_corrupt_input) << s.message;
}

TEST(DicomStructure, OddLengthsAreTolerated) {
  Bytes extra;
  append_implicit_element(extra, 0x0009, 0x0010, Bytes{'a', 'b', 'c'});  // odd length, private
  Image image;
  const Status s = decode(bare_image(2, 1, extra, Bytes{0, 255}), &image);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(image.pixels, (std::vector<uint16_t>{0, 65535}));
}

// ---------------------------------------------------------------- sniffing

TEST(DicomSniff, BareDatasetsAreRecognised) {
  EXPECT_EQ(sniff_format(nullptr, 0, nullptr), ImageFormat::unknown);
  const Bytes implicit = bare_image(2, 1, {}, Bytes{0, 255});
  EXPECT_EQ(sniff_format(implicit.data(), implicit.size(), nullptr), ImageFormat::dicom);
  // Explicit VR, first element (0008,0005) CS.
  const Bytes explicit_vr = {0x08, 0x00, 0x05, 0x00, 'C',  'S',  0x0A, 0x00, 'I', 'S', 'O',  '_',  'I', 'R',
                             ' ',  '1',  '0',  '0',  0x08, 0x00, 0x60, 0x00, 'C', 'S', 0x02, 0x00, 'D', 'X'};
  EXPECT_EQ(sniff_format(explicit_vr.data(), explicit_vr.size(), nullptr), ImageFormat::dicom);
  // Descending tags, or a length past the end: not DICOM.
  Bytes descending = explicit_vr;
  descending[20] = 0x01;  // (0008,0001) after (0008,0005)
  EXPECT_NE(sniff_format(descending.data(), descending.size(), nullptr), ImageFormat::dicom);
  Bytes overlong = explicit_vr;
  overlong[6] = 0x70;
  EXPECT_NE(sniff_format(overlong.data(), overlong.size(), nullptr), ImageFormat::dicom);
}

TEST(DicomSniff, RandomBytesAreNotTakenForDicom) {
  const uint32_t seed = testing::test_seed();
  std::mt19937 rng(seed);
  int taken = 0;
  for (int i = 0; i < 200000; ++i) {
    Bytes b(8 + rng() % 120);
    for (uint8_t& v : b) v = uint8_t(rng());
    if (i % 2) b[0] = 0x08, b[1] = 0x00;  // half of them with a DICOM-looking first group
    if (i % 4 == 1) b[3] = 0x00;          // and a small element number
    taken += sniff_format(b.data(), b.size(), nullptr) == ImageFormat::dicom;
  }
  EXPECT_EQ(taken, 0) << "seed " << seed;
}

TEST(DicomSniff, OtherFormatsStayThemselves) {
  const Bytes pdf = {'%', 'P', 'D', 'F', '-', '1', '.', '4', '\n', 0, 0, 0};
  std::string what;
  EXPECT_EQ(sniff_format(pdf.data(), pdf.size(), &what), ImageFormat::unknown);
  EXPECT_EQ(what, "PDF document");
  const Bytes jpeg = testing::encode_jpeg(std::vector<uint8_t>(64, 100), 8, 8, 1);
  EXPECT_EQ(sniff_format(jpeg.data(), jpeg.size(), nullptr), ImageFormat::jpeg);
}

}  // namespace
}  // namespace cxr
