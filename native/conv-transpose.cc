// latentlens::conv_transpose: a transposed convolution computed as the input gradient of the matching
// convolution, so that it runs on oneDNN.
//
// Why: libtorch 1.13 sends fp32 CPU transposed convolutions to its im2col/col2im fallback
// (slow_conv_transpose2d/3d) and only plain convolutions to oneDNN. A transposed convolution is the
// adjoint of a convolution, and oneDNN implements all three of a convolution's passes, so:
//   forward   y  = conv's input gradient for grad_output x        (oneDNN backward-data)
//   backward  dx = conv(dy, W)                                     (oneDNN forward)
//             dW = conv's weight gradient for input dy, grad x     (oneDNN backward-weights)
// The bias is added outside the Function by ordinary autograd: libtorch 1.13's Function::apply reads
// every tensor input's device, so an undefined (absent) bias cannot be one of its inputs.
// Measured on the reference autoencoder (three stride-2 transposed layers), one thread: a training step
// about 3-6x faster than PyTorch's own conv_transpose2d, the same values to float rounding.
//
// Registered with the dispatcher, so JS reaches it by name like any aten op. Cases the identity does
// not cover (output_padding >= stride, non-CPU tensors, dtypes other than fp32 and bf16) go to at::conv_transpose*d.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace ll {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::vector<int64_t> expand(c10::IntArrayRef v, int64_t dims, const char* what) {
  if (int64_t(v.size()) == dims) return v.vec();
  TORCH_CHECK(v.size() == 1, "latentlens::conv_transpose: ", what, " has ", v.size(), " values for ", dims, " spatial dimensions");
  return std::vector<int64_t>(size_t(dims), v[0]);
}

struct Geometry {
  std::vector<int64_t> stride, padding, outputPadding, dilation;
  int64_t groups;
};

