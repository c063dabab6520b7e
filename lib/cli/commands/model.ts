// `cmdai model list|pull|rm|path|verify`: the model cache from the command line.
// Loaded only when `cmdai model ...` runs (the subcommand table), so its imports cost nothing elsewhere.
import * as fs from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import * as modelsModule from '../../models';
import type { ModelEntry, ModelsConfig } from '../../models';
import { CmdaiError } from '../../errors';
import { loadCliConfig } from '../options';
import { onInterrupt as onCtrlC } from '../terminal';

interface ModelCommandArgs {
  config?: string;
  name?: string;
  json?: boolean;
}

type Models = typeof modelsModule;

/** The `[models]` table of the config file in effect (--config, CMDAI_CONFIG, or the default file). */
function modelsConfig(argv: ModelCommandArgs): ModelsConfig {
  return loadCliConfig({ file: argv.config }).models;
}

function context(argv: ModelCommandArgs) {
  const m = modelsModule;
  const config = modelsConfig(argv);
  return { m, config, catalog: m.ModelCatalog.load(config), modelsDir: m.resolveModelsDir({ configDir: config.dir }) };
}

function sizeText(m: Models, entry: ModelEntry): string {
  const { bytes, exact } = m.modelTotalBytes(entry);
  if (bytes === 0) return 'unknown';
  return `${exact ? '' : '~'}${m.formatBytes(bytes)}`;
}

/** The model format the embedded engine loads here: MLX on Apple Silicon (or when asked for), GGUF elsewhere. */
function engineFormat(argv: ModelCommandArgs): 'gguf' | 'mlx' {
  const engine = loadCliConfig({ file: argv.config }).engine;
  return engine === 'mlx' || (engine === 'auto' && process.platform === 'darwin' && process.arch === 'arm64') ? 'mlx' : 'gguf';
}

async function list(argv: ModelCommandArgs): Promise<void> {
  const { m, catalog, modelsDir } = context(argv);
  // One default: the one cmdai loads on this machine when no model is named.
  const defaultName = catalog.defaultName(engineFormat(argv));
  const rows = [];
  for (const entry of catalog.list()) {
    const installed = (await m.installedManifest(modelsDir, entry)) !== undefined;
    rows.push({
      name: entry.name,
      default: defaultName === entry.name,
      format: entry.format,
      size: sizeText(m, entry),
      sizeBytes: m.modelTotalBytes(entry).bytes,
      license: entry.license?.id ?? (entry.origin === 'config' ? 'see source' : 'unknown'),
      contextLength: entry.contextLength ?? null,
      source: entry.repo ? `${entry.repo}@${entry.revision?.slice(0, 12)}` : (entry.files[0].url ?? ''),
      installed,
      path: m.modelLoadPath(modelsDir, entry),
    });
  }
  if (argv.json) {
    process.stdout.write(`${JSON.stringify({ modelsDir, models: rows }, null, 2)}\n`);
    return;
  }
  const table = [
    ['NAME', 'FORMAT', 'SIZE', 'LICENSE', 'CONTEXT', 'INSTALLED'],
    ...rows.map((row) => [
      `${row.name}${row.default ? ' (default)' : ''}`,
      row.format,
      row.size,
      row.license,
      row.contextLength === null ? '-' : String(row.contextLength),
      row.installed ? 'yes' : 'no',
    ]),
  ];
  const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
  for (const row of table) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()}\n`);
  process.stdout.write(`\nModels are kept in ${modelsDir}\n`);
}

async function pull(argv: ModelCommandArgs): Promise<void> {
  const { m, catalog, modelsDir } = context(argv);
  const entry = catalog.get(argv.name ?? catalog.defaultName('gguf'));
  const progress = m.terminalProgress(process.stderr);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  // Ctrl-C stops the download cleanly (the partial file is kept for a resume) rather than exiting mid-write.
  const restoreCtrlC = onCtrlC(onInterrupt);
  process.once('SIGTERM', onInterrupt);
  process.stderr.write(`Pulling ${entry.name} (${sizeText(m, entry)}) into ${m.modelFolder(modelsDir, entry.name)}\n`);
  try {
    const result = await m.downloadModel(entry, {
      modelsDir,
      onProgress: progress.onProgress,
      onWaitForLock: () => process.stderr.write(`Another cmdai process is downloading ${entry.name}; waiting for it to finish...\n`),
      signal: controller.signal,
    });
    progress.done();
    process.stderr.write(result.downloaded ? `Downloaded and verified ${entry.name}.\n` : `${entry.name} is already downloaded.\n`);
    process.stdout.write(`${result.path}\n`);
  } catch (error) {
    progress.done();
    removeIfEmpty(m.modelFolder(modelsDir, entry.name));
    throw error;
  } finally {
    restoreCtrlC();
    process.removeListener('SIGTERM', onInterrupt);
  }
}

/** A failed first download must not leave an empty folder that looks like a model. */
function removeIfEmpty(folder: string): void {
  try {
    if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
  } catch {
    // no folder, or not empty (a partial download kept for resuming)
  }
}

async function remove(argv: ModelCommandArgs): Promise<void> {
  const { m, catalog, modelsDir } = context(argv);
  const entry = catalog.get(argv.name!);
  const folder = m.modelFolder(modelsDir, entry.name);
  const existed = fs.existsSync(folder);
  const { removed, freedBytes } = await m.removeModel(entry, modelsDir);
  if (removed) process.stderr.write(`Removed ${entry.name} (${m.formatBytes(freedBytes)} freed).\n`);
  else if (existed) process.stderr.write(`Removed the empty folder of ${entry.name} (it was never fully downloaded).\n`);
  // The state asked for is the state reached: say so, without failing a cleanup script.
  else process.stderr.write(`${entry.name} is not downloaded; nothing to remove in ${folder}.\n`);
}

async function path(argv: ModelCommandArgs): Promise<void> {
  const { m, catalog, modelsDir } = context(argv);
  const entry = catalog.get(argv.name ?? catalog.defaultName('gguf'));
  process.stdout.write(`${m.modelLoadPath(modelsDir, entry)}\n`);
  if (!(await m.installedManifest(modelsDir, entry))) {
    process.stderr.write(`${entry.name} is not downloaded yet; run \`cmdai model pull ${entry.name}\`.\n`);
    process.exitCode = 4;
  }
}

