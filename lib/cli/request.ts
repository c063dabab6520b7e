// The request comes from the words after `cmdai`, or from stdin when there are none.
import { readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { CmdaiError } from '../errors';

/** The request limit, from the prompt module; loaded only for requests, since `check` reads stdin through here at hook speed. */
function maxRequestChars(): number {
  return (require('../prompt/system') as typeof import('../prompt/system')).MAX_REQUEST_CHARS;
}

/** Reading more than this from stdin is pointless: the request limit is far smaller. */
const MAX_STDIN_BYTES = 1024 * 1024;

export async function readRequest(words: readonly (string | number)[] | undefined, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const fromWords = (words ?? []).map(String).join(' ').trim();
  if (fromWords !== '') return fromWords;
  if (stdin.isTTY) {
    throw new CmdaiError('USAGE', 'No request given.', { hint: 'Say what you want done, e.g. cmdai "find files larger than 100MB", or pipe it on stdin.' });
  }
  return decodeStdinRequest(await readAll(stdin, MAX_STDIN_BYTES));
}

/** The command for `check`: the words, or stdin when there are none and it is not a terminal. */
export async function readCommandToCheck(words: readonly (string | number)[]): Promise<string> {
  const fromWords = words.map(String).join(' ');
  if (fromWords.trim() !== '') return fromWords;
  // isatty(0) rather than process.stdin.isTTY: creating the stdin stream costs start-up time hooks notice.
  if (isatty(0)) {
    throw new CmdaiError('USAGE', 'There is no command to check.', { hint: 'Quote it, or pipe it in: cmdai check "rm -rf build", echo "rm -rf build" | cmdai check' });
  }
  const bytes = readStdinSync(MAX_STDIN_BYTES + 1) ?? (await readAll(process.stdin, MAX_STDIN_BYTES + 1));
  if (bytes.length > MAX_STDIN_BYTES) {
    throw new CmdaiError('USAGE', 'The command on stdin is over 1 MB; only part of it could be checked, so none of it is.', { hint: 'Check a shorter command, or one part at a time.' });
  }
  return decodeStdinRequest(bytes, 'command');
}

/** Reads fd 0 to its end (at most `limit` bytes) without a stream; undefined when stdin is non-blocking. */
function readStdinSync(limit: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const chunk = Buffer.alloc(Math.min(65536, limit - size));
      const read = readSync(0, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      size += read;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && size === 0) return undefined;
    if ((err as NodeJS.ErrnoException).code !== 'EOF') throw err;
  }
  return Buffer.concat(chunks);
}

/** Text only: NUL bytes and invalid UTF-8 mean something other than a request was piped in. */
export function decodeStdinRequest(bytes: Buffer, what: 'request' | 'command' = 'request'): string {
  const example = what === 'request' ? 'cmdai "..."' : 'cmdai check "..."';
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new CmdaiError('USAGE', `The ${what} on stdin is not text (it has a NUL byte at offset ${nul}).`, {
      hint: `Pipe plain text, or give the ${what} as words: ${example}`,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CmdaiError('USAGE', `The ${what} on stdin is not valid UTF-8 text.`, { hint: `Pipe plain text, or give the ${what} as words: ${example}` });
  }
  const trimmed = text.trim();
  if (trimmed === '') {
    if (what === 'command') throw new CmdaiError('USAGE', 'There is no command to check: stdin was empty.', { hint: 'Pipe the command in: echo "rm -rf build" | cmdai check' });
    throw new CmdaiError('USAGE', 'No request given: stdin was empty.', { hint: 'Say what you want done, e.g. echo "list big files" | cmdai' });
  }
  if (what === 'request' && trimmed.length > maxRequestChars()) {
    throw new CmdaiError('USAGE', `The ${what} on stdin is ${trimmed.length.toLocaleString('en-US')} characters; the limit is ${maxRequestChars().toLocaleString('en-US')}.`, {
      hint: 'Shorten the request to a sentence or two.',
    });
  }
  return trimmed;
}

function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      if (size >= limit) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
