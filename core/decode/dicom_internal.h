// Shared between the DICOM parser (dicom_parse.cpp: element walk, transfer
// syntax, pixel-data location; dicom_element.cpp: value readers;
// dicom_frames.cpp: frame extraction) and the pixel pipeline
// (dicom_pixels.cpp). Not part of the core's interface.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "decode/dicom.h"

namespace cxr::dicom {

// A value inside the caller's buffer. data == nullptr: element absent.
struct View {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool present() const { return data != nullptr; }
};

// (0028,3002) LUT Descriptor + (0028,3006) LUT Data of a sequence's first item.
struct LutView {
  View descriptor, data;
  bool descriptor_has_vr = false;  // explicit VR: descriptor_signed is known
  bool descriptor_signed = false;  // explicit VR said SS for the first-mapped value
  bool present() const { return descriptor.present() && data.present(); }
};

enum class Encoding { native, jpeg_baseline, rle };

// Everything the pipeline needs, as raw views; parsed on use.
struct Facts {
  Encoding encoding = Encoding::native;
  // Image Pixel Module
  View rows, columns, samples_per_pixel, photometric, planar_configuration, number_of_frames;
  View bits_allocated, bits_stored, high_bit, pixel_representation;
  View padding_value, padding_range_limit;
  // Modality LUT and VOI LUT modules
  View rescale_slope, rescale_intercept;
  View window_center, window_width, voi_function;
  LutView modality_lut, voi_lut;
  // Safety metadata (never copied into a message verbatim except the
  // sanitised modality and body part codes)
  View modality, body_part, view_position, patient_age, series_description, protocol_name;
  View birth_date, study_date, acquisition_date, content_date;  // DA: for the age only
  // Pixel Data (7FE0,0010) at the top level.
  bool pixel_data = false;
  bool encapsulated = false;
  size_t native_declared = 0;   // native: the element's length
  View native_bytes;            // native: what the file actually holds (may be short)
  size_t fragments_offset = 0;  // encapsulated: offset of the first item (Basic Offset Table)
};

// Walks the dataset (Part 10 or bare), checks the transfer syntax and fills
// *facts. Refuses unsupported transfer syntaxes and malformed structure.
Status parse(const uint8_t* data, size_t size, Facts* facts);

// Numeric readers over views (little endian; first value of multi-valued).
bool read_u16(View v, uint32_t* out);
bool read_ds(View v, double* out);    // decimal string, first value
bool read_is(View v, uint64_t* out);  // integer string, saturating at 2^32
std::string read_code(View v);        // CS/AS: trimmed, upper-case, printable ASCII only

// The first frame's encapsulated bytes (concatenated fragments). `frames` is
// Number of Frames; the Basic Offset Table is used when present.
Status first_frame_fragments(const uint8_t* data, size_t size, const Facts& facts, uint64_t frames,
                             std::vector<uint8_t>* frame);

// RLE Lossless (PS3.5 Annex G): decodes one frame into planar native layout:
// `samples` planes of rows*columns samples, each `bytes_per_sample` bytes
// little endian.
Status decode_rle_frame(const uint8_t* fragment, size_t size, uint32_t rows, uint32_t columns, uint32_t samples,
                        uint32_t bytes_per_sample, std::vector<uint8_t>* planar);

// Pixel pipeline (dicom_pixels.cpp): from the facts and the located pixel data
// to out->pixels, plus the metadata warnings.
Status render(const uint8_t* data, size_t size, const Facts& facts, Image* out);

}  // namespace cxr::dicom
