// `cmdai explain <command..>`: the model explains an existing command; the assessor rates it.
import type { Argv, CommandModule } from 'yargs';
import { configFromArgs, ModelArgs, remoteFlagsFromArgs, withModelOptions } from '../options';
import { paint } from '../terminal';

interface ExplainArgs extends ModelArgs {
  command?: (string | number)[];
  json?: boolean;
}

const explainCommandModule: CommandModule<object, ExplainArgs> = {
  command: 'explain <command..>',
  describe: 'Explain what a command does, and rate its risk',
  builder: (yargs) =>
    withModelOptions(yargs)
      .positional('command', { type: 'string', array: true, describe: 'the command to explain (quote it)' })
      .option('json', { type: 'boolean', describe: 'print the explanation and risk as JSON' }) as unknown as Argv<ExplainArgs>,
  handler: async (argv) => {
    const config = configFromArgs(argv);
    const { createBackend } = require('../../backends') as typeof import('../../backends');
    const { explainCommand } = require('../../generate') as typeof import('../../generate');
    const backend = createBackend(config, { flags: remoteFlagsFromArgs(argv), yes: argv.yes, interactive: Boolean(process.stdin.isTTY) });
    try {
      const result = await explainCommand((argv.command ?? []).join(' '), { backend, config, shell: config.shell, maxTokens: argv.maxTokens });
      if (argv.json) {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      const p = paint(process.stdout);
      process.stdout.write(`${result.explanation}\n\n${p.bold(`Risk: ${result.risk.level}`)}\n`);
      for (const reason of result.risk.reasons) process.stdout.write(`  - ${reason.message}\n`);
    } finally {
      await backend.dispose();
    }
  },
};

export default explainCommandModule;
