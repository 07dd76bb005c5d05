// Prints build flags for binding.gyp from $LIBTORCH (a libtorch zip, a pip torch's torch/ folder or a CUDA
// build) or, when unset, Debian's libtorch-dev. Usage: node native/libtorch-config.mjs include|libs|ldflags|std|abi|gloo
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = process.env.LIBTORCH;
const debianLib = '/usr/lib/x86_64-linux-gnu';
const include = root
  ? [join(root, 'include'), join(root, 'include/torch/csrc/api/include')]
  : ['/usr/include', '/usr/include/torch/csrc/api/include'];
const libDir = root ? join(root, 'lib') : debianLib;

function torchVersion() {
  const header = include.map((d) => join(d, 'torch/version.h')).find(existsSync);
  const m = header && readFileSync(header, 'utf8').match(/TORCH_VERSION_MAJOR (\d+)[\s\S]*TORCH_VERSION_MINOR (\d+)/);
  return m ? [Number(m[1]), Number(m[2])] : [1, 13];
}
const hasLib = (name) => readdirSync(libDir).some((f) => f === `lib${name}.so` || f.startsWith(`lib${name}.so.`));
const cuda = hasLib('torch_cuda');
const libs = ['-ltorch', '-ltorch_cpu', '-lc10', ...(cuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])];
const [major, minor] = torchVersion();

// c10d's ProcessGroupGloo headers include Gloo's (Debian: libgloo-dev; pip and zip libtorch builds may
// ship them under include/gloo). Without them the addon builds without distributed training.
const hasGloo = include.some((d) => existsSync(join(d, 'gloo/algorithm.h')));

const out = {
  include: include.join(' '),
  // --no-as-needed keeps libtorch_cpu/libtorch_cuda linked although no symbol is referenced directly:
  // their static initialisers register the CPU and CUDA kernels.
  ldflags: [`-L${libDir}`, `-Wl,-rpath,${libDir}`, '-Wl,--no-as-needed', ...libs, '-Wl,--as-needed', '-ldl'].join(' '),
  // libtorch 2.5 and later use C++20 features in their headers.
  std: major > 2 || (major === 2 && minor >= 5) ? '-std=c++20' : '-std=c++17',
  // Debian and the cxx11-ABI zips use the new ABI; pip wheels before 2.7 used the old one.
  abi: process.env.LIBTORCH_CXX11_ABI === '0' ? '0' : '1',
  // Preprocessor definitions for distributed.cc (USE_C10D_GLOO is what c10d's headers test).
  gloo: hasGloo ? 'USE_C10D_GLOO LL_WITH_GLOO' : 'LL_WITHOUT_GLOO',
};
const key = process.argv[2];
if (!(key in out)) {
  console.error(`usage: libtorch-config.mjs ${Object.keys(out).join('|')}`);
  process.exit(2);
}
process.stdout.write(out[key]);