struct ConvTransposeByAdjoint : public torch::autograd::Function<ConvTransposeByAdjoint> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, const std::vector<int64_t>& stride, const std::vector<int64_t>& padding,
                            const std::vector<int64_t>& outputPadding, int64_t groups, const std::vector<int64_t>& dilation) {
    const int64_t dims = x.dim() - 2;
    std::vector<int64_t> outShape = {x.size(0), w.size(1) * groups};
    for (int64_t d = 0; d < dims; d++)
      outShape.push_back((x.size(2 + d) - 1) * stride[d] - 2 * padding[d] + dilation[d] * (w.size(2 + d) - 1) + outputPadding[d] + 1);
    // Only the shape of the convolution's input is read for its input gradient.
    const at::Tensor shapeOnly = at::empty(outShape, x.options());
    const std::vector<int64_t> noOutputPadding(size_t(dims), 0);
    at::Tensor y = std::get<0>(at::convolution_backward(x, shapeOnly, w, c10::nullopt, stride, padding, dilation, false,
                                                        noOutputPadding, groups, {true, false, false}));
    ctx->save_for_backward({x, w});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    ctx->saved_data["dilation"] = dilation;
    ctx->saved_data["groups"] = groups;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor& x = saved[0];
    const at::Tensor& w = saved[1];
    // The incoming gradient has the dtype of what consumed y, which need not be y's under autocast.
    const at::Tensor dy = grads[0].to(x.scalar_type()).contiguous();
    const auto stride = ctx->saved_data["stride"].toIntVector();
    const auto padding = ctx->saved_data["padding"].toIntVector();
    const auto dilation = ctx->saved_data["dilation"].toIntVector();
    const int64_t groups = ctx->saved_data["groups"].toInt();
    const int64_t dims = x.dim() - 2;
    const std::vector<int64_t> noOutputPadding(size_t(dims), 0);
    at::Tensor dx, dw;
    if (ctx->needs_input_grad(0))
      dx = at::convolution(dy, w, c10::nullopt, stride, padding, dilation, false, noOutputPadding, groups);
    if (ctx->needs_input_grad(1))
      dw = std::get<1>(at::convolution_backward(x, dy, w, c10::nullopt, stride, padding, dilation, false, noOutputPadding,
                                                groups, {false, true, false}));
    return {dx, dw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor adjointOrAten(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t dims, const std::vector<int64_t>& stride,
                         const std::vector<int64_t>& padding, const std::vector<int64_t>& outputPadding, int64_t groups,
                         const std::vector<int64_t>& dilation);

at::Tensor convTranspose(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& bias, c10::IntArrayRef strideIn,
                         c10::IntArrayRef paddingIn, c10::IntArrayRef outputPaddingIn, int64_t groups, c10::IntArrayRef dilationIn) {
  const int64_t dims = x.dim() - 2;
  TORCH_CHECK(dims == 2 || dims == 3, "latentlens::conv_transpose: expected a 4-D or 5-D input, got ", x.dim(), "-D");
  const auto stride = expand(strideIn, dims, "stride");
  const auto padding = expand(paddingIn, dims, "padding");
  const auto outputPadding = expand(outputPaddingIn, dims, "output_padding");
  const auto dilation = expand(dilationIn, dims, "dilation");
  at::Tensor xc = x, wc = w;
  at::Tensor b = bias.has_value() ? *bias : at::Tensor();
  // Under CPU autocast aten's conv_transpose*d is on the lower-precision list, but this op is not seen by
  // autocast (its dispatch key falls through): cast here as aten's would (weights through autocast's
  // cache), so the adjoint runs in bf16 on oneDNN instead of aten's bf16 im2col fallback.
  if (at::autocast::is_cpu_enabled() && x.device().is_cpu() && w.device().is_cpu()) {
    const at::ScalarType to = at::autocast::get_autocast_cpu_dtype();
    xc = at::autocast::cached_cast(to, x, c10::DeviceType::CPU);
    wc = at::autocast::cached_cast(to, w, c10::DeviceType::CPU);
    if (b.defined()) b = at::autocast::cached_cast(to, b, c10::DeviceType::CPU);
  }
  return adjointOrAten(xc, wc, b, dims, stride, padding, outputPadding, groups, dilation);
}

at::Tensor adjointOrAten(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t dims, const std::vector<int64_t>& stride,
                         const std::vector<int64_t>& padding, const std::vector<int64_t>& outputPadding, int64_t groups,
                         const std::vector<int64_t>& dilation) {
  const c10::optional<at::Tensor> bias = b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt;
  // The convolution whose adjoint this is maps the output back to the input's size only when
  // output_padding < stride (PyTorch also allows output_padding < dilation).
  const at::ScalarType t = x.scalar_type();
  bool adjoint = x.device().is_cpu() && w.device().is_cpu() && (t == at::kFloat || t == at::kBFloat16) && w.scalar_type() == t &&
                 (!b.defined() || b.scalar_type() == t) && !x.is_mkldnn() && at::globalContext().userEnabledMkldnn();
  for (int64_t d = 0; d < dims; d++) adjoint = adjoint && outputPadding[d] < stride[d];
  if (!adjoint) {
    return dims == 2 ? at::conv_transpose2d(x, w, bias, stride, padding, outputPadding, groups, dilation)
                     : at::conv_transpose3d(x, w, bias, stride, padding, outputPadding, groups, dilation);
  }
  TORCH_CHECK(w.dim() == x.dim(), "latentlens::conv_transpose: weight [", w.sizes(), "] does not match a ", x.dim(), "-D input");
  TORCH_CHECK(x.size(1) == w.size(0), "latentlens::conv_transpose: input has ", x.size(1), " channels, weight [", w.sizes(),
              "] expects ", w.size(0));
  at::Tensor y = ConvTransposeByAdjoint::apply(x, w, stride, padding, outputPadding, groups, dilation);
  if (!b.defined()) return y;
  std::vector<int64_t> view(size_t(dims + 2), 1);
  view[1] = -1;
  return y + b.view(view);
}

}  // namespace
}  // namespace ll

TORCH_LIBRARY(latentlens, m) {
  m.def(
      "conv_transpose(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] output_padding, int groups, "
      "int[] dilation) -> Tensor",
      &ll::convTranspose);
}
