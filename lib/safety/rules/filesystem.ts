// Deleting, overwriting, wiping and re-permissioning files, judged by what the targets are.
import type { SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import type { RiskLevel } from '../types';
import type { EffectFacts, EffectOp } from '../effects';
import { levelOf } from '../effects';
import { ClassifiedPath, describePathClass, SECURITY_CONFIG } from '../paths';
import { displayText, isDynamic } from '../markers';
import { commandOutput } from './data-flow';
import { firstPositional, longOptions, optionValue, positionals, shortFlags } from '../options';

function show(word: Word): string {
  const text = displayText(word.value);
  return text.length > 60 ? text.slice(0, 57) + '...' : text;
}

export function judgeRm(cmd: SimpleCommand, analysis: Analysis): void {
  const flags = shortFlags(cmd.args);
  const long = longOptions(cmd.args);
  if (long.has('--help') || long.has('--version')) return;
  const recursive = flags.has('r') || flags.has('R') || long.has('--recursive');
  const force = flags.has('f') || long.has('--force');
  const targets = positionals(cmd.args, {});
  if (long.has('--no-preserve-root')) {
    analysis.report('fs.rm-no-preserve-root', 'critical', 'Turns off rm\'s protection against deleting the root directory.', cmd.span);
  }
  if (targets.length === 0 && recursive && force) {
    // Does nothing as written, but it is one word away from a mass deletion: the target was most
    // likely lost (an empty variable, a glob that matched nothing, a truncated command).
    analysis.report('fs.rm-recursive-force-no-target', 'high', 'rm -rf with no file names: the intended target is missing, so check what this was meant to delete before running it.', cmd.span);
  }
  for (const target of targets) {
    const where = analysis.classify(target.value);
    judgeDeletion(analysis, target, where, recursive, force);
  }
}

/** Build output, dependency folders and caches: deleting them costs a rebuild, not data. */
const REGENERABLE = /^(node_modules|bower_components|dist|build|out|target|\.cache|cache|__pycache__|\.pytest_cache|\.mypy_cache|\.ruff_cache|\.tox|\.nox|coverage|\.nyc_output|\.next|\.nuxt|\.svelte-kit|\.turbo|\.parcel-cache|\.gradle|\.angular|\.expo|\.eslintcache|\.venv|venv|\.terraform|cmake-build-[\w-]+|_build|\.build|deriveddata|tmp|temp|\.tmp|logs?|.*\.(pyc|pyo|o|obj|class|log|tmp|bak|swp))$/i;

export function isRegenerable(where: ClassifiedPath): boolean {
  if (where.cls !== 'user' || where.normalised === '.' || where.normalised === './') return false;
  const segs = where.normalised.replace(/\\/g, '/').split('/').filter((x) => x && x !== '.');
  // `build/*` is the build folder's contents; `*.pyc` a pattern over regenerable files.
  const last = segs[segs.length - 1] ?? '';
  const name = where.glob && /[*?[]/.test(last) && !/^\*\.\w+$/.test(last) ? segs[segs.length - 2] ?? '' : last.replace(/^\*/, 'x');
  return REGENERABLE.test(name);
}

/**
 * Files that hold secrets by convention and are kept out of version control, so nothing can bring
 * them back: dotenv files (not their committed templates), service-account and OAuth client keys,
 * htpasswd, vault tokens.
 */
const SECRETS_FILE = /^(\.env(\.(?!example$|sample$|template$|dist$|defaults$)[\w-]+)?|credentials\.json|client_secret[\w.-]*\.json|service[-_]account[\w.-]*\.json|\.htpasswd|\.vault-token)$/;

/** Files whose loss cannot be undone by rebuilding: keys and credentials, shell history, backups. */
export function sensitiveFile(resolved: string): 'history' | 'credentials' | 'backup' | undefined {
  const p = resolved.replace(/\\/g, '/').toLowerCase().replace(/^.*?(?=cert:\/)/, '');
  const base = p.split('/').pop() ?? '';
  if (/(^|\/)\.?(bash|zsh|sh|ksh|python|node_repl|mysql|psql|sqlite|lesshst|rediscli|irb)_?history$|\/fish_history$|\/consolehost_history\.txt$|(^|\/)\.histfile$|(^|\/)\.zhistory$/.test(p)) return 'history';
  if (/\/\.ssh\/(id_[^/]*|[^/]*\.pem|authorized_keys2?|known_hosts)$|\/\.gnupg(\/|$)|\/\.aws\/credentials$|\/\.kube\/config$|\/\.docker\/config\.json$|\/\.netrc$|\/\.pgpass$|\/\.git-credentials$|\/\.npmrc$|\/\.pypirc$|\/\.config\/gcloud(\/|$)|\/\.password-store(\/|$)|\.(kdbx|keychain|keychain-db|p12|pfx|jks)$|^cert:\/|\/wallet\.dat$/.test(p) || /^(id_(rsa|dsa|ecdsa|ed25519)(\.pub)?|.*\.(pem|key))$/.test(base) || SECRETS_FILE.test(base)) return 'credentials';
  if (/(^|\/)(backups?|snapshots?)(\/|$)|\.(bak|backup|dump)$/.test(p)) return 'backup';
  return undefined;
}

/** System paths whose contents are logs or caches: their loss is bounded. */
function logOrCache(resolved: string): boolean {
  return /^\/var\/(log|cache|tmp|crash|backups)(\/|$)|^\/var\/lib\/(apt\/lists|dpkg\/info\/[^/]*\.list)/.test(resolved.replace(/\\/g, '/'));
}

export function judgeDeletion(analysis: Analysis, target: Word, where: ClassifiedPath, recursive: boolean, force: boolean): void {
  const what = `"${show(target)}" (${describePathClass(where.cls)})`;
  const resolved = analysis.resolve(target.value);
  const sensitive = sensitiveFile(resolved);
  const facts: EffectFacts = {
    kind: sensitive === 'history' ? 'history' : 'delete',
    op: 'delete',
    target: { type: where.cls.startsWith('device') ? 'device' : 'path', value: resolved, pathClass: where.cls, ...(where.glob ? { glob: true } : {}) },
    scope: recursive ? 'recursive' : where.glob || target.glob ? 'several' : 'one',
    force,
    regenerable: isRegenerable(where),
    severity: sensitive ? 'normal' : where.cls === 'system' && logOrCache(resolved) ? 'low' : undefined,
  };
  if (sensitive) {
    analysis.effect(facts, sensitive === 'history' ? `Deletes ${what}, your shell or program history; it cannot be recovered.` : sensitive === 'credentials' ? `Deletes ${what}, keys or credentials; whatever they unlock is locked out and they cannot be recovered.` : `Deletes ${what}, a backup; the data it protects is then unprotected.`, target.span, `fs.rm-${sensitive}`);
    return;
  }
  const level = levelOf({ ...facts, elevated: analysis.elevated });
  let rule: string;
  let message: string;
  if (recursive) {
    if (level === 'critical') {
      rule = 'fs.rm-recursive-critical';
      message = `Recursively deletes ${what}; this destroys the system or all of a user's files and cannot be undone.`;
    } else if (where.cls === 'system' || where.cls === 'kernel-param' || where.cls === 'auth-file' || where.cls === 'device-other') {
      rule = 'fs.rm-recursive-system';
      message = `Recursively deletes ${what}.`;
    } else if (where.cls === 'temp') {
      rule = 'fs.rm-recursive-temp';
      message = `Recursively deletes ${what}.`;
    } else if (where.cls === 'dynamic') {
      rule = 'fs.rm-recursive-dynamic';
      message = `Recursively deletes ${what}; if it expands to an empty or unexpected value this deletes far more than intended.`;
    } else if (facts.regenerable && level === 'moderate') {
      rule = 'fs.rm-regenerable';
      message = `Recursively deletes ${what}: build output, dependencies or caches that can be regenerated.`;
    } else if (level === 'high') {
      rule = 'fs.rm-recursive-force';
      message = `Recursively deletes ${what} without asking; deleted files cannot be recovered.`;
    } else {
      rule = 'fs.rm-recursive';
      message = `Recursively deletes ${what}.`;
    }
  } else if (level === 'critical') {
    rule = 'fs.rm-critical-file';
    message = `Deletes ${what}; the system may not boot or let anyone log in afterwards.`;
  } else if (level === 'high' && (where.cls === 'user' || where.cls === 'dynamic')) {
    rule = 'fs.rm-many';
    message = `Deletes every file ${what} matches, without asking; deleted files cannot be recovered.`;
  } else if (level === 'high') {
    rule = 'fs.rm-system';
    message = `Deletes ${what}.`;
  } else {
    rule = 'fs.rm';
    message = `Deletes ${what}; deleted files cannot be recovered.`;
  }
  analysis.effect(facts, message, target.span, rule);
}

export function judgeRmdir(cmd: SimpleCommand, analysis: Analysis): void {
  for (const target of positionals(cmd.args, {})) {
    const where = analysis.classify(target.value);
    if (where.cls === 'root' || where.cls === 'system-top' || where.cls === 'home') {
      analysis.report('fs.rmdir-system', 'high', `Removes the directory "${show(target)}" (${describePathClass(where.cls)}).`, target.span);
    } else {
      analysis.effect({ kind: 'delete', op: 'delete', target: { type: 'path', value: analysis.resolve(target.value), pathClass: where.cls }, scope: where.glob || target.glob ? 'several' : 'one' }, `Removes the empty directory "${show(target)}".`, target.span, 'fs.rmdir');
    }
  }
}

export function judgeShred(cmd: SimpleCommand, analysis: Analysis): void {
  for (const target of positionals(cmd.args, { short: 'nsx', long: ['--iterations', '--size', '--random-source'] })) {
    const where = analysis.classify(target.value);
    if (where.cls === 'device-disk' || where.cls === 'root' || where.cls === 'system-top' || where.cls === 'system-file-critical' || where.cls === 'home') {
      analysis.report('disk.shred-device', 'critical', `Overwrites "${show(target)}" (${describePathClass(where.cls)}) with random data; nothing on it can be recovered.`, target.span);
    } else if (target.value !== '-') {
      analysis.report('fs.shred', 'high', `Overwrites "${show(target)}" so it can never be recovered.`, target.span);
    }
  }
}

export function judgeFormat(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.args.some((w) => /^--?(help|version|V)$/.test(w.value))) return;
  const target = positionals(cmd.args, { short: 'tLbcCEgGiIjJlmMNoOrsSTUzFnpf', long: ['--type', '--label'] })[0];
  analysis.report('disk.format', 'critical', `Creates a new filesystem${target ? ` on "${show(target)}"` : ''}, erasing everything on it.`, target?.span ?? cmd.span);
}

export function judgeWipe(cmd: SimpleCommand, analysis: Analysis): void {
  const flags = shortFlags(cmd.args);
  const long = longOptions(cmd.args);
  if (cmd.name === 'wipefs' && !flags.has('a') && !long.has('--all') && !optionValue(cmd.args, 'o', ['--offset'])) return; // lists signatures only
  if (long.has('--help') || long.has('--version')) return;
  analysis.report('disk.wipe', 'critical', `${cmd.name} erases disk signatures or data; the disk's contents become unreachable.`, cmd.span);
}

export function judgeDd(cmd: SimpleCommand, analysis: Analysis): void {
  for (const arg of cmd.args) {
    const m = /^of=(.*)$/s.exec(arg.value);
    if (!m) continue;
    const where = analysis.classify(m[1]);
    judgeWriteTarget(analysis, where, m[1], arg, 'dd writes raw data over', 'overwrite');
    // Filling a file from /dev/zero or /dev/urandom wipes it (copying an image is just a copy).
    const wiping = cmd.args.some((w) => /^if=\/dev\/(zero|u?random)$/.test(w.value));
    if (wiping && (where.cls === 'user' || where.cls === 'dynamic')) {
      analysis.report('fs.dd-overwrite', 'high', `dd overwrites "${displayText(m[1])}" with zeros or random data; its contents are destroyed.`, arg.span);
    }
  }
}

const PARTITION_WRITE_VERBS = /^(mklabel|mkpart|mkpartfs|rm|resizepart|rescue|name|set|toggle|resize|move|unit)$/i;

export function judgePartitioner(cmd: SimpleCommand, analysis: Analysis): void {
  const flags = shortFlags(cmd.args);
  if (flags.has('l') || cmd.args.some((w) => w.value === '--list' || w.value === 'print' || w.value === '--help' || w.value === '--version')) return;
  if (cmd.name === 'parted' && !cmd.args.some((w) => PARTITION_WRITE_VERBS.test(w.value))) {
    analysis.report('disk.partition', 'high', 'Opens a disk partition editor; a wrong step loses the partitions on the disk.', cmd.span);
    return;
  }
  // An interactive editor fed its answers (`printf 'o\nw\n' | fdisk /dev/sda`, a here-string or a
  // script file) rewrites the table unattended, like sfdisk: nothing is left to stop it.
  const stdin = cmd.stdin;
  const scripted = stdin !== undefined && (stdin.kind !== 'text' || /(^|\n)\s*(w|write|y|yes)\s*(\n|$)|label:|^\s*[,;]|mklabel|(^|\n)\s*o\s*(\n|$)/i.test(stdin.text));
  const redirected = cmd.redirects.some((r) => r.op === '<' || r.op === '<<<' || r.op === '<<' || r.op === '<<-');
  const level: RiskLevel = cmd.name === 'parted' || cmd.name === 'sgdisk' || cmd.name === 'sfdisk' || cmd.name === 'blkdiscard' || cmd.name === 'cryptsetup' || cmd.name === 'mdadm' || scripted || redirected ? 'critical' : 'high';
  analysis.report('disk.partition', level, scripted || redirected ? `${cmd.name} is fed its answers, so it rewrites the disk's partition table without stopping; the data on the disk is lost.` : `${cmd.name} changes a disk's partition table or contents; data on the disk can be lost.`, cmd.span);
}

export function judgeChmodChown(cmd: SimpleCommand, analysis: Analysis): void {
  const flags = shortFlags(cmd.args);
  const long = longOptions(cmd.args);
  if (long.has('--help') || long.has('--version')) return;
  const recursive = flags.has('R') || long.has('--recursive') || (cmd.name !== 'chmod' && cmd.name !== 'chattr' && flags.has('r'));
  // setfacl takes its ACL as an option value (-m spec); the others take the mode/owner first.
  const acl = cmd.name === 'setfacl' ? optionValue(cmd.args, 'm', ['--modify']) ?? optionValue(cmd.args, 'x', ['--remove']) ?? optionValue(cmd.args, 's', ['--set']) : undefined;
  const words = positionals(cmd.args, cmd.name === 'setfacl' ? { short: 'mMxXs', long: ['--modify', '--modify-file', '--remove', '--remove-file', '--set', '--set-file'] } : { long: ['--reference', '--from'] });
  const [spec, ...targets] = acl
    ? [acl, ...words]
    : cmd.name === 'chmod' && cmd.args.some((w) => /^-[rwxXst]+$/.test(w.value))
      ? [cmd.args.find((w) => /^-[rwxXst]+$/.test(w.value))!, ...words]
      : words;
  if (!spec) return;
  const mode = spec.value;
  const worldWritable = cmd.name === 'chmod' && (/^0?[0-7]?[0-7][0-7][2367]$/.test(mode) || /(^|,)(a|o|ugo)?\+[rwxX]*w/.test(mode));
  // The set-user-ID bit (u+s, 4xxx) makes a program run as its owner; g+s on directories only sets group inheritance.
  const setuid = cmd.name === 'chmod' && (/^[4-7][0-7]{3}$/.test(mode) && mode[0] !== '2' || /(^|,)(u|a|ug|ugo)?\+[rwxX]*s/.test(mode) && !/(^|,)g\+/.test(mode));
  const verb = cmd.name === 'chmod' ? 'permissions' : 'ownership';
  // Write access for group or others (o+w, a+w, 666, 777, 0646...).
  // (setfacl: an entry for another user or group with write access, `u:kim:rw`, `o::rwx`.)
  const othersWrite = (cmd.name === 'setfacl' && /(^|,)(u|user|g|group|o|other|m|mask):[^:,]*:[rwxX-]*w/.test(mode)) || cmd.name === 'chmod' && (/^0?[0-7]?[0-7][2367][2367]$/.test(mode) || /^0?[0-7]?[0-7][0-7][2367]$/.test(mode) || /(^|,)(a|o|ugo|go|g)?\+[rwxX]*w/.test(mode) || /(^|,)(a|o|go)=[rwxX]*w/.test(mode));
  for (const target of targets) {
    const where = analysis.classify(target.value);
    const resolved = analysis.resolve(target.value);
    const facts: EffectFacts = {
      kind: 'permission',
      op: cmd.name === 'chmod' || cmd.name === 'setfacl' || cmd.name === 'chattr' ? 'chmod' : 'chown',
      target: { type: 'path', value: resolved, pathClass: where.cls },
      scope: recursive ? 'recursive' : where.glob ? 'several' : 'one',
    };
    const systemWide = where.cls === 'root' || where.cls === 'system-top' || where.cls === 'system-file-critical' || where.cls === 'device-disk';
    if (setuid && (isShellOrInterpreter(resolved) || analysis.copiedProgram(resolved) !== undefined)) {
      analysis.effect({ ...facts, kind: 'privilege', severity: 'severe' }, `Makes the shell or interpreter "${show(target)}" set-user-ID: anyone who runs it becomes its owner (root); a back door to root.`, spec.span, 'priv.setuid-shell');
      continue;
    }
    if (othersWrite && isCredentialFile(resolved)) {
      analysis.effect({ ...facts, severity: 'severe' }, `Makes "${show(target)}" writable by other users: anyone can give themselves root by editing the accounts or passwords in it.`, target.span, 'perm.credentials-world-writable');
      continue;
    }
    if (recursive && systemWide) {
      analysis.effect(facts, `Recursively changes ${verb} of "${show(target)}" (${describePathClass(where.cls)}); the system or its security checks (sudo, ssh) can stop working and this is hard to undo.`, target.span, 'perm.recursive-system');
    } else if (recursive && where.cls === 'home') {
      analysis.report('perm.recursive-home', 'high', `Recursively changes ${verb} of a whole home directory ("${show(target)}"); ssh and other programs refuse keys with the wrong ${verb}.`, target.span, { ...facts, scope: 'recursive', elevated: analysis.elevated });
    } else if (systemWide || where.cls === 'system' || where.cls === 'auth-file') {
      analysis.effect(facts, `Changes ${verb} of "${show(target)}" (${describePathClass(where.cls)}).`, target.span, 'perm.system');
    } else if (recursive && worldWritable) {
      analysis.effect({ ...facts, severity: 'normal' }, `Makes everything under "${show(target)}" writable by every user.`, target.span, 'perm.recursive-world-writable');
    } else if (recursive && where.cls === 'dynamic') {
      analysis.effect(facts, `Recursively changes ${verb} of "${show(target)}", which is only known when the command runs.`, target.span, 'perm.recursive-dynamic');
    } else {
      analysis.effect(facts, `Changes ${verb} of "${show(target)}".`, target.span, `perm.${facts.op}`);
    }
    if (setuid) {
      analysis.report('priv.setuid', 'high', `Sets the set-user-ID/group-ID bit on "${show(target)}": it will run with its owner's privileges (often root).`, spec.span);
    }
  }
}

/** Shells and interpreters: set-user-ID on one of these is a root shell for everyone. */
function isShellOrInterpreter(path: string): boolean {
  const base = path.split(/[\\/]/).pop()!.toLowerCase();
  return /^(sh|bash|dash|zsh|ksh|mksh|ash|fish|csh|tcsh|busybox|python[\d.]*|perl[\d.]*|ruby[\d.]*|node|php[\d.]*|lua[\d.]*|env|find|vim?|less|more|awk|gawk|cp|tee|dd|nmap|socat)$/.test(base);
}

/** Files whose every line grants or denies access to the machine, or decides what mounts at boot. */
function isAccessTable(path: string): boolean {
  return isCredentialFile(path) || /^\/etc\/(fstab|crypttab|ld\.so\.preload|pam\.d\/.+|security\/.+)$|^\/boot\//.test(path);
}

/** Files that hold accounts and passwords: writable by others means root for anyone. */
function isCredentialFile(path: string): boolean {
  return /^\/etc\/(passwd|shadow|group|gshadow|sudoers|master\.passwd)$|^\/etc\/sudoers\.d\//.test(path.replace(/^~/, '/home/~'));
}

/** Writes onto a path by a command or redirection, judged through the effects table. */
export function judgeWriteTarget(analysis: Analysis, where: ClassifiedPath, raw: string, at: Word, doing: string, mode: 'overwrite' | 'append' | 'replace', op?: EffectOp, scope: 'one' | 'several' | 'recursive' = 'one', content?: WrittenContent): void {
  const name = `"${displayText(raw)}" (${describePathClass(where.cls)})`;
  if (persistenceLocation(where.normalised)) {
    judgePersistence(analysis, where, raw, at, mode, content);
    return;
  }
  const resolved = analysis.resolve(raw);
  const sensitive = mode !== 'append' ? sensitiveFile(resolved) : undefined;
  if (sensitive && sensitive !== 'backup' && where.cls !== 'device-harmless') {
    analysis.effect({ kind: sensitive === 'history' ? 'history' : 'write', op: op ?? 'overwrite', target: { type: 'path', value: resolved, pathClass: where.cls }, severity: 'normal' }, sensitive === 'history' ? `${doing} "${displayText(raw)}", wiping your shell or program history.` : `${doing} "${displayText(raw)}" (${sensitive === 'credentials' ? 'keys or credentials' : 'a backup'}); the old contents are lost.`, at.span, `fs.write-${sensitive}`);
    return;
  }
  // Into a directory (`dest/`, or /tmp itself): a new entry inside it, not the directory replaced.
  if (/[\\/]$/.test(raw) || /^\/(tmp|var\/tmp|private\/tmp)$/.test(where.normalised)) {
    const inside = analysis.classify(raw.replace(/[\\/]*$/, '/') + 'x');
    if (inside.cls === 'temp') where = inside;
  }
  const facts: EffectFacts = {
    kind: 'write',
    op: op ?? (mode === 'append' ? 'append' : 'overwrite'),
    target: { type: where.cls.startsWith('device') ? 'device' : 'path', value: resolved, pathClass: where.cls },
    scope: scope === 'one' && where.glob ? 'several' : scope,
    // Any change to the account, sudo or mount tables can lock everyone out or hand out root; a
    // security configuration (SELinux, AppArmor, audit) edited can turn the protection off.
    // A key added for root is a root login for whoever holds it.
    severity: isAccessTable(resolved) || SECURITY_CONFIG.test(resolved) || /^\/root\/\.ssh\/authorized_keys2?$/.test(resolved) ? 'severe' : undefined,
  };
  // /dev/null and the terminal are not files.
  if (where.cls === 'device-harmless') {
    analysis.effect({ ...facts, kind: 'read' }, '', at.span);
    return;
  }
  let rule: string | undefined;
  let message = `${doing} ${name}.`;
  switch (where.cls) {
    case 'device-disk':
      rule = 'disk.overwrite-device';
      message = `${doing} ${name}, destroying the data on it.`;
      break;
    case 'kernel-trigger':
      rule = 'sys.sysrq';
      message = `${doing} ${name}: this can crash, reboot or power off the machine at once.`;
      break;
    case 'system-file-critical':
      rule = 'fs.write-critical-file';
      message = `${doing} ${name}; a mistake here can lock everyone out or stop the system from booting.`;
      break;
    case 'root':
    case 'system-top':
    case 'system':
      rule = 'fs.write-system';
      break;
    case 'kernel-param':
      rule = 'sys.kernel-param';
      message = `${doing} ${name}, changing how the running kernel behaves.`;
      break;
    case 'auth-file':
      rule = 'priv.authorized-keys';
      message = `${doing} ${name}: whoever holds the matching key can log in.`;
      break;
    case 'device-other':
      rule = 'fs.write-device';
      break;
    default:
      rule = `fs.write-${facts.op}`;
  }
  analysis.effect(facts, message, at.span, rule);
}

/** What is written, when it can be known: text, or something downloaded. */
export type WrittenContent = { text: string } | { network: true } | undefined;

/** Files and folders whose contents run by themselves later: at login, at boot, on a schedule. */
const PERSIST_USER = /^~\/(\.bashrc|\.bash_profile|\.bash_login|\.bash_logout|\.profile|\.zshrc|\.zprofile|\.zshenv|\.zlogin|\.kshrc|\.cshrc|\.tcshrc|\.xprofile|\.xinitrc|\.xsession|\.config\/fish\/(config\.fish|conf\.d\/.+)|\.config\/autostart\/.+|\.config\/systemd\/user\/.+|library\/launchagents\/.+|\.ssh\/rc|\.config\/powershell\/.+profile\.ps1|documents\/(windows)?powershell\/.+profile\.ps1|appdata\/roaming\/microsoft\/windows\/start menu\/programs\/startup\/.+)$/i;
const PERSIST_SYSTEM = /^\/(etc\/(profile|profile\.d\/.+|bash\.bashrc|bashrc|zsh\/.+|zshrc|zprofile|environment|crontab|cron\.(d|daily|hourly|weekly|monthly)\/.+|anacrontab|rc\.local|init\.d\/.+|systemd\/system\/.+|xdg\/autostart\/.+|update-motd\.d\/.+|ld\.so\.preload)|var\/spool\/cron\/.+|(usr\/)?lib\/systemd\/system\/.+|library\/(launchdaemons|launchagents)\/.+)$/i;

export function persistenceLocation(normalised: string): 'user' | 'system' | undefined {
  const p = normalised.replace(/\\/g, '/').replace(/^[a-z]:\/users\/[^/]+/i, '~');
  if (PERSIST_USER.test(p)) return 'user';
  if (PERSIST_SYSTEM.test(p)) return 'system';
  return undefined;
}

/** Code that fetches and runs remote code, or opens a shell to the network. */
const REMOTE_CODE = /(source|\.|bash|sh|zsh|eval)\s+["']?(<\(|\$\()\s*(curl|wget|fetch)\b|\b(curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring)\b[^\n]*(\|\s*(sudo\s+)?(\S*\/)?(ba|z|da|k|fi|c)?sh\b|\|\s*(sudo\s+)?(python|perl|ruby|node|php|iex|invoke-expression|source)\b|;\s*(ba)?sh\s|&&\s*(ba)?sh\s|-o\s*\S+\s*(;|&&)\s*(ba)?sh|\)\s*\|\s*iex)|\/dev\/(tcp|udp)\/|\b(nc|ncat|netcat)\b[^\n]*\s-[ec]\s|\bsocat\b[^\n]*exec|(sh|bash)\s+-c\s+["']?\$\((curl|wget)|\b(iex|invoke-expression)\b[^\n]*(iwr|irm|invoke-webrequest|invoke-restmethod|downloadstring|net\.webclient)/i;

/** The same in other forms: Windows programs that run a URL, interpreters that exec what they
 *  download, and socket code that hands a shell to the other end. */
const REMOTE_CODE_OTHER = /\bmshta(\.exe)?\s+["']?(https?:|\\\\)|\bregsvr32\b[^\n]*\/i:\s*["']?https?:|\brundll32\b[^\n]*javascript:|\bcertutil\b[^\n]*-urlcache[^\n]*(&&|;|\|)|\b(exec|eval|iex|invoke-expression|load|loadstring|dofile)\b\s*\(?[^\n]*\b(urlopen|urllib|urlretrieve|requests\.get|httpx\.get|file_get_contents\s*\(\s*["']?(https?|ftp):|URI\.open|open-uri|Net::HTTP|LWP|HTTP::Tiny|https?\.get|fetch\s*\(|downloadstring|webclient|http\.request)|\b(socket|TCPSocket|fsockopen|net\.Socket|net\.connect|IO::Socket)\b[^\n]*\b(connect|create_connection|open|new)\b[^\n]*(dup2|pty\.spawn|subprocess|popen|exec|spawn|system|\/bin\/(ba)?sh|cmd\.exe)|\/inet\/tcp\//i;

export function runsRemoteCode(text: string): boolean {
  return REMOTE_CODE.test(text) || REMOTE_CODE_OTHER.test(text);
}

/** A library preloaded into every program (root's too): whoever wrote it runs inside all of them. */
const PRELOAD = /^\/etc\/ld\.so\.preload$/;
const PRELOAD_TEXT = /\bLD_PRELOAD\s*=|\bLD_LIBRARY_PATH\s*=\s*["']?\/(tmp|dev\/shm|var\/tmp)/;

function judgePersistence(analysis: Analysis, where: ClassifiedPath, raw: string, at: Word, mode: 'overwrite' | 'append' | 'replace', content: WrittenContent): void {
  const location = persistenceLocation(where.normalised)!;
  const remote = (content !== undefined && ('network' in content || runsRemoteCode(content.text))) || PRELOAD.test(where.normalised) || (content !== undefined && 'text' in content && PRELOAD_TEXT.test(content.text));
  const facts: EffectFacts = {
    kind: 'persist',
    op: mode === 'append' ? 'append' : 'overwrite',
    target: { type: 'path', value: analysis.resolve(raw), pathClass: where.cls },
    severity: remote ? 'severe' : location === 'system' || mode !== 'append' ? 'normal' : 'low',
  };
  const what = `"${displayText(raw)}"`;
  const message = remote
    ? `Installs code that downloads and runs remote code into ${what}, which runs by itself at every login, boot or schedule: whoever controls that server keeps control of this machine.`
    : location === 'system'
      ? `Changes ${what}, which the system runs by itself (at boot, login or on a schedule).`
      : mode === 'append'
        ? `Adds to ${what}, which your shell or session runs at every start.`
        : `Replaces ${what}, which your shell or session runs at every start; its previous contents are lost.`;
  analysis.effect(facts, message, at.span, remote ? 'persist.remote-code' : 'persist.startup-file');
}

const OUTPUT_OPS = new Set(['>', '>>', '>|', '&>', '&>>', '>&', '<>', '1>', '2>']);

export function judgeRedirects(cmd: SimpleCommand, analysis: Analysis, runsShell: boolean): void {
  // An interactive shell wired to another descriptor (`sh -i <&3 >&3`, zsh's ztcp): a reverse shell.
  const toOtherFd = (r: { op: string; target: { value: string } }): boolean => /[<>]&$|^[<>]&|&/.test(r.op) && (isDynamic(r.target.value) || /^&?([3-9]|\d\d+)$/.test(r.target.value));
  // (Input and output, or several descriptors, duplicated onto one descriptor that is not a terminal.)
  const dups = cmd.redirects.filter(toOtherFd);
  const wiredBothWays = (dups.some((r) => r.op === '<&' || (r.op === '>&' && r.fd === '0')) && dups.some((r) => r.op === '&>' || (r.op === '>&' && r.fd !== '0'))) || dups.some((r, k) => dups.some((o, j) => j !== k && o.target.value === r.target.value));
  if (runsShell && (cmd.args.some((w) => /^-[a-zA-Z]*i[a-zA-Z]*$/.test(w.value)) || wiredBothWays) && cmd.redirects.some(toOtherFd)) {
    analysis.report('net.reverse-shell', 'critical', 'Wires an interactive shell to another connection\'s input and output: a reverse shell that hands control of this machine to whoever is on the other end.', cmd.span);
  }
  for (const r of cmd.redirects) {
    const target = r.target.value;
    const where = analysis.classify(target);
    if (where.cls === 'device-network') {
      if (runsShell || cmd.name === 'exec' || cmd.name === '') {
        analysis.report('net.reverse-shell', 'critical', `Connects a shell's input/output to the network ("${displayText(target)}"): a reverse shell that hands control of this machine to a remote host.`, r.span);
      } else {
        analysis.report('net.dev-tcp', 'high', `Sends data to or reads data from the network through "${displayText(target)}".`, r.span);
      }
      continue;
    }
    if (!OUTPUT_OPS.has(r.op) || /^\d+$/.test(target) || target === '-') continue;
    judgeWriteTarget(analysis, where, target, r.target, r.op.includes('>>') ? 'Appends to' : 'Overwrites', r.op.includes('>>') ? 'append' : 'overwrite', undefined, 'one', writtenContent(cmd));
  }
}

/** What a command writes to its output, as far as it is known. */
export function writtenContent(cmd: SimpleCommand): WrittenContent {
  const source = commandOutput(cmd);
  if (source.kind === 'network') return { network: true };
  if (source.kind === 'text') return { text: source.text };
  if (cmd.stdin?.kind === 'text' && (cmd.name === 'cat' || cmd.name === 'tee')) return { text: cmd.stdin.text };
  if (cmd.stdin?.kind === 'network') return { network: true };
  // Arguments of echo/printf that hold substitutions: the static text still shows intent.
  if (cmd.name === 'echo' || cmd.name === 'print' || cmd.name === 'printf') return { text: cmd.args.map((w) => w.value).join(' ') };
  return undefined;
}

/** cp, mv, install, tee, truncate, ln, sed -i...: the last (or named) path argument is written. */
export function judgeFileWriters(cmd: SimpleCommand, analysis: Analysis): void {
  const name = cmd.name;
  const long = longOptions(cmd.args);
  if (long.has('--help') || long.has('--version')) return;
  if (name === 'tee') {
    const append = cmd.args.some((w) => w.value === '-a' || w.value === '--append');
    const content: WrittenContent = cmd.stdin?.kind === 'text' ? { text: cmd.stdin.text } : cmd.stdin?.kind === 'network' ? { network: true } : undefined;
    for (const t of positionals(cmd.args, {})) judgeWriteTarget(analysis, analysis.classify(t.value), t.value, t, append ? 'Appends to' : 'Overwrites', append ? 'append' : 'overwrite', undefined, 'one', content);
    return;
  }
  if (name === 'truncate') {
    // `TRUNCATE TABLE users` typed into the shell is SQL, not coreutils truncate (which needs -s or -r).
    if (!cmd.args.some((w) => /^(-[sr]|--size|--reference)/.test(w.value))) {
      (require('./databases') as typeof import('./databases')).judgeBareSql(cmd, analysis);
      return;
    }
    for (const t of positionals(cmd.args, { short: 'sr', long: ['--size', '--reference'] })) judgeWriteTarget(analysis, analysis.classify(t.value), t.value, t, 'Truncates', 'overwrite', 'truncate');
    return;
  }
  if (name === 'sed' || name === 'perl' || name === 'ruby') {
    const inPlace = cmd.args.some((w) => /^-[a-zA-Z]*i/.test(foldLookalikes(w.value)) || w.value.startsWith('--in-place'));
    if (!inPlace) return;
    // The script is the first positional unless it came with -e/--expression (perl -pi -e '...').
    const scriptInOption = cmd.args.some((w) => /^(-[a-zA-Z]*e|--expression.*|-f|--file.*)$/.test(w.value));
    const all = positionals(cmd.args, { short: 'efl', long: ['--expression', '--file', '--line-length'] });
    const files = scriptInOption ? all : all.slice(1);
    // Many files at once (a glob, xargs/find input, a long list) is an in-place rewrite of a tree.
    const many = files.length > 3 || files.some((t) => t.glob || isDynamic(t.value));
    for (const t of files) judgeWriteTarget(analysis, analysis.classify(t.value), t.value, t, 'Edits in place', 'replace', 'edit', many ? 'several' : 'one');
    return;
  }
  const spec = { short: name === 'install' ? 'gmoSt' : 'tS', long: ['--target-directory', '--suffix', '--backup', '--mode', '--owner', '--group'] };
  const files = positionals(cmd.args, spec);
  const explicitTarget = optionValue(cmd.args, 't', ['--target-directory']);
  const dest = explicitTarget ?? (files.length >= 2 ? files[files.length - 1] : undefined);
  if (dest) {
    const where = analysis.classify(dest.value);
    if (where.cls === 'device-harmless' && name === 'mv') {
      analysis.report('fs.mv-to-null', 'high', `Moves files onto "${show(dest)}", which destroys them (and breaks ${show(dest)} when run as root).`, dest.span);
    } else {
      const linkWithoutForce = name === 'ln' && !cmd.args.some((w) => /^-[a-zA-Z]*f/.test(w.value) || w.value === '--force');
      if (linkWithoutForce && (where.cls === 'system' || where.cls === 'system-top')) {
        // Without -f, ln only adds a new entry; it refuses to replace an existing file.
        analysis.report('fs.link-into-system', 'moderate', `Adds a link at "${show(dest)}" (${describePathClass(where.cls)}).`, dest.span);
      } else {
        judgeWriteTarget(analysis, where, dest.value, dest, name === 'ln' ? 'Replaces with a link' : name === 'mv' ? 'Moves files onto' : 'Overwrites', 'replace', name === 'ln' ? 'link' : name === 'mv' ? 'move' : 'overwrite');
      }
    }
  }
  // A copy of a shell is still a shell (`cp /bin/bash /tmp/.x && chmod 4755 /tmp/.x`).
  if (dest && (name === 'cp' || name === 'install' || name === 'ln' || name === 'mv')) {
    for (const src of explicitTarget ? files : files.slice(0, -1)) {
      const from = analysis.resolve(src.value);
      if (isShellOrInterpreter(from)) analysis.rememberCopy(analysis.resolve(dest.value), from);
    }
  }
  if (name === 'mv') {
    // Moving a system directory or file away is as bad as deleting it.
    for (const src of explicitTarget ? files : files.slice(0, -1)) {
      const where = analysis.classify(src.value);
      if (where.cls === 'root' || where.cls === 'system-top' || where.cls === 'system-file-critical' || where.cls === 'home') {
        analysis.report('fs.mv-system', 'critical', `Moves "${show(src)}" (${describePathClass(where.cls)}) away; the system or the user's files stop working where they are expected.`, src.span);
      } else if (where.cls === 'system') {
        analysis.report('fs.mv-system', 'high', `Moves "${show(src)}" (${describePathClass(where.cls)}).`, src.span);
      }
    }
  }
}

/** touch and mkdir create files and directories: a small, recoverable change. */
export function judgeCreate(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.args.some((w) => /^--(help|version)$/.test(w.value))) return;
  const targets = positionals(cmd.args, { short: cmd.name === 'touch' ? 'dtr' : 'm', long: ['--date', '--reference', '--mode', '--context'] });
  for (const t of targets) {
    const where = analysis.classify(t.value);
    analysis.effect({ kind: 'write', op: 'create', target: { type: 'path', value: analysis.resolve(t.value), pathClass: where.cls }, scope: where.glob || t.glob ? 'several' : 'one' }, `${cmd.name} creates or updates "${show(t)}".`, t.span, 'fs.create');
  }
}

export function judgeFind(cmd: SimpleCommand, analysis: Analysis): void {
  const start = firstPositional(cmd.args, {});
  // Starting points come before the first expression word (which starts with -, ( or !).
  const roots: Word[] = [];
  let i = start;
  while (i < cmd.args.length && !/^[-(!]/.test(cmd.args[i].value)) roots.push(cmd.args[i++]);
  const expr = cmd.args.slice(i);
  const rootPaths = roots.length ? roots : [{ value: '.', span: cmd.span, glob: false }];
  const filtered = expr.some((w) => /^-(i?name|i?path|i?wholename|i?regex|newer|newer[a-z]{2}|mtime|mmin|atime|amin|ctime|cmin|size|type|user|group|perm|empty|inum|links|uid|gid|samefile|nouser|nogroup|used)$/.test(w.value));
  // `-type f` alone still matches every file; these tests pick some files out of the tree.
  const narrowed = expr.some((w) => /^-(i?name|i?path|i?wholename|i?regex|newer|newer[a-z]{2}|mtime|mmin|atime|amin|ctime|cmin|size|perm|empty|inum|links|samefile|nouser|nogroup|used)$/.test(w.value));
  // What is found under /tmp is temporary, though /tmp itself is part of the system.
  const classes = rootPaths.map((r) => analysis.classify(r.value)).map((c) => (/^\/(tmp|var\/tmp|private\/tmp)$/.test(c.normalised) ? { ...c, cls: 'temp' as const } : c));
  const widest = classes.find((c) => c.cls === 'root' || c.cls === 'home' || c.cls === 'system-top') ?? classes.find((c) => c.cls === 'system') ?? classes[0];
  for (const w of expr) {
    if (w.value === '-delete') {
      const cls = widest.cls;
      let level: RiskLevel;
      // From / every match on the machine goes (every *.conf, every *.so): critical even when narrowed.
      if (cls === 'root') level = 'critical';
      else if (cls === 'home' || cls === 'system-top') level = narrowed ? 'high' : 'critical';
      else if (cls === 'system' || cls === 'dynamic') level = 'high';
      else if (cls === 'temp') level = 'moderate';
      else level = 'high'; // every match in a tree, with nothing asking
      analysis.report('fs.find-delete', level, `Deletes every file find matches under "${displayText(widest.normalised)}" (${describePathClass(cls)})${filtered ? '' : ', with nothing narrowing the match'}.`, w.span);
    }
  }
  // -exec/-execdir/-ok: judge the command with {} standing for the files found.
  for (let k = 0; k < expr.length; k++) {
    if (!/^-(exec|execdir|ok|okdir)$/.test(expr[k].value)) continue;
    const words: Word[] = [];
    let j = k + 1;
    while (j < expr.length && expr[j].value !== ';' && expr[j].value !== '+') words.push(expr[j++]);
    k = j;
    if (!words.length) continue;
    // {} is every file found: the whole tree, or (with a narrowing test) some files inside it.
    const placeholder = widest.normalised.replace(/\/$/, '') + (narrowed ? '/{found}' : '/*');
    // {} is each starting point too (find lists it first), so a command on {} acts on the roots themselves.
    const args = words.slice(1).flatMap((w) => {
      if (!w.value.includes('{}')) return [w];
      const many = { ...w, value: w.value.split('{}').join(placeholder), glob: true };
      return w.value === '{}' && !narrowed ? [...rootPaths.map((r) => ({ ...w, value: r.value })), many] : [many];
    });
    const nested: SimpleCommand = {
      ...cmd,
      name: words[0].value.split('/').pop()!.toLowerCase(),
      nameWord: words[0],
      args,
      redirects: [],
      stdin: undefined,
      wrappers: [...cmd.wrappers, 'find'],
    };
    // `find / -name x -exec rm {} +` deletes every match on the machine, as -delete would.
    if (/^(rm|unlink|shred)$/.test(nested.name) && widest.cls === 'root') analysis.report('fs.find-delete', 'critical', `Deletes every file find matches under "/" (${describePathClass('root')}): every match on the machine.`, words[0].span);
    analysis.judge(nested);
  }
}

/** scp/rsync destinations, local or `host:/path`: copying over system files is judged like cp. */
export function judgeCopyDestination(cmd: SimpleCommand, analysis: Analysis): void {
  const files = positionals(cmd.args, { short: cmd.name === 'scp' ? 'cFiJloPS' : 'efTB', long: ['--rsh', '--exclude', '--include', '--filter', '--rsync-path', '--temp-dir', '--log-file', '--chmod', '--chown', '--port'] });
  if (files.length < 2) return;
  const dest = files[files.length - 1];
  const remote = /^(?:[^@/:]+@)?[A-Za-z0-9._-]+:(.*)$/s.exec(dest.value);
  const destPath = remote ? (remote[1] === '' ? '~' : remote[1].startsWith('/') ? remote[1] : '~/' + remote[1]) : dest.value;
  if (remote) analysis.effect({ kind: 'network-upload', target: { type: 'host', value: dest.value } }, `${cmd.name} sends files to another host (${displayText(dest.value)}).`, dest.span, 'net.upload');
  judgeWriteTarget(analysis, analysis.classify(destPath), remote ? destPath : dest.value, dest, remote ? 'Copies over (on the remote host)' : 'Copies over', 'replace');
}
