// Where a command will run, for callers that run commands in this process's directory (`cmdai
// check`, generation). assessCommand itself never looks these up: it stays pure.
import * as os from 'node:os';

export function currentRunContext(): { cwd?: string; home?: string } {
  const out: { cwd?: string; home?: string } = {};
  try {
    out.cwd = process.cwd();
  } catch {
    // The directory was deleted under us: judge relative paths as unknown.
  }
  try {
    const home = os.homedir();
    if (home) out.home = home;
  } catch {
    // No home directory (some service accounts): `~` stays a home directory of unknown place.
  }
  return out;
}
