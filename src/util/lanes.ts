// Runs job(0) .. job(count - 1) with at most `lanes` of them in flight: each lane takes the next index
// when its job finishes. Callers keep results by index, so the order jobs finish in does not matter.
export async function inLanes(count: number, lanes: number, job: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, lanes), count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}
