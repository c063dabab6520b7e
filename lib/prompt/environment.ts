// What the model needs to know about the machine to write a command that works here.
// Detection reads files and environment variables only (no child processes), so it stays cheap.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SHELL_NAMES, ShellName } from '../config/keys';

export type Userland = 'gnu' | 'bsd' | 'busybox' | 'windows';

export interface Environment {
  /** node's platform name: linux, darwin, win32, freebsd... */
  platform: NodeJS.Platform;
  /** Human name and version, e.g. "Ubuntu 24.04.1 LTS", "macOS 14.5", "Windows 11 (build 22631)". */
  osName: string;
  shell: ShellName;
  /** How the shell was chosen, for `cmdai doctor`. */
  shellSource: 'override' | 'parent process' | 'SHELL' | 'PowerShell session' | 'ComSpec' | 'default';
  userland: Userland;
  cwd: string;
  /** Common tools found on PATH. */
  tools: string[];
}

export interface DetectOptions {
  shell?: ShellName;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Reads a file or returns undefined; replaceable so tests can describe other machines. */
  readFile?: (file: string) => string | undefined;
  /** Parent process command name, when knowable. */
  parentProcessName?: () => string | undefined;
  /** Whether an executable exists at this path. */
  isExecutable?: (file: string) => boolean;
  osRelease?: string;
}

/** Tools worth telling the model about when present; each changes what the best command is. */
export const COMMON_TOOLS = [
  'find', 'fd', 'grep', 'rg', 'awk', 'sed', 'xargs', 'sort', 'du', 'df', 'tar', 'zip', 'unzip', 'gzip', 'zstd',
  'curl', 'wget', 'ssh', 'rsync', 'git', 'jq', 'yq', 'python3', 'node', 'perl', 'docker', 'podman', 'kubectl',
  'lsof', 'ss', 'netstat', 'ip', 'ifconfig', 'ps', 'systemctl', 'journalctl', 'launchctl', 'brew', 'apt',
  'dnf', 'yum', 'pacman', 'apk', 'ffmpeg', 'convert', 'magick', 'tree', 'bat', 'eza', 'htop', 'xclip', 'pbcopy',
];

const WINDOWS_TOOLS = ['winget', 'choco', 'scoop', 'robocopy', 'where', 'tasklist', 'netstat', 'git', 'curl', 'tar', 'python', 'node', 'docker', 'wsl'];

const POSIX_SHELLS = new Set<string>(SHELL_NAMES);

export function detectEnvironment(options: DetectOptions = {}): Environment {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const readFile = options.readFile ?? readFileOrUndefined;
  const isExecutable = options.isExecutable ?? isExecutableFile;
  const { shell, source } = detectShell(options, platform, env);
  return {
    platform,
    osName: detectOsName(platform, readFile, options.osRelease ?? os.release()),
    shell,
    shellSource: source,
    userland: detectUserland(platform, shell, readFile),
    cwd: options.cwd ?? process.cwd(),
    tools: findTools(platform === 'win32' && !isPosixShell(shell) ? WINDOWS_TOOLS : COMMON_TOOLS, platform, env, isExecutable),
  };
}

export function isPosixShell(shell: ShellName): boolean {
  return shell !== 'powershell' && shell !== 'pwsh' && shell !== 'cmd';
}

function detectShell(
  options: DetectOptions,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
): { shell: ShellName; source: Environment['shellSource'] } {
  if (options.shell) return { shell: options.shell, source: 'override' };
  if (platform === 'win32') {
    // PowerShell prepends the user's Documents\...PowerShell\Modules to PSModulePath; cmd.exe does not.
    const modulePath = env.PSModulePath ?? '';
    if (/\\Documents\\PowerShell\\Modules/i.test(modulePath)) return { shell: 'pwsh', source: 'PowerShell session' };
    if (/\\Documents\\WindowsPowerShell\\Modules/i.test(modulePath)) return { shell: 'powershell', source: 'PowerShell session' };
    const fromShellVar = shellFromName(env.SHELL);
    if (fromShellVar) return { shell: fromShellVar, source: 'SHELL' }; // Git Bash, MSYS2
    return { shell: 'cmd', source: env.ComSpec ? 'ComSpec' : 'default' };
  }
  const parent = shellFromName((options.parentProcessName ?? linuxParentProcessName)());
  const loginShell = shellFromName(env.SHELL);
  // `npx` and friends run us through `sh -c`; the user's interactive shell is then in $SHELL.
  if (parent && parent !== 'sh' && parent !== 'dash') return { shell: parent, source: 'parent process' };
  if (loginShell) return { shell: loginShell, source: 'SHELL' };
  if (parent) return { shell: parent, source: 'parent process' };
  return { shell: 'sh', source: 'default' };
}

