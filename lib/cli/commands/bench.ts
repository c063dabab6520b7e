// `cmdai bench`: a quick speed check of the configured backend on this machine: model load,
// time to first token with and without the cached system prompt, and generation speed.
// The full benchmarks (startup, prefix cache across processes) are bench/startup.ts and bench/ttft.ts.
import type { Argv, CommandModule } from 'yargs';
import { createBackend } from '../../backends';
import { generateCommand } from '../../generate';
import { checkModelArgs, checkRange, configFromArgs, ModelArgs, remoteFlagsFromArgs, withModelOptions } from '../options';

interface BenchArgs extends ModelArgs {
  [option: string]: unknown;
  runs?: number;
  json?: boolean;
}

const REQUEST = 'find all files larger than 100MB in my home directory';

const benchCommandModule: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'Measure model load, time to first token and generation speed',
  builder: (yargs) =>
    withModelOptions(yargs)
      .option('runs', { type: 'number', default: 3, describe: 'generations after the first' })
      .option('json', { type: 'boolean', describe: 'print the figures as JSON' }) as unknown as Argv<BenchArgs>,
  handler: async (argv) => {
    checkModelArgs(argv);
    checkRange('runs', argv.runs);
    const config = configFromArgs(argv);
    const backend = createBackend(config, { flags: remoteFlagsFromArgs(argv), yes: argv.yes });
    const runs: { load: number; timeToFirstToken: number; generation: number; total: number; backend: string; model: string }[] = [];
    try {
      for (let i = 0; i <= Math.max(1, argv.runs ?? 3); i++) {
        const result = await generateCommand(REQUEST, { backend, config, shell: config.shell, maxTokens: argv.maxTokens });
        runs.push({ ...result.timings, backend: result.backend, model: result.model });
        if (!argv.json) {
          const t = result.timings;
          process.stdout.write(
            `run ${i + 1}: load ${t.load} ms, first token ${t.timeToFirstToken} ms, generation ${t.generation} ms, total ${t.total} ms\n`,
          );
        }
      }
    } finally {
      await backend.dispose();
    }
    const later = runs.slice(1).map((run) => run.timeToFirstToken).sort((a, b) => a - b);
    const summary = {
      backend: runs[0].backend,
      model: runs[0].model,
      loadMs: runs[0].load,
      firstTimeToFirstTokenMs: runs[0].timeToFirstToken,
      medianLaterTimeToFirstTokenMs: later[Math.floor(later.length / 2)],
      runs,
    };
    if (argv.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      process.stdout.write(
        `${summary.backend} / ${summary.model}: first token ${summary.firstTimeToFirstTokenMs} ms on the first run, ` +
          `${summary.medianLaterTimeToFirstTokenMs} ms (median) once the system prompt is cached\n`,
      );
    }
  },
};

export default benchCommandModule;
