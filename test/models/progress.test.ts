// The download progress line: drawn on a terminal, silent elsewhere.
import type { DownloadProgress } from '../../lib/models/download';
import { formatBytes, renderProgressLine, terminalProgress } from '../../lib/models/progress';

const halfway: DownloadProgress = {
  model: 'qwen2.5-coder-1.5b',
  file: 'model.gguf',
  fileIndex: 0,
  fileCount: 1,
  receivedBytes: 558_660_384,
  totalBytes: 1_117_320_768,
  bytesPerSecond: 12_500_000,
  etaSeconds: 44.7,
};

test('the progress line shows the bar, percentage, bytes, rate and time left', () => {
  const line = renderProgressLine(halfway, 100);
  expect(line).toMatch(/^model\.gguf \[#+-+\]/);
  expect(line).toContain(' 50%');
  expect(line).toContain('559 MB / 1.1 GB');
  expect(line).toContain('12.5 MB/s');
  expect(line).toContain('00:45 left');
  expect(line.length).toBeLessThanOrEqual(100);
});

test('an unknown total shows bytes and rate without a bar', () => {
  const line = renderProgressLine({ ...halfway, totalBytes: null, etaSeconds: null });
  expect(line).toBe('model.gguf  559 MB  12.5 MB/s');
});

test('sizes are written in decimal units', () => {
  expect(formatBytes(999)).toBe('999 B');
  expect(formatBytes(1_117_320_768)).toBe('1.1 GB');
  expect(formatBytes(4_683_073_536)).toBe('4.7 GB');
});

test('on a terminal the line is redrawn in place and ended by done()', () => {
  let written = '';
  const progress = terminalProgress({ isTTY: true, columns: 80, write: (text: string) => (written += text) });
  progress.onProgress(halfway);
  progress.onProgress({ ...halfway, receivedBytes: halfway.totalBytes! });
  progress.done();
  expect(written.match(/\r\x1b\[2K/g)).toHaveLength(2);
  expect(written.endsWith('\n')).toBe(true);
});

test('when output is not a terminal nothing is written', () => {
  let written = '';
  const progress = terminalProgress({ isTTY: false, write: (text: string) => (written += text) });
  progress.onProgress(halfway);
  progress.done();
  expect(written).toBe('');
});
