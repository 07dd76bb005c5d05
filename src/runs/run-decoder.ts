// What a decoder run (train-decoder: a diffusion or adversarial decoder on the frozen encoder of another
// run) is, and how well it reconstructs next to the conv decoder it replaces: both runs' health checks
// side by side. A diffusion autoencoder trained jointly (train --model diffusion-ae) is described too,
// with its own health check alone: its encoder was trained with this decoder and has no conv decoder.
// The report and the explorer show this; neither recomputes a reconstruction.
import { resolve } from 'node:path';
import { readHealth } from '../train/health.js';
import type { RunConfig } from '../train/run-folder.js';

export interface DecoderSide {
  /** PSNR of decode(encode(x)) on the health check's cases, dB. */
  psnr: number;
  mse: number;
  /** The mean-image baseline's PSNR on the same cases, dB. */
  baselinePsnr: number;
  cases: number;
  split: string;
}

export interface DecoderComparison {
  kind: 'diffusion' | 'adversarial';
  /** The encoder's run folder (its conv decoder is the comparison); '' for a joint run. */
  from: string;
  /** The encoder was trained with this decoder in this run (diffusion loss alone), not frozen from another. */
  joint?: true;
  /** This run's decoder; null when its health check is not recorded. */
  decoder: DecoderSide | null;
  /** The conv decoder of the encoder's run; null when that run or its health.json cannot be read. */
  conv: DecoderSide | null;
  /** How the two numbers may be compared (the cases they were computed on, the decoding used). */
  notes: string[];
}

function side(dir: string): DecoderSide | null {
  const h = readHealth(dir);
  return h ? { psnr: h.model.psnr, mse: h.model.mse, baselinePsnr: h.baseline.psnr, cases: h.cases.count, split: h.cases.split } : null;
}

/** The comparison for run `dir` (config `config`), or null when the run is not a decoder run. */
export function decoderComparison(dir: string, config: RunConfig): DecoderComparison | null {
  if (config.model?.kind === 'diffusion-ae' && config.model.joint === true) {
    return {
      kind: 'diffusion',
      from: '',
      joint: true,
      decoder: side(dir),
      conv: null,
      notes: [
        'the encoder was trained with this decoder by the diffusion loss alone (no conv decoder, no pixel loss): there is no conv decoder to compare',
        'the diffusion decoder is checked decoding from its fixed noise x_T (DDIM), not from an inverted one',
      ],
    };
  }
  const kind = config.decoder;
  if (kind !== 'diffusion' && kind !== 'adversarial') return null;
  const from = typeof config.from === 'string' ? config.from : '';
  const decoder = side(dir);
  const conv = from ? side(resolve(dir, from)) : null;
  const notes: string[] = [];
  if (!conv) notes.push(`the encoder's run ${from || '(not recorded)'} or its health.json cannot be read here: no conv-decoder number`);
  if (decoder && conv && (decoder.cases !== conv.cases || decoder.split !== conv.split)) {
    notes.push(
      `the two health checks use different cases (${decoder.cases} ${decoder.split} vs ${conv.cases} ${conv.split}): compare with care`,
    );
  }
  if (kind === 'diffusion')
    notes.push('the diffusion decoder is checked decoding from its fixed noise x_T (DDIM), not from an inverted one');
  if (kind === 'adversarial')
    notes.push(
      'the adversarial decoder has no perceptual term (no feature network offline): its gain, if any, is from the discriminator alone',
    );
  return { kind, from, decoder, conv, notes };
}
