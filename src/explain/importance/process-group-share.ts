// A RefitShare over a c10d process group (engine/distributed.ts): results travel as float64 tensors.
import type { ProcessGroup } from '../../engine/distributed.js';
import { scope } from '../../engine/scope.js';
import { tensor } from '../../engine/tensor.js';
import type { RefitShare } from './refit-share.js';

export function processGroupShare(group: ProcessGroup): RefitShare {
  return {
    rank: group.rank,
    worldSize: group.worldSize,
    allgather: (values) =>
      scope(() => group.allgather(tensor(values, [values.length], { dtype: 'float64' })).map((t) => Float64Array.from(t.toNumbers()))),
  };
}
