# The core's sources, shared by the library (core/CMakeLists.txt) and the
# fuzz build (tests/fuzz), which compiles them again with coverage
# instrumentation. Paths relative to core/.
set(CXR_CORE_SOURCES
  common/crc32.cpp
  common/half.cpp
  common/status.cpp
  common/sha256.cpp
  decode/decode.cpp
  decode/header_check.cpp
  decode/sniff.cpp
  decode/dicom_element.cpp
  decode/dicom_frames.cpp
  decode/dicom_parse.cpp
  decode/dicom_pixels.cpp
  decode/stb_image_impl.cpp
  preprocess/preprocess.cpp
  model/json.cpp
  model/model_metadata.cpp
  model/model_reader.cpp
  model/model_writer.cpp
  nn/plan.cpp
  nn/reference.cpp
  nn/portable_backend.cpp
  nn/portable_kernels.cpp
  nn/xnnpack_backend.cpp
  classify/cam.cpp
  classify/classifier.cpp
  classify/outcome_json.cpp
  classify/ood.cpp
  classify/scope.cpp
  calibrate/measures.cpp
  calibrate/record.cpp
  calibrate/calibration.cpp
)
