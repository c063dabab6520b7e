// Where a path points, after normalisation: `/usr/..` is `/`, `$HOME` and `~` are the home directory,
// `$TMPDIR` is a temporary directory. Judges decide what an operation on each class of path means.
import { isDynamic, staticPrefix } from './markers';

export type PathClass =
  | 'root' // "/", a drive root, or everything directly under it ("/*")
  | 'home' // a home directory itself, or all of its contents
  | 'system-top' // a top-level system directory (/etc, /usr, /usr/lib, C:\Windows) or all of its contents
  | 'system' // something inside a system directory
  | 'system-file-critical' // a file the system cannot boot or authenticate without (/etc/passwd, /etc/sudoers, /boot/...)
  | 'auth-file' // files that grant access: ~/.ssh/authorized_keys
  | 'device-disk' // block devices and raw memory
  | 'device-harmless' // /dev/null, /dev/tty, /dev/stdout, ...
  | 'device-network' // bash's /dev/tcp and /dev/udp
  | 'device-other'
  | 'kernel-trigger' // /proc/sysrq-trigger
  | 'kernel-param' // /proc/sys, /sys
  | 'temp' // inside /tmp, /var/tmp, $TMPDIR
  | 'dynamic' // not known before running
  | 'user'; // anything else: the user's own files

export interface ClassifiedPath {
  cls: PathClass;
  /** Normalised form used for the decision ("/etc", "~/x", "./build"). */
  normalised: string;
  /** The path names a glob over a directory's contents. */
  glob: boolean;
}

const SYSTEM_TOP = new Set([
  'bin', 'boot', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'media', 'mnt', 'opt', 'proc', 'root', 'run',
  'sbin', 'srv', 'sys', 'usr', 'var', 'snap', 'home', 'private', 'cores', 'nix', 'efi',
]);
// macOS top-level directories, matched with their capital letter so a Linux /system or /library
// (an ordinary directory there) is not taken for them.
const MAC_TOP = new Map([['System', 'system'], ['Library', 'library'], ['Applications', 'applications'], ['Users', 'users'], ['Volumes', 'volumes'], ['Network', 'network']]);
// Second-level directories whose loss is as bad as the top level's.
const SYSTEM_SECOND = new Set(['usr/bin', 'usr/sbin', 'usr/lib', 'usr/lib64', 'usr/local', 'usr/share', 'usr/include',
  'var/lib', 'var/db', 'var/log', 'var/spool', 'var/mail', 'etc/ssh', 'etc/pam.d', 'etc/sudoers.d',
  'etc/systemd', 'etc/init.d', 'system/library', 'library/preferences']);
const CRITICAL_FILES = new Set(['etc/passwd', 'etc/shadow', 'etc/group', 'etc/gshadow', 'etc/sudoers', 'etc/fstab',
  'etc/crypttab', 'etc/ld.so.preload', 'etc/ld.so.conf', 'etc/inittab', 'etc/master.passwd', 'etc/security/passwd',
  'etc/login.defs', 'etc/nsswitch.conf', 'etc/hosts', 'etc/resolv.conf', 'etc/ssh/sshd_config', 'etc/profile',
  'etc/bash.bashrc', 'etc/environment', 'etc/crontab', 'etc/rc.local', 'etc/default/grub', 'etc/selinux/config']);
/** Files that switch a protection on: editing them can turn it off for good. */
export const SECURITY_CONFIG = /^\/etc\/(selinux\/config|apparmor(\.d)?\/|audit\/|sysconfig\/selinux)/;
const CRITICAL_DIR_FILES = ['etc/sudoers.d/', 'etc/pam.d/', 'boot/', 'etc/cron.d/', 'etc/systemd/system/', 'etc/init.d/',
  'etc/security/'];
const CRITICAL_MAC_DIRS = new Set(['library/launchdaemons', 'system']);
const HARMLESS_DEVICES = new Set(['null', 'zero', 'random', 'urandom', 'tty', 'stdout', 'stderr', 'stdin', 'full', 'ptmx', 'console']);
const DISK_DEVICE = /^(sd[a-z]|hd[a-z]|vd[a-z]|xvd[a-z]|nvme\d|mmcblk\d|r?disk\d|md\d|dm-\d|loop\d|sr\d|mapper|mem$|kmem$|port$|mtd|ubi|nbd\d|zd\d|rbd\d|root$|block|bsg)/;

