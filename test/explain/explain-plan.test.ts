// explainMap's plan: the sizes of its tests are options with recorded defaults, and the decoder-side
// tests measure inside the mask they name ('lesion' by default), not whichever mask happens to come first.
import assert from 'node:assert/strict';
import test from 'node:test';
import { scope, tensor } from '../../src/engine/index.js';
import { generatePhantoms } from '../../src/data/phantom.js';
import { ConvAE } from '../../src/models/conv-ae.js';
import { EXPLAIN_PLAN, explainMap } from '../../src/explain/explain-map.js';
import { testSeed } from '../helpers/margin.js';

test('explainMap: plan defaults recorded, sizes honoured, the decoder mask chosen by name', () => {
  const seed = testSeed(6);
  const ds = generatePhantoms({ n: 64, size: 32, seed, channels: ['T1', 'FLAIR'], lesionChannels: ['FLAIR'], distractorChannels: ['T1'] });
  const model = new ConvAE({ inputShape: [2, 32, 32], latentMaps: 4, latentGrid: [8, 8], width: 8 });
  const x = tensor(ds.images, ds.shape);
  // The masks in the order that used to matter: the distractor first.
  const byName = (name: string) => ds.masks!.find((m) => m.name === name)!;
  const masks = [byName('distractor'), byName('lesion')];
  const run = (plan?: Parameters<typeof explainMap>[1]['plan']) =>
    scope(() =>
      explainMap(
        { model, x, channelNames: ds.channelNames, labels: ds.labels, masks },
        { map: 1, methods: ['gradient'], activationMaxSteps: 0, maxCases: 8, seed, plan },
      ),
    );
  const def = run();
  assert.deepEqual(def.plan, { ...EXPLAIN_PLAN, decoderMask: 'lesion' });
  assert.equal(def.responds.exemplars.top.length, EXPLAIN_PLAN.exemplars);
  const small = run({ exemplars: 3, mutingCases: 16, decoderMask: 'distractor' });
  assert.equal(small.plan!.mutingCases, 16);
  assert.equal(small.responds.exemplars.top.length, 3);
  assert.equal(
    small.decoder.maskedDecode.naiveInsideMask === def.decoder.maskedDecode.naiveInsideMask,
    false,
    'the decoder mask changes what masked decoding measures',
  );
  assert.throws(() => run({ decoderMask: 'tumour' }), /no mask named 'tumour' \(masks: distractor, lesion\)/);
  x.dispose();
  model.dispose();
});
