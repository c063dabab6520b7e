// The `cmdai` command line. Only the subcommand being run is loaded, so `--help`, `--version`
// and `check` never pull in the native engine, the HTTP client or the model pipeline.
import type { Argv, CommandModule } from 'yargs';
import { CmdaiError } from '../errors';
import { EXIT, EXIT_CODES_HELP, exitCodeForError } from './exit-codes';
import { Route, routeArguments, Subcommand, SUBCOMMANDS } from './subcommands';
import { installInterruptHandling, QuietInterruption } from './terminal';

/** Loads a subcommand's module; only the one being run is ever loaded (start-up time). */
function loadSubcommand(entry: Subcommand): CommandModule {
  switch (entry.module) {
    case 'check':
      return optionalModule('check', () => require('./commands/check'));
    case 'model':
      return optionalModule('model', () => require('./commands/model'));
    default:
      return (require(`./commands/${entry.module}`) as { default: CommandModule }).default;
  }
}

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

export function buildParser(args: string[], route: Route = routeArguments(args)): Argv {
  // yargs costs about as much as starting node, so only commands that need it load it.
  const yargsFactory = require('yargs/yargs') as (args: string[]) => Argv;
  const parser = yargsFactory(args)
    .scriptName('cmdai')
    .usage('Usage: cmdai [options] <request..>\n\nTurn a plain-English request into one shell command, checked for safety.')
    .option('config', { type: 'string', describe: 'config file to use instead of the default', global: true })
    .option('verbose', { type: 'boolean', describe: 'print backend, model and timings on stderr', global: true })
    .version((require('../../package.json') as { version: string }).version) // outside src/: not an import
    .alias('version', ['V', 'v'])
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
        SUBCOMMAND_RULE_HELP,
        '',
        CTRL_C_HELP,
        '',
        EXIT_CODES_HELP,
      ].join('\n'),
    )
    .fail((message, error) => {
      // yargs' own parse errors (YError) are usage errors like the rest.
      if (error && error.name === 'YError') message = error.message;
      else if (error) throw error;
      const help = route.subcommand ? `cmdai ${route.subcommand.name} --help` : 'cmdai --help';
      // Like git: when the words may have been meant as a request, say how to send them as one.
      const asRequest = route.words && route.words.includes(' ') ? `, or quote the words to make them a request: cmdai "${route.words}"` : '';
      throw new CmdaiError('USAGE', readableYargsMessage(message ?? 'Invalid usage.'), { hint: `Run \`${help}\` for the options${asRequest}.` });
    });

  if (route.subcommand) parser.command(loadSubcommand(route.subcommand));
  else if (args.includes('--help') || args.includes('-h')) {
    // Listed in the main help from the table, without loading their modules.
    for (const entry of SUBCOMMANDS) parser.command(entry.usage, entry.describe, () => {}, () => {});
  }
  // The default command's module is needed only once yargs parses (not on the plain `check` path).
  const { default: generate } = require('./commands/generate') as typeof import('./commands/generate');
  parser.command(generate as unknown as CommandModule);
  return parser;
}

export const SUBCOMMAND_RULE_HELP = [
  'Requests and subcommands:',
  '  A first word that names a subcommand runs it only when the words after it fit that subcommand;',
  '  otherwise all the words are the request (a note on stderr says so). A quoted request, or one',
  '  after --, is always a request: cmdai "check disk usage", cmdai -- init a git repo here.',
].join('\n');

export const CTRL_C_HELP = [
  'Ctrl-C:',
  '  Inside a step (a question, an edit, a revision or explanation) it cancels that step and returns',
  '  to where you were; anywhere else it stops cmdai quietly with exit code 130.',
].join('\n');

/** yargs names options without dashes and adds camelCase twins; say them as the user typed them. */
export function readableYargsMessage(message: string): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (!unknown) return message;
  const names = unknown[1].split(', ');
  const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const shown = names.filter((name) => kebab(name) === name || !names.includes(kebab(name)));
  const spelled = shown.map((name) => (/^[A-Za-z][\w-]*$/.test(name) ? (name.length === 1 ? `-${name}` : `--${name}`) : name));
  return `Unknown ${spelled.length === 1 ? 'argument' : 'arguments'}: ${spelled.join(', ')}`;
}

/** `--command "-x ..."`: the value is the command even when it starts with "-" (yargs would read it as a flag). */
function joinCommandValue(args: string[]): string[] {
  const at = args.indexOf('--command');
  const dashes = args.indexOf('--');
  if (at < 0 || (dashes >= 0 && dashes < at) || at + 1 >= args.length || !args[at + 1].startsWith('-')) return args;
  return [...args.slice(0, at), `--command=${args[at + 1]}`, ...args.slice(at + 2)];
}

/** Runs the CLI and resolves to the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  const args = joinCommandValue(argv);
  try {
    const route = routeArguments(args);
    if (route.requestNote) process.stderr.write(`cmdai: ${route.requestNote}\n`);
    if (route.subcommand?.name === 'check' && args[0] === 'check') {
      // Plain `check` skips yargs: shell hooks call it before every command. Loaded only for check (it loads lib/safety).
      const { parsePlainCheck, runPlainCheck } = require('./fast-check') as typeof import('./fast-check');
      const plain = parsePlainCheck(args);
      if (plain) return await runPlainCheck(plain);
    }
    if (!route.subcommand) {
      // A plain request skips yargs too (lib/cli/fast-generate.ts): what a shell key binding runs.
      const { parsePlainGenerate } = require('./fast-generate') as typeof import('./fast-generate');
      const plain = parsePlainGenerate(args);
      if (plain) return await (require('./commands/generate') as typeof import('./commands/generate')).runGenerate(plain);
    }
    await buildParser(args, route).parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    return reportError(err, args.includes('--verbose') || Boolean(process.env.CMDAI_DEBUG));
  }
}

/** One or two readable lines on stderr; a stack trace only for unexpected errors in verbose mode. */
export function reportError(err: unknown, verbose: boolean): number {
  // Ctrl-C at the top level: the user knows what happened; leave the terminal tidy, and say at
  // most what was kept (a partial download), never an error.
  if (err instanceof CmdaiError && err.code === 'ABORTED') {
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (!(err instanceof QuietInterruption)) process.stderr.write(`cmdai: ${err.message}\n`);
    return EXIT.INTERRUPTED;
  }
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
  installInterruptHandling();
  void main(args).then((code) => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
}
