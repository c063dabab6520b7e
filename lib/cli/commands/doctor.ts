// `cmdai doctor`: what cmdai sees on this machine, and whether each backend can answer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-codes';
import { configFromArgs, ModelArgs, remoteFlagsFromArgs, withModelOptions } from '../options';
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
    const config = configFromArgs(argv);
    const { detectEnvironment } = require('../../prompt/environment') as typeof import('../../prompt/environment');
    const { engineAvailability, mlxAvailability } = require('../../backends/embedded') as typeof import('../../backends/embedded');
    const { createBackend, chooseEngine, looksLikePath } = require('../../backends') as typeof import('../../backends');
    const environment = detectEnvironment({ shell: config.shell });
    const engine = engineAvailability();
    const mlx = mlxAvailability();
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
      const chain = backend as typeof backend & { statusAll?: () => Promise<import('../../backends/types').BackendStatus[]> };
      backends = chain.statusAll ? await chain.statusAll() : [await backend.status()];
    } finally {
      await backend.dispose();
    }
    const { residentDoctorLine } = require('./serve') as typeof import('./serve');
    const resident = await residentDoctorLine(config.keepAlive).catch((err: Error) => `unknown: ${err.message}`);
    const report = {
      version: require('../../../package.json').version as string,
      platform: `${environment.osName}, ${process.arch}, node ${process.version}`,
      shell: `${environment.shell} (${environment.shellSource})`,
      userland: environment.userland,
      tools: environment.tools,
      config: `${config.file}${fs.existsSync(config.file) ? '' : ' (not present: defaults in use)'}`,
      safety: config.safety.policy,
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
        `  config     ${report.config}`,
        `  safety     ${report.safety}`,
        `  embedded   ${engineChoice}`,
        `  llama.cpp  ${mark(engine.available)} ${engine.detail}`,
        `  mlx        ${mark(mlx.available)} ${mlx.detail}`,
        `  resident   ${resident}`,
        ...backends.map((status) => `  backend    ${mark(status.available)} ${status.backend}: ${status.detail}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    process.exitCode = ready ? EXIT.OK : EXIT.BACKEND_UNAVAILABLE;
  },
};

export default doctorCommandModule;
