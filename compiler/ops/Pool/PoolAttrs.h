//===- PoolAttrs.h - The attribute schema of the pooling ops --------------===//
#ifndef LAMINA_OPS_POOL_POOLATTRS_H
#define LAMINA_OPS_POOL_POOLATTRS_H

#include "lamina/OpInfo.h"

namespace lamina {

#define LAMINA_POOL_ATTRS                                                      \
  {"kernel", AttrType::IntOrInts, nullptr,                                     \
   "the window per spatial dim (an int: the same in each)"},                   \
      {"stride", AttrType::IntOrInts, "",                                      \
       "the step per spatial dim (default: the kernel)"},                      \
      {"padding", AttrType::IntOrInts, "0",                                    \
       "padding per spatial dim, [p..] or [before.., after..]"},               \
      {"ceil_mode", AttrType::Bool, "false",                                   \
       "round the output size up, as PyTorch's ceil_mode"},                    \
  {                                                                            \
    "count_include_pad", AttrType::Bool, "true",                               \
        "average pooling divides by the whole window, padding included"        \
  }
/// The attributes of maxpool1d/2d and avgpool1d/2d.
inline constexpr AttrSpec kPoolAttrs[] = {LAMINA_POOL_ATTRS};
/// The attributes of avgpool_grad: the pool's plus the shape of the pooled
/// input (maxpool_grad takes the input itself, and the pool's).
inline constexpr AttrSpec kPoolGradAttrs[] = {
    LAMINA_POOL_ATTRS,
    {"input_shape", AttrType::Shape, nullptr, "the shape of the pooled input"},
};
#undef LAMINA_POOL_ATTRS

} // namespace lamina

#endif // LAMINA_OPS_POOL_POOLATTRS_H
