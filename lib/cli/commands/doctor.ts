// `cmdai doctor`: what cmdai sees on this machine, and whether each backend can answer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { chooseEngine, createBackend, looksLikePath } from '../../backends';
import { engineAvailability, mlxAvailability } from '../../backends/embedded';
import type { BackendStatus } from '../../backends/types';
import { CmdaiError } from '../../errors';
import { detectEnvironment } from '../../prompt/environment';
import { EXIT } from '../exit-codes';
import { checkModelArgs, configFromArgs, ModelArgs, remoteFlagsFromArgs, withModelOptions } from '../options';
import { paint } from '../terminal';

interface DoctorArgs extends ModelArgs {
  [option: string]: unknown;
  json?: boolean;
}

const doctorCommandModule: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe: 'Show platform, shell, engine, model and backend status',
  builder: (yargs) => withModelOptions(yargs).option('json', { type: 'boolean', describe: 'print the report as JSON' }) as unknown as Argv<DoctorArgs>,
  handler: async (argv) => {
    checkModelArgs(argv);
    // A broken config file is what doctor is run to find: report it and carry on with the defaults.
    let configProblem: string | undefined;
    let config;
    try {
      config = configFromArgs(argv);
    } catch (err) {
      if (!(err instanceof CmdaiError) || err.code !== 'CONFIG') throw err;
      configProblem = err.message;
      config = configFromArgs(argv, { skipFile: true });
    }
    const environment = detectEnvironment({ shell: config.shell });
    const engine = engineAvailability();
    // MLX runs only on Apple Silicon; elsewhere it is not expected, unless asked for.
    const mlxExpected = (process.platform === 'darwin' && process.arch === 'arm64') || config.engine === 'mlx';
    const mlx = mlxExpected ? mlxAvailability() : { available: false, detail: 'not used on this platform (MLX runs on Apple Silicon)' };
    const spec = argv.model ?? config.model;
    let engineChoice: string;
    try {
      engineChoice = chooseEngine(config, spec && looksLikePath(spec) ? path.resolve(spec) : undefined).reason;
    } catch (err) {
      engineChoice = `none: ${(err as Error).message}`;
    }
    const backend = createBackend(config, { flags: remoteFlagsFromArgs(argv) });
    let backends;
    try {
      const chain = backend as typeof backend & { statusAll?: () => Promise<BackendStatus[]> };
      backends = chain.statusAll ? await chain.statusAll() : [await backend.status()];
    } finally {
      await backend.dispose();
    }
    const { residentDoctorLine } = require('./serve') as typeof import('./serve');
    const resident = await residentDoctorLine(config.keepAlive).catch((err: Error) => `unknown: ${err.message}`);
    const report = {
      version: (require('../../../package.json') as { version: string }).version, // outside src/: not an import
      platform: `${environment.osName}, ${process.arch}, node ${process.version}`,
      shell: `${environment.shell} (${environment.shellSource})`,
      userland: environment.userland,
      tools: environment.tools,
      config: `${config.file}${configProblem ? '' : fs.existsSync(config.file) ? '' : ' (not present: defaults in use)'}`,
      configProblem,
      configWarnings: config.warnings,
      safety: config.safety.policy,
      repoPolicy: config.repoPolicy ? { file: config.repoPolicy.file, policy: config.repoPolicy.policy ?? null, deny: config.repoPolicy.deny, notes: config.repoPolicy.notes } : null,
      engine,
      mlx,
      engineChoice,
      resident,
      backends,
    };
    const ready = backends.some((status) => status.available);
    if (argv.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      const p = paint(process.stdout);
      const mark = (ok: boolean) => (ok ? p.green('ok  ') : p.red('FAIL'));
      const lines = [
        `cmdai ${report.version}`,
        `  platform   ${report.platform}`,
        `  shell      ${report.shell}`,
        `  userland   ${report.userland}`,
        `  tools      ${report.tools.join(' ') || '(none of the common ones found)'}`,
        `  config     ${configProblem ? `${p.red('FAIL')} ${configProblem} (defaults in use below)` : report.config}`,
        ...config.warnings.map((warning) => `  config     ${p.yellow('warn')} ${warning}`),
        `  safety     ${report.safety}`,
        `  repo       ${repoPolicyLine(config.repoPolicy)}`,
        `  embedded   ${engineChoice}`,
        `  llama.cpp  ${mark(engine.available)} ${engine.detail}`,
        `  mlx        ${mlxExpected ? mark(mlx.available) : p.dim('--  ')} ${mlx.detail}`,
        `  resident   ${resident}`,
        ...backends.map((status) => `  backend    ${mark(status.available)} ${status.backend}: ${status.detail}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    process.exitCode = configProblem ? EXIT.USAGE : ready ? EXIT.OK : EXIT.BACKEND_UNAVAILABLE;
  },
};

export default doctorCommandModule;

function repoPolicyLine(policy: import('../../config/repo-policy').RepoPolicy | undefined): string {
  if (!policy) return 'no .cmdai.toml between here and the repository root';
  const parts = [policy.policy ? `policy raised to ${policy.policy}` : undefined, `${policy.deny.length} deny rule${policy.deny.length === 1 ? '' : 's'}`, policy.notes.length ? `${policy.notes.length} setting(s) ignored` : undefined];
  return `${policy.file} (${parts.filter(Boolean).join(', ')})`;
}