/** Segments of a normalised absolute path, "~" standing for the user's home ("/home/~"). */
function normaliseSegments(path: string): { absolute: boolean; segs: string[] } {
  let p = path.replace(/\\/g, '/');
  let absolute = false;
  let segs: string[] = [];
  const drive = /^([a-zA-Z]):(\/|$)/.exec(p);
  if (drive) {
    absolute = true;
    segs = [drive[1].toLowerCase() + ':'];
    p = p.slice(drive[0].length);
  } else if (p === '~' || p.startsWith('~/')) {
    absolute = true;
    segs = ['home', '~'];
    p = p.slice(1);
  } else if (/^~[A-Za-z0-9._-]+(\/|$)/.test(p)) {
    const user = /^~([^/]*)/.exec(p)![1];
    absolute = true;
    segs = user === 'root' ? ['root'] : ['home', user];
    p = p.slice(user.length + 1);
  } else if (p.startsWith('/')) {
    absolute = true;
  }
  const floor = segs.length && segs[0].endsWith(':') ? 1 : 0;
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segs.length > floor && segs[segs.length - 1] !== '..') segs.pop();
      else if (!absolute) segs.push('..');
      continue;
    }
    segs.push(seg);
  }
  return { absolute, segs };
}

function hasGlob(seg: string): boolean {
  return /[*?[]/.test(seg);
}

function joinNormalised(absolute: boolean, segs: string[]): string {
  if (segs[0] === 'home' && segs[1] === '~') return '~' + (segs.length > 2 ? '/' + segs.slice(2).join('/') : '');
  if (segs[0]?.endsWith(':')) return segs[0] + '\\' + segs.slice(1).join('\\');
  return (absolute ? '/' : segs.length ? './' : '.') + segs.join('/');
}

export function classifyPath(path: string): ClassifiedPath {
  // Windows device names: `\\.\PhysicalDrive0`, `\\.\C:`, `\\?\Volume{...}`.
  if (/^[\\/]{2}[.?][\\/](physicaldrive\d|[a-z]:$|volume\{|harddisk)/i.test(path)) return { cls: 'device-disk', normalised: path, glob: false };
  if (isDynamic(path)) {
    // `"$DIR"/*` with DIR empty or unset is `/*`: judge the worst case.
    const afterVariable = /^\uE000[^\uE001]*\uE001(\/.*)$/s.exec(path);
    if (afterVariable && !isDynamic(afterVariable[1])) {
      const worst = classifyPath(afterVariable[1]);
      if (worst.cls === 'root' || worst.cls === 'system-top') return { ...worst, normalised: path };
    }
    // `/$X`, `/home/$USER`, `/var/lib/$APP/`: the unknown part is the whole last name. Empty or
    // unset, it leaves the directory above: judge that worst case when it is /, a home or a system
    // directory.
    const lastName = /^(.*\/)\uE000[^\uE001]*\uE001\/?(\*)?$/s.exec(path);
    if (lastName && !isDynamic(lastName[1])) {
      const parent = classifyPath(lastName[1].replace(/\/+$/, '') || '/');
      if (parent.cls === 'root' || parent.cls === 'home' || parent.cls === 'system-top') return { ...parent, normalised: path };
    }
    // A static directory before the unknown part still says something: "/tmp/$X" stays in /tmp.
    const prefix = staticPrefix(path);
    const slash = prefix.lastIndexOf('/');
    if (slash > 0) {
      const parent = classifyPath(prefix.slice(0, slash));
      if (/^\/(tmp|var\/tmp|private\/tmp)$/.test(parent.normalised)) return { cls: 'temp', normalised: parent.normalised + '/…', glob: false };
      if (parent.cls === 'temp' || (parent.cls === 'user' && parent.normalised.startsWith('./'))) {
        return { cls: parent.cls, normalised: parent.normalised + '/…', glob: false };
      }
      if (parent.cls === 'system' || parent.cls === 'system-top') return { cls: 'system', normalised: parent.normalised + '/…', glob: false };
    }
    return { cls: 'dynamic', normalised: path, glob: false };
  }
  const { absolute, segs } = normaliseSegments(path);
  let glob = false;
  let work = segs;
  // A glob over a directory's contents is as wide as the directory itself; `**` is the whole tree.
  while (work.length && hasGlob(work[work.length - 1])) {
    glob = true;
    work = work.slice(0, -1);
  }
  const recursiveGlob = work.findIndex((seg) => seg === '**');
  if (recursiveGlob >= 0) {
    glob = true;
    work = work.slice(0, recursiveGlob);
  }
  const normalised = joinNormalised(absolute, segs);
  // Linux names compare in lower case; a macOS top-level name only in its usual spelling.
  const mac = work.length > 0 && MAC_TOP.has(work[0]);
  const lower = work.map((s, i) => (i === 0 && !mac && MAC_TOP.has(s[0].toUpperCase() + s.slice(1)) ? '\u0000' + s : s.toLowerCase()));
  const cls = absolute ? classifyAbsolute(lower, glob, mac) : 'user';
  return { cls, normalised, glob };
}

function classifyAbsolute(segs: string[], glob: boolean, mac: boolean): PathClass {
  if (segs.length === 0) return 'root';
  if (segs[0].endsWith(':')) return classifyWindows(segs, glob);
  const [first] = segs;
  const joined = segs.join('/');
  if (first.startsWith('\u0000')) return 'user'; // /system, /library, ... on Linux: ordinary directories
  if (mac) {
    if (first === 'users') return segs.length === 1 ? 'system-top' : segs.length === 2 ? 'home' : 'user';
    if (first === 'volumes' || first === 'network') return segs.length === 1 ? 'system-top' : 'user';
    if (segs.length === 1) return 'system-top';
    if ([...CRITICAL_MAC_DIRS].some((dir) => joined === dir || joined.startsWith(dir + '/'))) return 'system-file-critical';
    return segs.length === 2 ? 'system-top' : 'system';
  }
  if (first === 'home' && segs.length === 1) return 'system-top';
  if (first === 'home' && segs.length === 2) return 'home';
  if (first === 'root' && segs.length === 1) return 'home';
  if (first === 'root' && segs[1] === '.ssh' && /^authorized_keys2?$/.test(segs[2] ?? '')) return 'auth-file';
  if (first === 'home' || (first === 'root' && segs.length > 1)) {
    if (segs.length >= 4 && segs[2] === '.ssh' && /^authorized_keys2?$/.test(segs[3])) return 'auth-file';
    return 'user';
  }
  if (first === 'tmp' || (first === 'private' && segs[1] === 'tmp')) return segs.length > (first === 'tmp' ? 1 : 2) || glob ? 'temp' : 'system';
  if (first === 'var' && segs[1] === 'tmp') return segs.length > 2 || glob ? 'temp' : 'system';
  if (first === 'private' && segs[1] === 'var' && segs[2] === 'folders') return 'temp';
  if (first === 'dev') {
    if (segs.length === 1) return 'system-top';
    const dev = segs[1];
    if (dev === 'shm') return segs.length > 2 ? 'temp' : 'system';
    if (dev === 'fd' || dev === 'pts' || HARMLESS_DEVICES.has(dev)) return 'device-harmless';
    if (dev === 'tcp' || dev === 'udp') return 'device-network';
    if (DISK_DEVICE.test(dev)) return 'device-disk';
    // Other names for the same disks: /dev/disk/by-id/..., /dev/md/raid0, an LVM volume /dev/vg0/root.
    if (segs.length > 2 && /^(disk|md|zvol|vg\w*|\w+[-_]vg|lvm|ubuntu-vg|centos|rhel|fedora|cl|almalinux|rl|ol)$/.test(dev)) return 'device-disk';
    return 'device-other';
  }
  if (first === 'proc') {
    if (segs[1] === 'sysrq-trigger') return 'kernel-trigger';
    if (segs[1] === 'sys') return 'kernel-param';
    return segs.length === 1 ? 'system-top' : 'system';
  }
  if (first === 'sys') return segs.length === 1 ? 'system-top' : 'kernel-param';
  if (!SYSTEM_TOP.has(first)) return 'user';
  if (segs.length === 1) return 'system-top';
  // Mounted disks, add-on software and served sites hold data people work on, not the system itself.
  if ((first === 'mnt' || first === 'media' || first === 'opt' || first === 'srv') && segs.length > 1) return 'user';
  if (first === 'var' && segs[1] === 'www' && segs.length > 2) return 'user';
  if (CRITICAL_FILES.has(joined) || CRITICAL_DIR_FILES.some((dir) => (joined + '/').startsWith(dir))) return 'system-file-critical';
  if (segs.length === 2 && SYSTEM_SECOND.has(joined)) return 'system-top';
  return 'system';
}

function classifyWindows(segs: string[], glob: boolean): PathClass {
  if (segs.length === 1) return 'root';
  const second = segs[1];
  if (second === 'users') {
    if (segs.length === 2) return 'system-top';
    if (segs.length === 3) return 'home';
    if (segs[3] === 'appdata' && segs[4] === 'local' && segs[5] === 'temp') return segs.length > 6 || glob ? 'temp' : 'system';
    return 'user';
  }
  if (second === 'windows' && segs[2] === 'temp') return segs.length > 3 || glob ? 'temp' : 'system';
  if (['windows', 'program files', 'program files (x86)', 'programdata', 'boot', 'recovery', 'system volume information'].includes(second)) {
    if (segs.length === 2) return 'system-top';
    if (second === 'windows' && segs.length === 3 && ['system32', 'syswow64', 'winsxs', 'boot'].includes(segs[2])) return 'system-top';
    if (second === 'windows' && segs[2] === 'system32' && segs[3] === 'config') return 'system-file-critical';
    // Anything Windows itself runs from: the kernel, drivers, system libraries, the boot files. Logs,
    // print queues and event logs there are not part of it.
    if (second === 'windows' && ['system32', 'syswow64', 'winsxs', 'boot'].includes(segs[2]) && !['logfiles', 'spool', 'winevt', 'tasks'].includes(segs[3])) return 'system-file-critical';
    return 'system';
  }
  return 'user';
}

export function describePathClass(cls: PathClass): string {
  switch (cls) {
    case 'root': return 'the root of the filesystem';
    case 'home': return 'a home directory';
    case 'system-top': return 'a system directory';
    case 'system': return 'a path inside a system directory';
    case 'system-file-critical': return 'a critical system file';
    case 'auth-file': return 'a file that grants login access';
    case 'device-disk': return 'a disk or memory device';
    case 'device-network': return 'a network socket';
    case 'device-other': return 'a device file';
    case 'device-harmless': return 'a harmless device';
    case 'kernel-trigger': return 'the kernel SysRq trigger';
    case 'kernel-param': return 'a kernel parameter';
    case 'temp': return 'a temporary directory';
    case 'dynamic': return 'a path only known at run time';
    case 'user': return 'your files';
  }
}

export interface ResolveContext {
  /** The working directory (absolute, or as far as it is known); undefined: the caller's, unknown. */
  cwd?: string;
  /** The user's home directory; undefined: unknown (`~` stays `~`). */
  home?: string;
  /** Write the home directory as `~` (for classification) instead of its real path. */
  tilde?: boolean;
}

/** A path as the command will see it: relative paths joined to the working directory, `..`
 *  folded, `~` and the home directory's real path made one. Unknown parts stay markers. */
export function resolvePath(path: string, ctx: ResolveContext): string {
  const windows = /^[a-zA-Z]:/.test(path) || (ctx.cwd !== undefined && /^[a-zA-Z]:/.test(ctx.cwd)) || (ctx.home !== undefined && /^[a-zA-Z]:/.test(ctx.home));
  const sep = windows ? '\\' : '/';
  if (path === '') return path;
  if (/^[\\/]{2}[.?][\\/]/.test(path)) return path; // a Windows device (`\\.\PhysicalDrive0`) is not relative to anything
  // Without a known home, `~` stands for a home directory under /home (as classifyPath reads it).
  const home = (ctx.home ?? '/home/~').replace(/[\\/]+$/, '') || '/';
  let p = path;
  if (p === '~' || p.startsWith('~/') || (windows && p.startsWith('~\\'))) p = home + p.slice(1);
  const absolute = p.startsWith('/') || /^[a-zA-Z]:([\\/]|$)/.test(p) || (windows && p.startsWith('\\'));
  // `$DIR/x` may be absolute or relative: leave it to classifyPath, which judges the worst case.
  if (p.startsWith('\uE000')) return p;
  if (!absolute) {
    if (p.startsWith('~') || ctx.cwd === undefined) return p; // ~user, or relative to an unknown directory
    const cwd = ctx.cwd === '~' || ctx.cwd.startsWith('~/') ? home + ctx.cwd.slice(1) : ctx.cwd;
    p = cwd.replace(/[\\/]+$/, '') + sep + p;
  } else if (windows && p.startsWith('\\') && ctx.cwd && /^[a-zA-Z]:/.test(ctx.cwd)) {
    p = ctx.cwd.slice(0, 2) + p; // `\x` is on the current drive
  }
  if (isDynamic(p)) return p;
  // Fold `.` and `..` (never above the root); unknown parts after a known directory are kept.
  const drive = /^([a-zA-Z]:)/.exec(p)?.[1];
  const body = drive ? p.slice(2) : p;
  const segs: string[] = [];
  for (const seg of body.split(/[\\/]+/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && !isDynamic(segs[segs.length - 1] ?? '')) {
      segs.pop();
      continue;
    }
    segs.push(seg);
  }
  let out = (drive ? drive + '\\' : '/') + segs.join(sep);
  const underHome = (a: string): boolean => {
    const same = windows ? a.toLowerCase() === home.toLowerCase() : a === home;
    return same || (a.length > home.length && (windows ? a.slice(0, home.length).toLowerCase() === home.toLowerCase() : a.startsWith(home)) && /[\\/]/.test(a[home.length]));
  };
  if (ctx.tilde && !windows && home !== '/' && underHome(out)) out = '~' + out.slice(home.length);
  else if (!ctx.tilde && ctx.home === undefined && out.startsWith('/home/~')) out = '~' + out.slice('/home/~'.length);
  return out;
}
