// DICOM bytes -> gray Image, in the core so that the CLI, the trainer and the
// browser read a radiology file exactly alike.
//
// What is read: Part 10 files (128-byte preamble + "DICM", file meta group in
// explicit VR little endian) and bare datasets (no preamble) in Implicit VR
// Little Endian or Explicit VR Little Endian; pixel data uncompressed, JPEG
// Baseline 8-bit (decoded by the same guarded stb path as a .jpg) or RLE
// Lossless. Every other transfer syntax is refused with its name and a
// conversion command.
//
// The display pipeline follows PS3.3 C.7.6.3, C.11.1 and C.11.2, in order:
// stored value (Bits Allocated/Stored, High Bit, Pixel Representation) ->
// Pixel Padding Value/Range -> Modality LUT (Rescale Slope/Intercept in double,
// or the Modality LUT Sequence) -> VOI (VOI LUT Sequence, else the first Window
// Center/Width with LINEAR, LINEAR_EXACT or SIGMOID, else the min-max of the
// non-padding modality values) -> MONOCHROME1 inversion. The result is 16-bit
// gray (0 black .. 65535 white); padding pixels are black. Colour (RGB,
// YBR_FULL) becomes gray with the PNG path's luma, without Modality/VOI (the
// standard applies those to monochrome images only). Multi-frame: the first
// frame, with a warning.
//
// Safety metadata becomes warnings (lateral view, body part other than chest,
// adult patient, modality other than CR/DX/DR); no patient identifier and no
// exact age ever reaches a message. Nothing is printed.
#pragma once
#include <cstddef>
#include <cstdint>

#include "decode/image.h"

namespace cxr {

// A dataset without preamble: the first element is a tag of group 0x0002 or
// 0x0008 in little endian with a plausible explicit VR or implicit length, and
// the elements after it parse in ascending order. Conservative by design:
// random bytes are not taken for DICOM.
bool looks_like_bare_dicom(const uint8_t* data, size_t size);

// Decodes a DICOM file (Part 10 or bare) into *out (bit_depth 16, max_value
// 65535, format dicom). On failure *out may hold partial state: the caller
// (decode_image) resets it. Never aborts on hostile input.
Status decode_dicom(const uint8_t* data, size_t size, Image* out);

namespace detail {
// The JPEG path of decode_image (header walk, limits, truncation, stb) for a
// JPEG frame taken out of a DICOM file. decode.cpp.
Status decode_jpeg(const uint8_t* data, size_t size, Image* out);
}  // namespace detail

}  // namespace cxr
