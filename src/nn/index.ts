// The nn layer: Module, layers, initialisation, safetensors state dicts.
export { Module } from './module.js';
export * from './layers.js';
export * as init from './init.js';
export * from './safetensors.js';
export { saveStateDict, loadStateDict, toSafeTensor, fromSafeTensor } from './state-io.js';
