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
 * An event as a stderr line (nothing while a progress bar is drawn). `valWhat` names the validation
 * numbers: the autoencoder's val loss, or a diffusion decoder's noise-prediction error.
 */
export function describeTrainEvent(e: TrainEvent, progressBar: boolean, valWhat: 'loss' | 'eps' = 'loss'): void {
  if (progressBar) return;
  if (e.type === 'epoch') {
    const v = !e.val
      ? ''
      : valWhat === 'eps'
        ? ` val eps-MSE ${(e.val.terms.loss ?? NaN).toPrecision(4)}, reconstruction (inverted x_T) PSNR ${e.val.psnr.toFixed(2)} dB SSIM ${e.val.ssim.toFixed(4)}`
        : ` val ${(e.val.terms.loss ?? e.val.mse).toPrecision(4)} PSNR ${e.val.psnr.toFixed(2)} dB SSIM ${e.val.ssim.toFixed(4)}`;
    console.error(
      `epoch ${e.epoch + 1} (step ${e.step}): train ${valWhat === 'eps' ? 'eps-MSE ' : ''}${(e.train.loss ?? NaN).toPrecision(4)}${v} ${e.seconds.toFixed(1)} s`,
    );
  } else if (e.type === 'checkpoint') console.error(`checkpoint: ${e.dir}`);
  else if (e.type === 'warning') console.error(`warning: ${e.message}`);
}
