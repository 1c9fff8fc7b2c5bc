// One name table per enum. An X-macro lists the enumerators once, in order;
// the enum and the table of its names (what the model file and messages say)
// are both generated from it, so they cannot drift apart:
//
//   #define CXR_FRUITS(X) X(apple) X(pear)
//   CXR_NAMED_ENUM(Fruit, kFruitNames, CXR_FRUITS);
//   enum_name(Fruit::pear, kFruitNames)  // "pear"
#pragma once
#include <cstddef>

#define CXR_ENUMERATOR(name) name,
#define CXR_ENUMERATOR_NAME(name) #name,

// `enum class Enum` with the enumerators LIST names, and `names`, their names in order.
#define CXR_NAMED_ENUM(Enum, names, LIST)   \
  enum class Enum { LIST(CXR_ENUMERATOR) }; \
  inline constexpr const char* names[] = {LIST(CXR_ENUMERATOR_NAME)}

namespace cxr {

// The name of `value` in its table; "?" for a value outside the enum.
template <typename Enum, size_t N>
constexpr const char* enum_name(Enum value, const char* const (&names)[N]) {
  return size_t(value) < N ? names[size_t(value)] : "?";
}

}  // namespace cxr
