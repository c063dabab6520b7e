// `cmdai serve`: the resident model in the foreground (for systemd/launchd), plus --status and
// --stop for the one running in the background. Clients start it themselves when needed.
import type { Argv, CommandModule } from 'yargs';
import type { RequestFigures } from '../../server/protocol';
import { CmdaiError } from '../../errors';
import { EXIT } from '../exit-codes';
import { configFromArgs, ModelArgs, withModelOptions } from '../options';

interface ServeArgs extends ModelArgs {
  stop?: boolean;
  status?: boolean;
  json?: boolean;
  port?: number;
  host?: string;
  keepAlive?: string;
  background?: boolean;
  label?: string;
  contextSize?: number;
  threads?: number;
}

const serveCommandModule: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Run the resident model server (normally started on demand), or show or stop it',
  builder: (yargs) =>
    (withModelOptions(yargs) as Argv)
      .option('status', { type: 'boolean', describe: 'show whether a server runs, its model, memory and idle time' })
      .option('stop', { type: 'boolean', describe: 'stop the running server (after the answers under way)' })
      .option('json', { type: 'boolean', describe: 'with --status: print it as JSON' })
      .option('port', { type: 'number', describe: 'also listen on this TCP port (loopback only unless --host says otherwise)' })
      .option('host', { type: 'string', describe: 'address for --port (default 127.0.0.1)' })
      .option('keep-alive', { type: 'string', describe: 'exit after this long without requests, e.g. 10m (default: never, in the foreground)' })
      .option('background', { type: 'boolean', hidden: true })
      .option('label', { type: 'string', hidden: true })
      .option('context-size', { type: 'number', hidden: true })
      .option('threads', { type: 'number', hidden: true })
      .conflicts('status', 'stop') as unknown as Argv<ServeArgs>,
  handler: async (argv) => {
    process.exitCode = await runServe(argv);
  },
};

export default serveCommandModule;