async function verify(argv: ModelCommandArgs): Promise<void> {
  const { m, catalog, modelsDir } = context(argv);
  const entries = argv.name ? [catalog.get(argv.name)] : catalog.list();
  let checked = 0;
  let bad = 0;
  for (const entry of entries) {
    const result = await m.verifyInstalledModel(modelsDir, entry);
    if (!result.installed) {
      if (argv.name) throw new CmdaiError('MODEL_MISSING', `${entry.name} is not downloaded; nothing to verify.`, { hint: `Run \`cmdai model pull ${entry.name}\`.` });
      continue;
    }
    checked++;
    for (const file of result.files) {
      process.stdout.write(`${file.ok ? 'ok      ' : 'FAILED  '}${entry.name}/${file.path}${file.problem ? ` (${file.problem})` : ''}\n`);
    }
    if (!result.ok) bad++;
  }
  if (checked === 0) process.stderr.write('No downloaded models to verify.\n');
  if (bad > 0) {
    throw new CmdaiError('MODEL_INVALID', `${bad} model${bad === 1 ? '' : 's'} failed verification.`, {
      hint: 'Remove the damaged model with `cmdai model rm <name>` and pull it again.',
    });
  }
}

const nameOption = (yargs: Argv<ModelCommandArgs>, describe: string) => yargs.positional('name', { type: 'string', describe });

const modelCommand: CommandModule<ModelCommandArgs, ModelCommandArgs> = {
  command: 'model',
  describe: 'list, download, remove, locate and verify models',
  builder: (yargs) =>
    yargs
      .command('list', 'list the catalog and custom models, and which are downloaded', (y) => y.option('json', { type: 'boolean', describe: 'print JSON' }), list)
      .command('pull [name]', 'download a model (default: the default model)', (y) => nameOption(y, 'catalog or custom model name'), pull)
      .command('rm <name>', 'delete a downloaded model', (y) => nameOption(y, 'model name'), remove)
      .command('path [name]', 'print the path the engine loads for a model', (y) => nameOption(y, 'model name'), path)
      .command('verify [name]', 'recompute the sha256 of downloaded models (all when no name is given)', (y) => nameOption(y, 'model name'), verify)
      .demandCommand(1, 'Name an action: list, pull, rm, path or verify.'),
  handler: () => undefined,
};

export default modelCommand;
