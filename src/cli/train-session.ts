// What `train` and `train-decoder` share around a training: Ctrl-C as a request to checkpoint and stop
// (a second Ctrl-C kills), and the events as lines on stderr when no progress bar draws them.
import type { TrainEvent } from '../train/trainer.js';

/** Runs `fn` with a signal that the first Ctrl-C aborts; the handler is removed afterwards. */
export async function withCtrlC<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  const onSigint = () => {
    ctl.abort();
    process.stderr.write('\nCtrl-C: writing a checkpoint after this step (press again to kill)\n');
  };
  process.once('SIGINT', onSigint);
  try {
    return await fn(ctl.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * What a run's loss is: the autoencoder's own loss, or a diffusion model's prediction error (of the
 * noise eps, or of v under v-prediction). `model` is a model config or the kind and options it is built from.
 */
export function lossKind(model: { kind: string; prediction?: unknown }): 'loss' | 'eps' | 'v' {
  if (model.kind !== 'diffusion-ae') return 'loss';
  return model.prediction === 'v' ? 'v' : 'eps';
}

/** An event as a stderr line (nothing while a progress bar is drawn); `what` names the loss (`lossKind`). */
export function describeTrainEvent(e: TrainEvent, progressBar: boolean, what: 'loss' | 'eps' | 'v' = 'loss'): void {
  if (progressBar) return;
  if (e.type === 'epoch') {
    const v = !e.val
      ? ''
      : what !== 'loss'
        ? ` val ${what}-MSE ${(e.val.terms.loss ?? NaN).toPrecision(4)}, reconstruction (inverted x_T) PSNR ${e.val.psnr.toFixed(2)} dB SSIM ${e.val.ssim.toFixed(4)}`
        : ` val ${(e.val.terms.loss ?? e.val.mse).toPrecision(4)} PSNR ${e.val.psnr.toFixed(2)} dB SSIM ${e.val.ssim.toFixed(4)}`;
    console.error(
      `epoch ${e.epoch + 1} (step ${e.step}): train ${what !== 'loss' ? `${what}-MSE ` : ''}${(e.train.loss ?? NaN).toPrecision(4)}${v} ${e.seconds.toFixed(1)} s`,
    );
  } else if (e.type === 'checkpoint') console.error(`checkpoint: ${e.dir}`);
  else if (e.type === 'warning') console.error(`warning: ${e.message}`);
}
