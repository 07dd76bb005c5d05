// The engine layer's public face: tensors, ops, autograd, optimizers, TorchScript, runtime settings.
export { Tensor, tensor, full, isDtype, type CreateOptions, type TensorOrNumber } from './tensor.js';
export * from './create.js';
export { generator, withGenerator, currentGenerator, type Generator } from './generator.js';
export * as F from './functional.js';
export { noGrad, grad, isGradEnabled, type GradOptions } from './autograd.js';
export { autocastBf16, isAutocastBf16, outsideAutocast, cpuHasNativeBf16 } from './autocast.js';
export { scope, keep, track, type Disposable } from './scope.js';
export { aten, Reduction } from './dispatch.js';
export * from './runtime.js';
export {
  ProcessGroup,
  processGroupFromEnv,
  distributedEnv,
  hasDistributed,
  type ProcessGroupOptions,
  type DistributedEnv,
  type ReduceOp,
} from './distributed.js';
export { ScriptModule, ScriptLoadError, type ScriptValue } from './script.js';
export { Optimizer } from './optim/optimizer.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export type { Dtype, TypedArray } from './native.js';
