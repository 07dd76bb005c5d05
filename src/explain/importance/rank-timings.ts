// Wall-clock seconds per stage of rankFeatureMaps (RankResult.timings).

/** Adds the milliseconds since `t0` to stage `name`, kept in seconds rounded to the millisecond. */
export type StageClock = (name: string, t0: number) => void;

/** The timings record and the clock that fills it; a stage timed twice (one per fit) adds up. */
export function stageTimings(): { timings: Record<string, number>; clock: StageClock } {
  const timings: Record<string, number> = {};
  const clock: StageClock = (name, t0) => {
    timings[name] = Math.round((timings[name] ?? 0) * 1000 + (performance.now() - t0)) / 1000;
  };
  return { timings, clock };
}
