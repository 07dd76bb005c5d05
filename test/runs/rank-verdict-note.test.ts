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
