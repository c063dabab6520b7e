// The plain-request parser that skips yargs (lib/cli/fast-generate.ts) against yargs itself: for
// every argument list it accepts, the generate handler gets what yargs would have given it; what
// it does not accept is left to yargs. Both parsers run here, in this process: the handler is
// replaced for the duration, so nothing is generated.
import fc from 'fast-check';
import generateModule, { type GenerateArgs } from '../../lib/cli/commands/generate';
import { buildParser } from '../../lib/cli/main';
import { parsePlainGenerate } from '../../lib/cli/fast-generate';

/** The fields the generate command reads, as yargs hands them to it. */
const FIELDS: Array<keyof GenerateArgs> = [
  'json', 'print', 'dryRun', 'trustContext', 'verbose', 'yes', 'model', 'endpoint', 'apiKey', 'config', 'command',
  'timeout', 'retries', 'maxTokens', 'alternatives', 'backend', 'shell', 'safety',
];

function relevant(argv: GenerateArgs & { _?: unknown[] }): Record<string, unknown> {
  const out: Record<string, unknown> = { words: [...(argv.request ?? []), ...(argv._ ?? [])].map(String) };
  for (const field of FIELDS) if (argv[field] !== undefined) out[field] = argv[field];
  return out;
}

async function viaYargs(args: string[]): Promise<Record<string, unknown> | Error> {
  const original = generateModule.handler;
  let captured: GenerateArgs | undefined;
  generateModule.handler = (argv) => {
    captured = argv;
  };
  try {
    await buildParser(args).parseAsync();
  } catch (err) {
    return err as Error;
  } finally {
    generateModule.handler = original;
  }
  return captured ? relevant(captured) : new Error('the generate handler did not run');
}

describe('plain requests skip yargs with the same result', () => {
  const accepted: string[][] = [
    ['find', 'files', 'larger', 'than', '100MB'],
    ['--print', 'find all files larger than 100MB'],
    ['--model', 'models/x.gguf', '--shell', 'bash', '--max-tokens', '60', '--print', '--verbose', 'list files'],
    ['--json', '--max-tokens=96', '--safety', 'strict', 'show', 'disk', 'usage'],
    ['-y', '--dry-run', '-n', '3', 'compress', 'the', 'logs'],
    ['--backend', 'ollama', '--endpoint', 'http://127.0.0.1:11434', '--timeout', '5000', '--retries', '0', 'x'],
    ['--print', '--', 'init', 'a', 'repo', '--json'],
    ['--command', 'rm -rf build', '--print'],
    ['--config', '/tmp/c.toml', '--api-key', 'k', 'list', '5', 'files'],
    ['--print', '--trust-context'],
    [],
  ];

  test.each(accepted.map((args) => [args.join(' '), args]))('%s', async (_name, args) => {
    const plain = parsePlainGenerate(args);
    expect(plain).toBeDefined();
    expect(relevant(plain!)).toEqual(await viaYargs(args));
  });

  test.each([
    ['--help'], ['-h', 'x'], ['--version'], ['-v'], ['--no-print', 'x'], ['--print', '--print', 'x'], ['--print=false', 'x'],
    ['--model'], ['--model', ''], ['--max-tokens', 'lots', 'x'], ['--max-tokens', '1e3', 'x'], ['--timeout', '-5', 'x'],
    ['--shell', 'cmd.exe', 'x'], ['--backend', 'nope', 'x'], ['-yn', '3', 'x'], ['--unknown', 'x'], ['--command=-rf', 'x'], ['-n3', 'x'],
  ])('left to yargs: %s', (...args) => {
    expect(parsePlainGenerate(args)).toBeUndefined();
  });

  test('any argument list it accepts, yargs reads the same way', async () => {
    const word = fc.constantFrom('list', 'files', '100MB', '5', '0', '-', '--', 'a=b', 'x.y', '--print', '--json', '--verbose', '-y', '--yes',
      '--dry-run', '--model', '--max-tokens', '--max-tokens=64', '-n', '2', '--shell', 'zsh', 'bash', '--safety', 'strict', '--backend', 'openai',
      '--endpoint', 'http://h', '--timeout', '--retries', '--alternatives', '--config', 'c.toml', '--command', 'ls -la', '--trust-context', '-x', '"q"');
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 8 }), async (args) => {
        const plain = parsePlainGenerate(args);
        if (!plain) return;
        compared++;
        expect(relevant(plain)).toEqual(await viaYargs(args));
      }),
      { numRuns: 400 },
    );
    // The property compared a good share of the lists, not only the ones left to yargs.
    expect(compared).toBeGreaterThan(40);
  });
});