/** Maps an executable name or path (/usr/bin/zsh, -bash, pwsh.exe) to a shell we know. */
export function shellFromName(name: string | undefined): ShellName | undefined {
  if (!name) return undefined;
  const base = path.basename(name.trim().replace(/\\/g, '/')).replace(/^-/, '').replace(/\.exe$/i, '').toLowerCase();
  if (POSIX_SHELLS.has(base)) return base as ShellName;
  if (base === 'mksh') return 'ksh';
  return undefined;
}

function linuxParentProcessName(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return readFileOrUndefined(`/proc/${process.ppid}/comm`)?.trim();
}

function detectOsName(platform: NodeJS.Platform, readFile: (file: string) => string | undefined, release: string): string {
  if (platform === 'linux') {
    const osRelease = readFile('/etc/os-release') ?? readFile('/usr/lib/os-release');
    const fields = osRelease ? parseOsRelease(osRelease) : {};
    const name = fields.PRETTY_NAME ?? [fields.NAME, fields.VERSION_ID].filter(Boolean).join(' ');
    return name ? `Linux (${name})` : 'Linux';
  }
  if (platform === 'darwin') {
    const plist = readFile('/System/Library/CoreServices/SystemVersion.plist');
    const version = plist && /<key>ProductVersion<\/key>\s*<string>([^<]+)<\/string>/.exec(plist)?.[1];
    return version ? `macOS ${version}` : 'macOS';
  }
  if (platform === 'win32') {
    const build = Number(release.split('.')[2]);
    const name = build >= 22000 ? 'Windows 11' : 'Windows 10';
    return Number.isFinite(build) ? `${name} (build ${build})` : 'Windows';
  }
  return `${platform} ${release}`;
}

export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]] = match[2].replace(/^["']|["']$/g, '');
  }
  return fields;
}

function detectUserland(platform: NodeJS.Platform, shell: ShellName, readFile: (file: string) => string | undefined): Userland {
  if (platform === 'win32') return isPosixShell(shell) ? 'gnu' : 'windows';
  if (platform === 'darwin' || platform.endsWith('bsd')) return 'bsd';
  // Alpine and other busybox systems: /bin/ls is a link to busybox.
  try {
    if (fs.readlinkSync('/bin/ls').includes('busybox')) return 'busybox';
  } catch {
    /* not a link: coreutils */
  }
  const osRelease = readFile('/etc/os-release');
  if (osRelease && /^ID=["']?alpine/m.test(osRelease)) return 'busybox';
  return 'gnu';
}

function findTools(
  candidates: string[],
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv,
  isExecutable: (file: string) => boolean,
): string[] {
  const pathVar = env.PATH ?? env.Path ?? '';
  const delimiter = platform === 'win32' ? ';' : ':';
  const dirs = pathVar.split(delimiter).filter(Boolean);
  const extensions = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  return candidates.filter((tool) =>
    dirs.some((dir) => extensions.some((ext) => isExecutable(join(dir, tool + ext.toLowerCase())) || (ext !== '' && isExecutable(join(dir, tool + ext))))),
  );
}

function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Most candidates are missing from most PATH directories: a missing file is answered without an
 * exception (a failed accessSync throws, ~30 us each, ~10 ms for one detection), and only files
 * that exist are checked for the execute bit.
 */
function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
