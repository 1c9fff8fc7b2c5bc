// PNG and JPEG files built byte by byte, for the fixtures stb_image_write
// cannot make (palette and 16-bit PNG, single-component and progressive JPEG,
// header-only files), and bare DICOM datasets for the structure and limit
// tests; the integer writers also serve the model-file tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cxr::testing {

using Bytes = std::vector<uint8_t>;

void put_be16(Bytes& out, uint32_t v);
void put_be32(Bytes& out, uint32_t v);
void put_le16(Bytes& out, uint32_t v);
void put_le32(Bytes& out, uint32_t v);

// PNG: a chunk with its length and CRC; the signature and an IHDR.
void append_png_chunk(Bytes& png, const char* type, const Bytes& payload);
Bytes png_signature_and_header(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type);
// `samples`: rows of packed samples, 16-bit ones big-endian, no filter bytes.
Bytes make_png(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type, const Bytes& samples,
               const Bytes& palette = {});
Bytes big_endian_16(const std::vector<uint16_t>& values);

// JPEG: a marker segment with its length; SOI and a one-component frame header.
void append_segment(Bytes& jpeg, uint8_t marker, const Bytes& payload);
Bytes jpeg_frame_header(uint8_t sof_marker, uint32_t width, uint32_t height);
// A gray JPEG whose 8x8 blocks are flat: block b has DC coefficient dc[b]
// (quantiser 1), i.e. the value 128 + dc[b] / 8. Baseline: one scan.
// Progressive: a DC scan at half precision, a DC refinement scan, then an
// AC scan of end-of-block codes.
Bytes make_flat_block_jpeg(uint32_t width, uint32_t height, const std::vector<int>& dc, bool progressive);

// DICOM: an implicit-VR little-endian element, its value as given (odd
// lengths too, for the tests of them).
void append_implicit_element(Bytes& dataset, uint32_t group, uint32_t element, const Bytes& value);
// A bare implicit-VR little-endian dataset of a DX film: MONOCHROME2, one
// unsigned sample a pixel, `bits` allocated and stored, (0028,0008) Number of
// Frames when `frames` is not empty, then `extra` (elements already encoded,
// in tag order) and the pixel data, both as given.
struct BareDicom {
  uint32_t rows = 0, columns = 0, bits = 8;
  std::string frames;
  Bytes extra, pixels;
};
Bytes make_bare_dicom(const BareDicom& film);

}  // namespace cxr::testing
