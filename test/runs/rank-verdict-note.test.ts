// explain's one line on the map's rank.json verdict must name the test that flagged the map: a small
// conditional q whose interval reaches 0 is not a conditional finding (the case met on a real volume run).
import test from 'node:test';
import assert from 'node:assert/strict';
import { rankVerdictNote, type RankRead } from '../../src/runs/explain-run.js';

function rankWith(marginal: boolean, conditional: boolean | null): RankRead {
  const group = {
    rank: 1,
    marginal: { significant: marginal, qValue: 1e-6 },
    conditional: conditional === null ? undefined : { significant: conditional, qValue: 2e-6 },
  };
  return { path: 'rank.json', value: { result: { groups: [group] } } } as unknown as RankRead;
}

test('the note names the tests that flagged the map and the one that did not', () => {
  assert.match(
    rankVerdictNote(0, rankWith(true, false))!,
    /map 0 is significant marginally, not conditionally \(marginal q .*, conditional q .*; rank 1\)/,
  );
  assert.match(rankVerdictNote(0, rankWith(false, true))!, /map 0 is significant conditionally, not marginally/);
  assert.match(rankVerdictNote(0, rankWith(true, true))!, /map 0 is significant marginally and conditionally \(/);
  assert.match(rankVerdictNote(0, rankWith(true, null))!, /map 0 is significant marginally \(marginal q [^,]*; rank 1\)/);
  assert.match(rankVerdictNote(0, rankWith(false, false))!, /map 0 is not significant .*describes the map, not evidence/);
});

test('a q below the level without a star is explained by the interval (seen on a real ISIC run)', () => {
  const groups = [
    {
      rank: 1,
      marginal: { significant: false, qValue: 0.008, ciLow: -0.0079, ciHigh: 0.0267 },
      conditional: { significant: false, qValue: 0.918, ciLow: -0.0181, ciHigh: 0.0244 },
    },
  ];
  const read = { path: 'rank.json', value: { result: { groups }, settings: { fdr: 0.05 } } } as unknown as RankRead;
  assert.equal(
    rankVerdictNote(0, read),
    'rank.json: map 0 is not significant (marginal q 0.008 but its 95% interval [-0.0079, 0.0267] reaches 0, conditional q 0.918; rank 1): what follows describes the map, not evidence that it predicts the label',
  );
});
