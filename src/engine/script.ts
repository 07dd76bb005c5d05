// TorchScript modules exported from PyTorch (torch.jit.script / trace, then .save): call forward or any
// named method from TypeScript, with gradients flowing back to JS inputs.
import { existsSync } from 'node:fs';
import { native, type NativeScript } from './native.js';
import { verifyScriptArchive } from './script-archive.js';
import { fromRefs, toHandles, type NativeResult } from './refs.js';
import { Tensor } from './tensor.js';

export type ScriptValue = NativeResult;

/** The environment variable that puts libtorch's whole message into a ScriptLoadError. */
export const DEBUG_ENV = 'LATENTLENS_DEBUG';

/**
 * libtorch refused a file that passed the archive check (src/engine/script-archive.ts): a broken code/
 * folder, an unsupported version, a torch.save pickle. The message names the file, says it is not a
 * loadable TorchScript archive and gives the first line of libtorch's message (with the code file and
 * line a compile error points at); the whole message, often a multi-line compiler dump or C++ stack, is
 * `libtorchMessage`, and is printed too when LATENTLENS_DEBUG=1.
 */
export class ScriptLoadError extends Error {
  constructor(
    readonly file: string,
    readonly libtorchMessage: string,
    device?: string,
  ) {
    const lines = libtorchMessage
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const first = (lines[0] ?? 'no message').replace(/:$/, '');
    const at = /File "([^"]+)", line (\d+)/.exec(libtorchMessage);
    const where = at ? ` in ${at[1]} line ${at[2]}` : '';
    const debug = process.env[DEBUG_ENV] === '1';
    super(
      `${file}: not a loadable TorchScript archive${device ? ` (loading onto ${device})` : ''}: libtorch says "${first}"${where}` +
        (debug
          ? `\nlibtorch's full message:\n${libtorchMessage}`
          : lines.length > 1
            ? ` (${DEBUG_ENV}=1 prints libtorch's full message)`
            : ''),
    );
    this.name = 'ScriptLoadError';
  }
}

export class ScriptModule {
  private constructor(
    readonly path: string,
    private readonly handle: NativeScript,
  ) {}

  /**
   * Loads a TorchScript file (optionally straight onto a device such as 'cuda:0'). The archive is checked
   * first (src/engine/script-archive.ts): libtorch does not check that a stored blob covers its tensor.
   */
  static load(path: string, device?: string): ScriptModule {
    if (!existsSync(path)) throw new Error(`TorchScript file not found: ${path}`);
    verifyScriptArchive(path);
    let handle: NativeScript;
    try {
      handle = new native.Script(path, device);
    } catch (err) {
      throw new ScriptLoadError(path, err instanceof Error ? err.message : String(err), device);
    }
    return new ScriptModule(path, handle);
  }

  /** Calls a method by name; arguments are converted by the method's TorchScript schema. */
  call(method: string, ...args: unknown[]): ScriptValue {
    return fromRefs(this.handle.call(method, args.map(toHandles)));
  }
  forward(...args: unknown[]): ScriptValue {
    return this.call('forward', ...args);
  }
  /** Calls a method that must return one tensor. */
  callTensor(method: string, ...args: unknown[]): Tensor {
    const r = this.call(method, ...args);
    if (!(r instanceof Tensor)) throw new TypeError(`${this.path}: method '${method}' did not return a tensor`);
    return r;
  }

  methodNames(): string[] {
    return this.handle.methodNames();
  }
  hasMethod(name: string): boolean {
    return this.handle.methodNames().includes(name);
  }
  methodSchema(name: string): string {
    return this.handle.methodSchema(name);
  }
  namedParameters(): [string, Tensor][] {
    return this.handle.namedParameters().map(([n, t]) => [n, new Tensor(t)]);
  }
  namedBuffers(): [string, Tensor][] {
    return this.handle.namedBuffers().map(([n, t]) => [n, new Tensor(t)]);
  }
  eval(): this {
    this.handle.train(false);
    return this;
  }
  train(on = true): this {
    this.handle.train(on);
    return this;
  }
  get training(): boolean {
    return this.handle.isTraining();
  }
  to(device: string): this {
    this.handle.to(device);
    return this;
  }
}
