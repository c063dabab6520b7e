// The `cmdai` command line. Only the subcommand being run is loaded, so `--help`, `--version`
// and `check` never pull in the native engine, the HTTP client or the model pipeline.
import type { Argv, CommandModule } from 'yargs';
import { CmdaiError } from '../errors';
import { EXIT, EXIT_CODES_HELP, exitCodeForError } from './exit-codes';

interface LazyCommand {
  name: string;
  /** Shown in `cmdai --help` without loading the module. */
  usage: string;
  describe: string;
  load: () => CommandModule;
}

const COMMANDS: LazyCommand[] = [
  { name: 'explain', usage: 'explain <command..>', describe: 'Explain what a command does, and rate its risk', load: () => require('./commands/explain').default },
  { name: 'check', usage: 'check [command..]', describe: 'Rate a command\'s risk (no model needed)', load: () => optionalModule('check', () => require('./commands/check')) },
  { name: 'doctor', usage: 'doctor', describe: 'Show platform, shell, engine, model and backend status', load: () => require('./commands/doctor').default },
  { name: 'config', usage: 'config <get|set|path>', describe: 'Read or change settings', load: () => require('./commands/config').default },
  { name: 'init', usage: 'init <shell>', describe: 'Print a shell integration (bash, zsh, fish, powershell)', load: () => require('./commands/init').default },
  { name: 'model', usage: 'model <list|pull|rm|path|verify>', describe: 'Manage downloaded models', load: () => optionalModule('model', () => require('./commands/model')) },
  { name: 'serve', usage: 'serve', describe: 'Run, show (--status) or stop (--stop) the resident model server', load: () => require('./commands/serve').default },
  { name: 'bench', usage: 'bench', describe: 'Measure model load, time to first token and generation speed', load: () => require('./commands/bench').default },
];

/** Flags that take a value, so the word after them is not mistaken for a subcommand. */
const VALUE_FLAGS = new Set(['--model', '--backend', '--endpoint', '--api-key', '--timeout', '--retries', '--shell', '--safety', '-n', '--alternatives', '--config', '--command', '--max-tokens']);

/** A module another part of the project provides; until it exists the command says so. */
function optionalModule(name: string, load: () => { default: CommandModule }): CommandModule {
  try {
    return load().default;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((err as Error).message).includes(`commands/${name}`)) throw err;
    return {
      command: `${name} [args..]`,
      describe: 'not available in this build',
      handler: () => {
        throw new CmdaiError('USAGE', `\`cmdai ${name}\` is not available in this build of cmdai.`);
      },
    };
  }
}

function firstWord(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return undefined;
    if (arg.startsWith('-')) {
      if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return undefined;
}

export function buildParser(args: string[]): Argv {
  const yargsFactory = require('yargs/yargs') as (args: string[]) => Argv;
  const parser = yargsFactory(args)
    .scriptName('cmdai')
    .usage('Usage: cmdai [options] <request..>\n\nTurn a plain-English request into one shell command, checked for safety.')
    .option('config', { type: 'string', describe: 'config file to use instead of the default', global: true })
    .option('verbose', { type: 'boolean', describe: 'print backend, model and timings on stderr', global: true })
    .version(require('../../package.json').version)
    .help()
    .alias('help', 'h')
    .strict()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .epilogue(
      [
        'Examples:',
        '  cmdai "find files larger than 100MB"',
        '  cmdai list the five biggest directories here',
        '  echo "compress every log in ./logs" | cmdai --print',
        '  cmdai check "rm -rf ~/old"',
        '',
        EXIT_CODES_HELP,
      ].join('\n'),
    )
    .fail((message, error) => {
      throw error ?? new CmdaiError('USAGE', message ?? 'Invalid usage.', { hint: 'Run `cmdai --help` for the options.' });
    });

  const first = firstWord(args);
  for (const command of COMMANDS) {
    if (command.name === first) parser.command(command.load());
    else parser.command(command.usage, command.describe, () => {}, () => {});
  }
  const { default: generate } = require('./commands/generate') as typeof import('./commands/generate');
  parser.command(generate as unknown as CommandModule);
  return parser;
}

/** Runs the CLI and resolves to the exit code; never throws. */
export async function main(args: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    if (args[0] === 'check') {
      const { parsePlainCheck, runPlainCheck } = require('./fast-check') as typeof import('./fast-check');
      const plain = parsePlainCheck(args);
      if (plain) return runPlainCheck(plain);
    }
    await buildParser(args).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    return reportError(err, args.includes('--verbose') || Boolean(process.env.CMDAI_DEBUG));
  }
}

/** One or two readable lines on stderr; a stack trace only for unexpected errors in verbose mode. */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CmdaiError) {
    process.stderr.write(`cmdai: ${err.message}\n`);
    if (err.hint) process.stderr.write(`cmdai: ${err.hint}\n`);
    return exitCodeForError(err.code);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`cmdai: unexpected error: ${message}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  else process.stderr.write('cmdai: run again with --verbose for details, and please report it.\n');
  return EXIT.GENERATION_FAILED;
}

/** Entry point for bin/cmdai.js: exits once stdout and stderr are flushed. */
export function run(args: string[]): void {
  // `cmdai ... | head -c0`: the reader went away; nothing left to say to it.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  void main(args).then((code) => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
