// Every CLI command registers itself here; each command lives in its own file.
import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerInfo } from './info.js';
import { registerSmoke } from './smoke.js';
import { registerDataCommands } from './data-inspect.js';
import { registerTrain } from './train.js';
import { registerTrainDecoder } from './train-decoder.js';
import { registerImport } from './import.js';
import { registerEmbed } from './embed.js';
import { registerRank } from './rank.js';
import { registerExplain } from './explain.js';
import { registerTcav } from './tcav.js';
import { registerMetrics } from './metrics.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerDemo,
  registerSmoke,
  registerInfo,
  registerDataCommands,
  registerTrain,
  registerTrainDecoder,
  registerImport,
  registerEmbed,
  registerRank,
  registerExplain,
  registerTcav,
  registerMetrics,
  registerReport,
  registerServe,
];
