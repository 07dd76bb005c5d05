// Where a workflow's progress and console summary go: the CLI passes stderr's progress line and
// console.log; the demo its own clock-stamped log; a library caller nothing (the file is the result).

export interface ProgressSink {
  update(stage: string, done: number, total: number): void;
  log(message: string): void;
  end(): void;
}

export interface RunLog {
  log?: (line: string) => void;
  progress?: ProgressSink;
}

/** The log of `out`, or a sink that drops every line. */
export const logOf = (out: RunLog): ((line: string) => void) => out.log ?? (() => {});
