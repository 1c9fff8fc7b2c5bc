#include "support/image_bytes.h"

#include <algorithm>
#include <cstddef>

namespace cxr::testing {

// ---------------------------------------------------------------- PNG writer

namespace {

// Bitwise, independent of the core's table-driven CRC-32.
uint32_t crc32(const uint8_t* data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

}  // namespace

void put_be16(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

void put_be32(Bytes& out, uint32_t v) {
  put_be16(out, v >> 16);
  put_be16(out, v & 0xFFFF);
}

void put_le16(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}

void put_le32(Bytes& out, uint32_t v) {
  put_le16(out, v & 0xFFFF);
  put_le16(out, v >> 16);
}

void append_png_chunk(Bytes& png, const char* type, const Bytes& payload) {
  put_be32(png, uint32_t(payload.size()));
  Bytes body(type, type + 4);
  body.insert(body.end(), payload.begin(), payload.end());
  png.insert(png.end(), body.begin(), body.end());
  put_be32(png, crc32(body.data(), body.size()));
}

namespace {

// zlib stream of stored (uncompressed) deflate blocks.
Bytes zlib_stored(const Bytes& raw) {
  Bytes z = {0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(raw.size() - pos, 65535);
    z.push_back(pos + n == raw.size() ? 1 : 0);  // BFINAL, BTYPE=00
    z.push_back(uint8_t(n));
    z.push_back(uint8_t(n >> 8));
    z.push_back(uint8_t(~n));
    z.push_back(uint8_t(~n >> 8));
    z.insert(z.end(), raw.begin() + pos, raw.begin() + pos + n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;  // Adler-32
  for (uint8_t c : raw) a = (a + c) % 65521, b = (b + a) % 65521;
  put_be32(z, b << 16 | a);
  return z;
}

}  // namespace

Bytes png_signature_and_header(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {bit_depth, color_type, 0, 0, 0});
  append_png_chunk(png, "IHDR", ihdr);
  return png;
}

Bytes make_png(uint32_t width, uint32_t height, uint8_t bit_depth, uint8_t color_type, const Bytes& samples,
               const Bytes& palette) {
  Bytes png = png_signature_and_header(width, height, bit_depth, color_type);
  if (!palette.empty()) append_png_chunk(png, "PLTE", palette);
  const size_t row_bytes = samples.size() / height;
  Bytes raw;
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    raw.insert(raw.end(), samples.begin() + y * row_bytes, samples.begin() + (y + 1) * row_bytes);
  }
  append_png_chunk(png, "IDAT", zlib_stored(raw));
  append_png_chunk(png, "IEND", {});
  return png;
}

Bytes big_endian_16(const std::vector<uint16_t>& values) {
  Bytes out;
  for (uint16_t v : values) put_be16(out, v);
  return out;
}

// --------------------------------------------------------------- JPEG writer

namespace {

// Bits MSB first, 0xFF stuffed with 0x00, last byte padded with ones.
class BitWriter {
 public:
  explicit BitWriter(Bytes& out) : out_(out) {}
  void put(uint32_t bits, int count) {
    for (int i = count - 1; i >= 0; --i) {
      byte_ = uint8_t(byte_ << 1 | ((bits >> i) & 1));
      if (++filled_ == 8) emit();
    }
  }
  void flush() {
    while (filled_ != 0) put(1, 1);
  }

 private:
  void emit() {
    out_.push_back(byte_);
    if (byte_ == 0xFF) out_.push_back(0x00);
    byte_ = 0;
    filled_ = 0;
  }
  Bytes& out_;
  uint8_t byte_ = 0;
  int filled_ = 0;
};

}  // namespace

void append_segment(Bytes& jpeg, uint8_t marker, const Bytes& payload) {
  jpeg.push_back(0xFF);
  jpeg.push_back(marker);
  put_be16(jpeg, uint32_t(payload.size() + 2));
  jpeg.insert(jpeg.end(), payload.begin(), payload.end());
}

Bytes jpeg_frame_header(uint8_t sof_marker, uint32_t width, uint32_t height) {
  Bytes jpeg = {0xFF, 0xD8};
  append_segment(jpeg, sof_marker,
                 {8, uint8_t(height >> 8), uint8_t(height), uint8_t(width >> 8), uint8_t(width), 1, 1, 0x11, 0});
  return jpeg;
}

namespace {

// A DHT table body whose symbols all have codes of one length.
Bytes huffman_table(uint8_t class_and_id, int code_length, const Bytes& symbols) {
  Bytes table = {class_and_id};
  Bytes counts(16, 0);
  counts[size_t(code_length - 1)] = uint8_t(symbols.size());
  table.insert(table.end(), counts.begin(), counts.end());
  table.insert(table.end(), symbols.begin(), symbols.end());
  return table;
}

// DC category s (0..11) has the 4-bit code s; the AC table holds one symbol,
// EOB (0x00), with the 1-bit code 0.
void put_dc_difference(BitWriter& bits, int diff) {
  int category = 0;
  while ((std::abs(diff) >> category) != 0) ++category;
  bits.put(uint32_t(category), 4);
  if (category) bits.put(uint32_t(diff >= 0 ? diff : diff + (1 << category) - 1), category);
}

void append_scan_header(Bytes& jpeg, uint8_t spectral_start, uint8_t spectral_end, uint8_t approximation) {
  append_segment(jpeg, 0xDA, {1, 1, 0x00, spectral_start, spectral_end, approximation});
}

}  // namespace

Bytes make_flat_block_jpeg(uint32_t width, uint32_t height, const std::vector<int>& dc, bool progressive) {
  Bytes jpeg = {0xFF, 0xD8};
  Bytes quant = {0x00};
  quant.resize(65, 1);
  append_segment(jpeg, 0xDB, quant);
  Bytes tables = huffman_table(0x00, 4, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});  // DC table 0
  const Bytes ac = huffman_table(0x10, 1, {0x00});                                // AC table 0
  tables.insert(tables.end(), ac.begin(), ac.end());
  append_segment(jpeg, 0xC4, tables);
  Bytes frame = jpeg_frame_header(progressive ? 0xC2 : 0xC0, width, height);
  jpeg.insert(jpeg.end(), frame.begin() + 2, frame.end());

  auto scan = [&](uint8_t ss, uint8_t se, uint8_t approximation, auto&& encode_block) {
    append_scan_header(jpeg, ss, se, approximation);
    BitWriter bits(jpeg);
    int previous = 0;
    for (int value : dc) encode_block(bits, value, previous);
    bits.flush();
  };
  auto eob = [](BitWriter& bits, int, int&) { bits.put(0, 1); };
  if (!progressive) {
    scan(0, 63, 0x00, [&](BitWriter& bits, int value, int& previous) {
      put_dc_difference(bits, value - previous);
      previous = value;
      bits.put(0, 1);
    });
  } else {
    scan(0, 0, 0x01, [](BitWriter& bits, int value, int& previous) {
      put_dc_difference(bits, (value >> 1) - previous);
      previous = value >> 1;
    });
    scan(0, 0, 0x10, [](BitWriter& bits, int value, int&) { bits.put(uint32_t(value & 1), 1); });
    scan(1, 63, 0x00, eob);
  }
  jpeg.insert(jpeg.end(), {0xFF, 0xD9});
  return jpeg;
}

// ---------------------------------------------------------------- DICOM writer

void append_implicit_element(Bytes& dataset, uint32_t group, uint32_t element, const Bytes& value) {
  put_le16(dataset, group);
  put_le16(dataset, element);
  put_le32(dataset, uint32_t(value.size()));
  dataset.insert(dataset.end(), value.begin(), value.end());
}

Bytes make_bare_dicom(const BareDicom& film) {
  auto us = [](uint32_t v) {
    Bytes b;
    put_le16(b, v);
    return b;
  };
  auto text = [](const std::string& s) {  // padded to even length with a space, as DICOM pads text
    Bytes b(s.begin(), s.end());
    if (b.size() % 2) b.push_back(' ');
    return b;
  };
  Bytes b;
  append_implicit_element(b, 0x0008, 0x0060, text("DX"));
  append_implicit_element(b, 0x0028, 0x0002, us(1));
  append_implicit_element(b, 0x0028, 0x0004, text("MONOCHROME2"));
  if (!film.frames.empty()) append_implicit_element(b, 0x0028, 0x0008, text(film.frames));
  append_implicit_element(b, 0x0028, 0x0010, us(film.rows));
  append_implicit_element(b, 0x0028, 0x0011, us(film.columns));
  append_implicit_element(b, 0x0028, 0x0100, us(film.bits));
  append_implicit_element(b, 0x0028, 0x0101, us(film.bits));
  append_implicit_element(b, 0x0028, 0x0102, us(film.bits - 1));
  append_implicit_element(b, 0x0028, 0x0103, us(0));
  b.insert(b.end(), film.extra.begin(), film.extra.end());
  append_implicit_element(b, 0x7FE0, 0x0010, film.pixels);
  return b;
}

}  // namespace cxr::testing
