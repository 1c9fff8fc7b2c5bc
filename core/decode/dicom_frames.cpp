// The first frame of encapsulated pixel data (its fragments, through the
// Basic Offset Table when there is one) and RLE Lossless decoding.
#include "decode/dicom_element.h"

namespace cxr::dicom {

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
  if (fragments == 0)
    return Fail(cxr_status_corrupt_input, "truncated DICOM pixel data (its encapsulated "
                                          "pixel data holds no frame); re-export or copy it again");
  return Ok();
}

// ------------------------------------------------------------ RLE

Status decode_rle_frame(const uint8_t* p, size_t size, uint32_t rows, uint32_t columns, uint32_t samples,
                        uint32_t bytes_per_sample, std::vector<uint8_t>* planar) {
  const size_t pixels = size_t(rows) * columns;
  const uint32_t segments = samples * bytes_per_sample;
  if (size < 64)
    return Fail(cxr_status_corrupt_input, "truncated DICOM pixel data (its RLE header is cut short); "
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

}  // namespace cxr::dicom
