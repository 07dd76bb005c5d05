#!/usr/bin/env node
// The latentlens command line: a thin layer that parses flags and calls the library.
import { Command } from 'commander';
import { commands } from './commands.js';

const program = new Command()
  .name('latentlens')
  .description('Train autoencoders on medical images and interpret their latent feature maps.')
  .showHelpAfterError();
for (const register of commands) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`latentlens: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
