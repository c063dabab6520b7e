// `cmdai explain <command..>`: the assessor rates the command (no model needed), then the model
// explains it. Without a usable model the rating is still shown, and the error says what is missing.
import type { Argv, CommandModule } from 'yargs';
import { createBackend } from '../../backends';
import { CmdaiError } from '../../errors';
import { assessRisk, explainCommand } from '../../generate';
import { detectEnvironment } from '../../prompt/environment';
import { checkModelArgs, configFromArgs, ModelArgs, remoteFlagsFromArgs, withModelOptions } from '../options';
import { abortOnInterrupt, paint, QuietInterruption } from '../terminal';

interface ExplainArgs extends ModelArgs {
  command?: (string | number)[];
  json?: boolean;
}

const explainCommandModule: CommandModule<object, ExplainArgs> = {
  command: 'explain <command..>',
  describe: 'Explain what a command does, and rate its risk',
  builder: (yargs) =>
    withModelOptions(yargs)
      // `cmdai explain tar -xzf a.tgz` (unquoted): the command's own flags are part of the command.
      .parserConfiguration({ 'unknown-options-as-args': true })
      .positional('command', { type: 'string', array: true, describe: 'the command to explain (quote it, or put it after --)' })
      .option('json', { type: 'boolean', describe: 'print the explanation and risk as JSON' }) as unknown as Argv<ExplainArgs>,
  handler: async (argv) => {
    checkModelArgs(argv);
    const afterDashes = (argv as { _?: (string | number)[] })._?.slice(1) ?? [];
    const command = [...(argv.command ?? []), ...afterDashes].map(String).join(' ').trim();
    const config = configFromArgs(argv);
    const environment = detectEnvironment({ shell: config.shell });
    if (command === '') throw new CmdaiError('USAGE', 'No command to explain.', { hint: 'Try: cmdai explain "tar -xzf archive.tgz"' });
    const risk = assessRisk(command, environment.shell, config.safety.policy, config);
    const out = process.stdout;
    const p = paint(out);
    // The rating needs no model: show it first, so it is there even when the model is not.
    if (!argv.json) {
      out.write(`${p.bold(`Risk: ${risk.level}`)}\n`);
      for (const reason of risk.reasons) out.write(`  - ${reason.message}\n`);
    }
    const backend = createBackend(config, { flags: remoteFlagsFromArgs(argv), yes: argv.yes, interactive: Boolean(process.stdin.isTTY) });
    const interrupt = abortOnInterrupt();
    try {
      const result = await explainCommand(command, { backend, config, environment, maxTokens: argv.maxTokens, signal: interrupt.signal });
      if (argv.json) out.write(JSON.stringify(result, null, 2) + '\n');
      else out.write(`\n${result.explanation}\n`);
    } catch (err) {
      if (interrupt.signal.aborted) throw new QuietInterruption(err);
      if (!argv.json && err instanceof CmdaiError) {
        throw new CmdaiError(err.code, `The explanation needs a model, and none could answer: ${err.message}`, { hint: err.hint, cause: err });
      }
      throw err;
    } finally {
      interrupt.restore();
      await backend.dispose();
    }
  },
};

export default explainCommandModule;
