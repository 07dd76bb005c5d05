// Saving and loading a module's state dict as .safetensors with PyTorch's parameter names, so
// `safetensors.torch.load_file` + `load_state_dict` restores the same weights in an equivalent PyTorch module.
import { tensor } from '../engine/tensor.js';
import type { Dtype, TypedArray } from '../engine/native.js';
import { scope } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from './module.js';
import { loadSafetensors, namingFile, saveSafetensors, type SafeDtype, type SafeTensor } from './safetensors.js';

const TO_SAFE: Partial<Record<Dtype, SafeDtype>> = {
  float32: 'F32',
  float64: 'F64',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const FROM_SAFE: Partial<Record<SafeDtype, Dtype>> = {
  F32: 'float32',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

export function toSafeTensor(name: string, t: Tensor): SafeTensor {
  const dtype = TO_SAFE[t.dtype];
  if (!dtype) throw new TypeError(`safetensors: '${name}' has dtype ${t.dtype}, which latentlens does not save`);
  return { dtype, shape: t.shape, data: t.toArray() };
}

export function fromSafeTensor(name: string, s: SafeTensor): Tensor {
  const dtype = FROM_SAFE[s.dtype];
  if (!dtype) throw new TypeError(`safetensors: '${name}' has dtype ${s.dtype}, which latentlens does not load`);
  return tensor(s.data as TypedArray, s.shape, { dtype });
}

export function saveStateDict(module: Module, path: string, metadata: Record<string, string> = {}): void {
  const entries: Record<string, SafeTensor> = {};
  for (const [name, t] of module.stateDict()) entries[name] = toSafeTensor(name, t);
  saveSafetensors(path, entries, { format: 'pt', ...metadata });
}

/** Loads weights into `module` (strict by default); returns the file's metadata. */
export function loadStateDict(module: Module, path: string, strict = true): Record<string, string> {
  const { tensors, metadata } = loadSafetensors(path);
  scope(() => {
    const state = new Map(Object.entries(tensors).map(([name, s]) => [name, fromSafeTensor(name, s)]));
    try {
      module.loadStateDict(state, strict);
    } catch (err) {
      throw namingFile(path, err);
    }
  });
  return metadata;
}
