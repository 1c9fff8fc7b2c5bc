#include "decode/header_check.h"

#include "decode/sniff.h"

namespace cxr::header_check {

using sniff::be16;
using sniff::be32;
using sniff::bytes_at;

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

namespace {

bool is_sof_marker(uint8_t m) { return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC; }

const char* unsupported_jpeg_variant(uint8_t sof_marker, uint8_t precision) {
  if (sof_marker == 0xC3) return "lossless JPEG";
  if (sof_marker >= 0xC5 && sof_marker <= 0xC7) return "hierarchical JPEG";
  if (sof_marker >= 0xC9) return "arithmetic-coded JPEG";
  if (precision != 8) return "12-bit JPEG";
  return nullptr;
}

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

JpegWalk truncated(JpegWalk walk) {
  walk.facts.truncated = true;
  return walk;
}

JpegWalk damaged(JpegWalk walk, const char* why) {
  walk.damage = why;
  return walk;
}

}  // namespace

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
    if (pos >= size) return truncated(walk);
    const uint8_t marker = data[pos++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length
    if (marker == 0xD9) {
      if (!seen_scan) walk.damage = "it ends before any image data";
      return walk;
    }
    if (size - pos < 2) return truncated(walk);
    const size_t length = be16(data + pos);
    if (length < 2) return damaged(walk, "a marker segment has an invalid length");
    if (length > size - pos) return truncated(walk);
    const uint8_t* payload = data + pos + 2;
    const char* damage = nullptr;
    if (is_sof_marker(marker)) damage = read_frame_header(marker, payload, length - 2, walk);
    if (marker == 0xC4) damage = read_huffman_tables(payload, length - 2, walk);
    if (marker == 0xDA) damage = read_scan_header(payload, length - 2, walk);
    if (damage) return damaged(walk, damage);
    const uint64_t min_bits = marker == 0xDA ? min_scan_bits(payload, walk) : 0;
    pos += length;
    if (marker == 0xDA) {
      seen_scan = true;
      const size_t start = pos;
      pos = skip_entropy_coded_data(data, size, pos);
      if (pos < size && uint64_t(pos - start) * 8 < min_bits)
        return damaged(walk, "its image data stops before the image is complete");
    }
  }
}

}  // namespace cxr::header_check
