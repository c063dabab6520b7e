// Runs one real downloadModel in its own process, as `cmdai model pull` would, and reports
// on stdout: PROGRESS once bytes arrive, WAITING if it has to wait for the lock, then a JSON result.
const { join } = require('node:path');

const [, , libDir, entryJson, modelsDir, endpoint] = process.argv;
const { downloadModel } = require(join(libDir, 'models', 'download.js'));

const controller = new AbortController();
process.on('SIGINT', () => controller.abort());

let reported = false;
downloadModel(JSON.parse(entryJson), {
  modelsDir,
  endpoint,
  env: {},
  signal: controller.signal,
  retryDelayMs: 50,
  lockStaleMs: 5000,
  onProgress: (progress) => {
    if (!reported && progress.receivedBytes > 0) {
      reported = true;
      process.stdout.write('PROGRESS\n');
    }
  },
  onWaitForLock: () => process.stdout.write('WAITING\n'),
})
  .then((result) => {
    process.stdout.write(`${JSON.stringify({ ok: true, downloaded: result.downloaded, path: result.path })}\n`);
  })
  .catch((error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, code: error.code, message: error.message })}\n`);
    process.exitCode = error.code === 'ABORTED' ? 130 : 1;
  });