async function runServe(argv: ServeArgs): Promise<number> {
  const { serverLocation } = require('../../server/socket-dir') as typeof import('../../server/socket-dir');
  const client = require('../../server/client') as typeof import('../../server/client');
  const location = serverLocation(process.env);

  if (argv.status) {
    const { probe } = await client.residentStatus(process.env);
    if (argv.json) process.stdout.write(JSON.stringify({ socket: location.socket, ...probe }, null, 2) + '\n');
    else process.stdout.write(describeServer(probe, location.socket) + '\n');
    return probe.kind === 'status' ? EXIT.OK : EXIT.BACKEND_UNAVAILABLE;
  }
  if (argv.stop) {
    const stopped = await client.stopServer(location);
    process.stdout.write(stopped ? `Stopped the cmdai server (pid ${stopped.pid}).\n` : 'No cmdai server is running.\n');
    return EXIT.OK;
  }

  const { parseDurationMs } = require('../../config/keys') as typeof import('../../config/keys');
  const keepAliveMs = argv.keepAlive === undefined ? (argv.background ? 600_000 : 0) : parseDurationMs(argv.keepAlive);
  if (keepAliveMs === undefined) throw new CmdaiError('USAGE', `--keep-alive ${JSON.stringify(argv.keepAlive)} is not a duration.`, { hint: 'Use for example 10m, 90s or 1h.' });
  if (argv.port !== undefined && (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535)) {
    throw new CmdaiError('USAGE', '--port must be a whole number from 0 to 65535.');
  }
  const config = configFromArgs(argv);
  const notice = (message: string) => process.stderr.write(`cmdai: ${message}\n`);
  const model = await client.residentModelFor(config, argv.model ?? config.model, notice);
  if (!model) {
    throw new CmdaiError('MODEL_MISSING', `The model ${argv.model ?? config.model ?? '(default)'} is not a local GGUF file yet.`, {
      hint: 'Download it with `cmdai model pull`, or pass --model <file.gguf>.',
    });
  }
  if (argv.host !== undefined && argv.port === undefined) throw new CmdaiError('USAGE', '--host needs --port.');
  const { isLoopbackHost } = require('../../backends/http') as typeof import('../../backends/http');
  if (argv.host !== undefined && !isLoopbackHost(argv.host)) {
    notice(`warning: --host ${argv.host} lets anyone who can reach it use this model; nothing checks who they are.`);
  }

  if (argv.background) process.umask(0o077);
  const { startResidentServer } = require('../../server/server') as typeof import('../../server/server');
  const { promptCacheDir } = require('../../config/paths') as typeof import('../../config/paths');
  let server;
  try {
    server = await startResidentServer({
      location,
      modelPath: model.path,
      modelLabel: argv.label ?? model.label,
      engine: { contextSize: argv.contextSize, threads: argv.threads },
      keepAliveMs,
      port: argv.port,
      host: argv.host,
      promptCacheDir: promptCacheDir({ env: process.env }),
    });
  } catch (err) {
    throw new CmdaiError('BACKEND_UNAVAILABLE', `Cannot start the cmdai server: ${(err as Error).message}`, {
      hint: 'See `cmdai serve --status`; stop a running one with `cmdai serve --stop`.',
    });
  }
  const onSignal = (signal: string) => void server.stop(`received ${signal}`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await server.stopped;
  return EXIT.OK;
}

function describeServer(probe: Awaited<ReturnType<typeof import('../../server/client').residentStatus>>['probe'], socket: string): string {
  const { formatDuration } = require('../../server/protocol') as typeof import('../../server/protocol');
  switch (probe.kind) {
    case 'none':
      return `No cmdai server is running (socket ${socket}).`;
    case 'refused':
      return `Not used: ${probe.refusal.reason}. ${probe.refusal.hint}`;
    case 'foreign':
      return `Not used: ${probe.reason}.`;
    case 'status': {
      const s = probe.status;
      const memory = s.memory.rssAnonBytes !== undefined ? `${Math.round(s.memory.rssAnonBytes / 1048576)} MB anonymous` : `${Math.round(s.memory.rssBytes / 1048576)} MB resident`;
      const idle = s.keepAliveMs > 0 ? `idle ${formatDuration(s.idleMs)} of ${formatDuration(s.keepAliveMs)}` : `idle ${formatDuration(s.idleMs)}, no idle exit`;
      return [
        `cmdai ${s.version} server, pid ${s.pid}, ${s.state}${s.error ? ` (${s.error})` : ''}`,
        `  model      ${s.model.label} (${s.model.path})`,
        `  memory     ${memory}`,
        `  requests   ${s.served} served, ${s.active} running, ${s.queued} waiting; ${idle}`,
        ...(s.lastRequest ? [`  last       ${lastRequestLine(s.lastRequest)}`] : []),
        `  listening  ${s.listening.join(', ')}`,
      ].join('\n');
    }
  }
}

/** "28 of 519 prompt tokens evaluated in 950 ms, 2 generated in 170 ms (abort)" */
function lastRequestLine(r: RequestFigures): string {
  const ms = (value: number | undefined) => (value === undefined ? '?' : `${Math.round(value)} ms`);
  const evaluated = r.promptTokens !== undefined && r.cachedTokens !== undefined ? `${r.promptTokens - r.cachedTokens} of ${r.promptTokens}` : `${r.promptTokens ?? '?'}`;
  return `${evaluated} prompt tokens evaluated in ${ms(r.promptMs)}, ${r.generatedTokens ?? '?'} generated in ${ms(r.generationMs)} (${r.stopReason})`;
}

/** One line for `cmdai doctor`. */
export async function residentDoctorLine(keepAlive: string): Promise<string> {
  const client = require('../../server/client') as typeof import('../../server/client');
  const { parseDurationMs } = require('../../config/keys') as typeof import('../../config/keys');
  const { formatDuration } = require('../../server/protocol') as typeof import('../../server/protocol');
  const keepAliveMs = parseDurationMs(keepAlive) ?? 0;
  const { location, probe } = await client.residentStatus(process.env);
  if (probe.kind === 'status') {
    const s = probe.status;
    const memory = s.memory.rssAnonBytes !== undefined ? `${Math.round(s.memory.rssAnonBytes / 1048576)} MB anonymous memory` : `${Math.round(s.memory.rssBytes / 1048576)} MB`;
    const idle = s.keepAliveMs > 0 ? `idle ${formatDuration(s.idleMs)} (exits after ${formatDuration(s.keepAliveMs)})` : `idle ${formatDuration(s.idleMs)}`;
    return `running, pid ${s.pid}, cmdai ${s.version}, ${s.state}, model ${s.model.label}, ${memory}, ${idle}`;
  }
  if (probe.kind !== 'none') return `not usable: ${probe.kind === 'refused' ? `${probe.refusal.reason}. ${probe.refusal.hint}` : probe.reason}`;
  return keepAliveMs > 0
    ? `not running; the next request starts one (keepAlive ${formatDuration(keepAliveMs)}, socket ${location.socket})`
    : 'off (keepAlive 0: every request loads the model in-process)';
}
