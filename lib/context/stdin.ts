// When the request is given as words, whatever is piped on stdin is context: `git diff | cmdai "..."`.
import { readContext, type ContextLimits, type PipedContext } from './bound';

/** The piped input as bounded context; undefined on a terminal or when nothing (or only whitespace) was piped. */
export async function readPipedContext(stdin: NodeJS.ReadStream = process.stdin, limits: ContextLimits = {}): Promise<PipedContext | undefined> {
  if (stdin.isTTY) return undefined;
  return readContext(stdin, limits);
}
