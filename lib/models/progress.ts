// Download progress: measuring it (bytes, rate, time left) and showing it as a one-line bar
// redrawn in place on a terminal, and nothing at all when output is not a terminal.

export interface DownloadProgress {
  model: string;
  file: string;
  fileIndex: number;
  fileCount: number;
  /** Bytes of this file on disk so far (resumed bytes included). */
  receivedBytes: number;
  totalBytes: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** One line such as `model.gguf [#####-----]  45%  503 MB / 1.1 GB  12.3 MB/s  0:50 left`. */
export function renderProgressLine(progress: DownloadProgress, width = 80): string {
  const { receivedBytes, totalBytes } = progress;
  const counter = progress.fileCount > 1 ? `(${progress.fileIndex + 1}/${progress.fileCount}) ` : '';
  const amounts = totalBytes === null ? formatBytes(receivedBytes) : `${formatBytes(receivedBytes)} / ${formatBytes(totalBytes)}`;
  const rate = `${formatBytes(progress.bytesPerSecond)}/s`;
  const eta = progress.etaSeconds === null ? '' : `  ${formatDuration(progress.etaSeconds)} left`;
  const fraction = totalBytes ? Math.min(1, receivedBytes / totalBytes) : null;
  const percent = fraction === null ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}%  `;
  const tail = `  ${percent}${amounts}  ${rate}${eta}`;
  const name = `${counter}${progress.file}`;
  const barWidth = Math.max(10, Math.min(30, width - name.length - tail.length - 3));
  const filled = fraction === null ? 0 : Math.round(fraction * barWidth);
  const bar = fraction === null ? '' : ` [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const line = `${name}${bar}${tail}`;
  return line.length > width ? line.slice(0, width) : line;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * A progress callback for `downloadModel`: redraws one line on a TTY, silent otherwise.
 * `done()` ends the line so later output starts on a fresh one.
 */
export function terminalProgress(stream: ProgressStream): { onProgress: (progress: DownloadProgress) => void; done: () => void } {
  if (!stream.isTTY) return { onProgress: () => undefined, done: () => undefined };
  let drawn = false;
  let lastFile = '';
  return {
    onProgress(progress) {
      if (drawn && progress.file !== lastFile) stream.write('\n');
      lastFile = progress.file;
      stream.write(`\r\x1b[2K${renderProgressLine(progress, (stream.columns ?? 80) - 1)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/** Tracks bytes for the progress callback: a rate over the last few seconds and the time left. */
export class ProgressMeter {
  private received = 0;
  private total: number | null = null;
  private samples: Array<{ at: number; bytes: number }> = [];
  private lastReport = 0;

  constructor(
    private readonly model: string,
    private readonly file: string,
    private readonly index: number,
    private readonly count: number,
    private readonly onProgress?: (progress: DownloadProgress) => void,
  ) {}

  begin(start: number, total: number | null): void {
    this.received = start;
    this.total = total;
    this.samples = [{ at: Date.now(), bytes: start }];
    this.report(true);
  }

  add(bytes: number): void {
    this.received += bytes;
    this.report(false);
  }

  flush(): void {
    this.report(true);
  }

  private report(force: boolean): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastReport < 100) return;
    this.lastReport = now;
    this.samples.push({ at: now, bytes: this.received });
    while (this.samples.length > 2 && now - this.samples[0].at > 5000) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (this.received - first.bytes) / seconds : 0;
    const remaining = this.total === null ? null : Math.max(0, this.total - this.received);
    this.onProgress({
      model: this.model,
      file: this.file,
      fileIndex: this.index,
      fileCount: this.count,
      receivedBytes: this.received,
      totalBytes: this.total,
      bytesPerSecond: rate,
      etaSeconds: remaining === null || rate <= 0 ? null : remaining / rate,
    });
  }
}
