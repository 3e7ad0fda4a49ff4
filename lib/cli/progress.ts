// Progress on stderr for long stages (decompression, scans, analyze). Silent when stderr is not a
// TTY or MEMQ_PROGRESS=0, so pipelines and tests get clean output.
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update(stage: string, done: number, total: number): void;
  stop(): void;
}

export function progressReporter(): Progress {
  const enabled = process.stderr.isTTY && process.env.MEMQ_PROGRESS !== '0';
  if (!enabled) return { update() {}, stop() {} };
  let bar: SingleBar | null = null;
  let stage = '';
  return {
    update(s, done, total) {
      if (s !== stage) {
        bar?.stop();
        stage = s;
        bar = new SingleBar({ format: `${s.padEnd(12)} [{bar}] {percentage}% {value}/{total}`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
        bar.start(total, 0);
      }
      bar?.setTotal(total);
      bar?.update(done);
    },
    stop() {
      bar?.stop();
      bar = null;
      stage = '';
    },
  };
}
