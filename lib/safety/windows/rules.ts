// PowerShell cmdlets/aliases and cmd.exe built-ins. Returns true when the command was one of them;
// anything else (git, docker, kubectl, ...) falls through to the common judges.
import type { SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { describePathClass } from '../paths';
import { displayText, isDynamic } from '../markers';
import { judgeRedirects, judgeRm, judgeWriteTarget, persistenceLocation, runsRemoteCode } from '../rules/filesystem';

/** Antivirus, firewall and audit services: stopping them turns protection off. */
const SECURITY_SERVICES = /^['"]?(windefend|wdnissvc|sense|mpssvc|wscsvc|securityhealthservice|eventlog|bfe|mdcoresvc)['"]?$/;

/** `/v name` style options of reg.exe and friends. */
function optionAfter(args: readonly Word[], flag: string): string | undefined {
  const i = args.findIndex((w) => w.value.toLowerCase() === flag);
  return i >= 0 ? args[i + 1]?.value : undefined;
}

function quotePosix(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function analysisText(cmd: SimpleCommand): string {
  return cmd.stdin?.kind === 'unknown' ? cmd.stdin.tool ?? '' : '';
}

function runElevatedText(analysis: Analysis, words: Word[], elevated: boolean): void {
  const text = words.map((w) => (/\s/.test(w.value) ? `"${w.value}"` : w.value)).join(' ');
  const carrier = { start: words[0].span.start, end: words[words.length - 1].span.end };
  const run = (): void => analysis.analyseNested(text, 'cmd', carrier);
  if (elevated) analysis.runElevated(run);
  else run();
}

/** Registry values that decide what runs at logon, which debugger replaces a program, or whether
 *  protections are on. Returns true when the value was one of them. */
function judgeRegistryValue(analysis: Analysis, key: string, valueName: string, data: string, span: { start: number; end: number }): boolean {
  const k = key.toLowerCase().replace(/^hkey_local_machine/, 'hklm').replace(/^hkey_current_user/, 'hkcu').replace(/:/, '');
  const v = valueName.toLowerCase().replace(/^['"]|['"]$/g, '');
  const d = data.toLowerCase().replace(/^['"]|['"]$/g, '');
  if (/\\currentversion\\(run|runonce|runservices|runonceex|policies\\explorer\\run)$/.test(k) || (/\\winlogon$/.test(k) && /^(userinit|shell)$/.test(v))) {
    const remote = runsRemoteCode(data) || DOWNLOADERS.test(data);
    analysis.effect({ kind: 'persist', severity: remote ? 'severe' : 'normal', target: { type: 'setting', value: key } }, remote ? 'Adds a program to run at every logon that downloads and runs remote code: whoever controls that server keeps control of this machine.' : 'Adds a program to run at every logon.', span, remote ? 'persist.remote-code' : 'persist.run-key');
    return true;
  }
  if (/image file execution options\\[^\\]+$/.test(k) && v === 'debugger') {
    analysis.effect({ kind: 'takeover', target: { type: 'setting', value: key } }, 'Replaces a program with another through its "debugger" registry value; on accessibility programs this is a logon-screen back door.', span, 'priv.ifeo-debugger');
    return true;
  }
  const off = d === '1' || d === '0x1' || d === '$true' || d === 'true';
  if (/\\(windows defender|microsoft antimalware)(\\|$)/.test(k) && /^disable/.test(v) && off) {
    analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: key } }, 'Turns Microsoft Defender off by policy: malware runs unchecked.', span, 'win.defender-off');
    return true;
  }
  if (/\\policies\\system$/.test(k) && v === 'enablelua' && /^(0|0x0|\$false|false)$/.test(d)) {
    analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: key } }, 'Turns User Account Control off: every program runs with full administrator rights without asking.', span, 'win.uac-off');
    return true;
  }
  const weakened = SECURITY_VALUES.find((r) => r.key.test(k) && r.value.test(v) && r.data.test(d));
  if (weakened) {
    analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: `${key}\\${valueName}` } }, `${weakened.what}.`, span, 'win.security-registry');
    return true;
  }
  return false;
}

const ON = /^(1|0x0*1|\$true|true)$/;
const OFF = /^(0|0x0*0|\$false|false)$/;
/** Registry values that switch a Windows protection off or open the machine to remote logons. */
const SECURITY_VALUES: { key: RegExp; value: RegExp; data: RegExp; what: string }[] = [
  { key: /\\terminal server$/, value: /^fdenytsconnections$/, data: OFF, what: 'Turns Remote Desktop on for the whole machine: anyone who can reach it can try to log in' },
  { key: /\\terminal server\\winstations\\rdp-tcp$/, value: /^userauthentication$/, data: OFF, what: 'Lets Remote Desktop connect without network-level authentication' },
  { key: /\\control\\lsa$/, value: /^(runasppl|runasppllboot|lsacfgflags)$/, data: OFF, what: 'Turns off the protection of the LSA process, which holds every logged-in password: credential-stealing tools can read them' },
  { key: /\\control\\lsa$/, value: /^disablerestrictedadmin$/, data: OFF, what: 'Lets Remote Desktop log in with a stolen password hash (restricted admin mode)' },
  { key: /\\control\\lsa$/, value: /^(limitblankpassworduse|restrictanonymous|restrictanonymoussam|everyoneincludesanonymous)$/, data: /./, what: 'Weakens which accounts may log on: empty passwords or anonymous users get in' },
  { key: /\\securityproviders\\wdigest$/, value: /^uselogoncredential$/, data: ON, what: 'Makes Windows keep every logged-in password in memory as plain text, for anyone who dumps it' },
  { key: /\\policies\\system$/, value: /^(consentpromptbehavioradmin|promptonsecuredesktop)$/, data: OFF, what: 'Makes User Account Control approve administrator requests without asking' },
  { key: /\\policies\\system$/, value: /^localaccounttokenfilterpolicy$/, data: ON, what: 'Gives remote logons of local accounts full administrator rights (used to move between machines)' },
  { key: /\\(windowsfirewall|sharedaccess\\parameters\\firewallpolicy)\\(domainprofile|standardprofile|publicprofile|privateprofile)$/, value: /^enablefirewall$/, data: OFF, what: 'Turns the Windows firewall off by policy' },
  { key: /\\(windows\\system|explorer|windows defender\\smartscreen)$/, value: /^(enablesmartscreen|smartscreenenabled)$/, data: /^(0|0x0|off|\$false|false)$/, what: 'Turns SmartScreen off: downloaded programs run without a reputation check' },
  { key: /\\(windows defender|microsoft antimalware)(\\.*)?$/, value: /^(disable\w*|serviceskeepalive)$/, data: ON, what: 'Turns part of Microsoft Defender off by policy: malware runs unchecked' },
  { key: /\\services\\(windefend|wdnissvc|sense|mpssvc|wscsvc|securityhealthservice|eventlog|wdfilter|wdboot)$/, value: /^start$/, data: /^(4|0x0*4)$/, what: 'Disables a security service (antivirus, firewall or event log) from starting' },
  { key: /\\control\\securityproviders\\|\\control\\lsa$/, value: /^(notification packages|security packages|authentication packages)$/, data: /./, what: 'Adds code that the LSA loads at every start and that sees every password' },
];

/** Accounts: empty passwords, new administrator accounts. Returns true when handled. */
function judgeAccount(analysis: Analysis, cmd: SimpleCommand, lowerArgs: string[]): boolean {
  if (cmd.name === 'set-localuser') {
    const p = pwshParams(cmd.args, []);
    // Fed by Get-LocalUser: every account listed (Administrator among them).
    const user = asWord(param(p, 'name'))?.value.toLowerCase() ?? p.positional[0]?.value.toLowerCase() ?? (cmd.stdin?.kind === 'unknown' && /^(get-localuser|glu)$/.test(cmd.stdin.tool ?? '') || cmd.stdin?.kind === 'unknown' && cmd.stdin.tool === 'where-object' ? 'administrator' : '');
    const password = asWord(param(p, 'password'));
    const source = cmd.source ?? '';
    // An empty SecureString, or one converted from an empty string.
    const empty = /\(\s*new-object[^)]*securestring\s*\)|\[securestring\]::new\(\s*\)/i.test(source) || /convertto-securestring\s+(-string\s+)?(''|""|\$null)(\s|\))/i.test(source);
    if (password && empty) {
      const admin = /^(administrator|admin|root)$/.test(user);
      analysis.effect({ kind: 'account', severity: admin ? 'severe' : 'normal', target: { type: 'account', value: user } }, `Sets an empty password on "${user}": anyone can log in as it${admin ? ' and take over the machine' : ''}.`, cmd.span, admin ? 'priv.root-empty-password' : 'priv.empty-password');
      return true;
    }
    return false;
  }
  if (lowerArgs[0] === 'user' && lowerArgs.length >= 3 && !lowerArgs.some((v) => v.startsWith('/'))) {
    const user = lowerArgs[1];
    const empty = cmd.args[2].value === '' || cmd.args[2].value === '""';
    const admin = /^(administrator|admin)$/.test(user);
    if (empty) analysis.effect({ kind: 'account', severity: admin ? 'severe' : 'normal', target: { type: 'account', value: user } }, `Sets an empty password on "${cmd.args[1].value}": anyone can log in as it${admin ? ' and take over the machine' : ''}.`, cmd.span, admin ? 'priv.root-empty-password' : 'priv.empty-password');
    else analysis.effect({ kind: 'account', severity: admin ? 'normal' : undefined, target: { type: 'account', value: user } }, `Changes the password of "${cmd.args[1].value}".`, cmd.span, 'user.password');
    return true;
  }
  if (lowerArgs[0] === 'user' && lowerArgs.includes('/add') && lowerArgs[1]) analysis.rememberAccount(lowerArgs[1]);
  if (lowerArgs[0] === 'localgroup' && /^(administrators|admins)$/.test(lowerArgs[1] ?? '') && lowerArgs.includes('/add')) {
    const member = lowerArgs[2] ?? '';
    if (analysis.accountCreatedHere(member) || /^(guest|everyone)$/.test(member)) {
      analysis.effect({ kind: 'privilege', severity: 'severe', target: { type: 'account', value: member } }, `Creates an administrator account ("${cmd.args[2].value}") with a password written on this command line: a back door into the machine.`, cmd.span, 'priv.backdoor-admin');
      return true;
    }
  }
  return false;
}

/** Quote a program path for re-reading as PowerShell. */
function quotePwsh(value: string): string {
  return /[\s'"`$;&|()]/.test(value) ? `'${value.replace(/'/g, "''")}'` : value;
}

const REMOVE = new Set(['remove-item', 'ri', 'rm', 'rmdir', 'del', 'erase', 'rd']);
const DOWNLOADERS = /\b(invoke-webrequest|iwr|invoke-restmethod|irm|downloadstring|downloadfile|downloaddata|net\.webclient|start-bitstransfer|curl|wget)\b/i;

interface Params {
  named: Map<string, Word | true>;
  positional: Word[];
}

/** PowerShell parameters: `-Name value`, `-Name:value`, switches; names may be abbreviated. */
function pwshParams(args: readonly Word[], switches: readonly string[]): Params {
  const named = new Map<string, Word | true>();
  const positional: Word[] = [];
  for (let i = 0; i < args.length; i++) {
    const v = foldLookalikes(args[i].value);
    const m = /^[-/]([A-Za-z][\w-]*)(?::(.*))?$/s.exec(v);
    if (m && !(args[i].value.startsWith('/') && args[i].value.includes('\\'))) {
      const name = m[1].toLowerCase();
      if (m[2] !== undefined) named.set(name, { ...args[i], value: m[2] });
      else if (switches.some((s) => s.startsWith(name)) || !args[i + 1] || /^-/.test(args[i + 1].value)) named.set(name, true);
      else named.set(name, args[++i]);
      continue;
    }
    positional.push(args[i]);
  }
  return { named, positional };
}

function param(p: Params, ...prefixes: string[]): Word | true | undefined {
  for (const [name, value] of p.named) if (prefixes.some((pre) => pre.startsWith(name))) return value;
  return undefined;
}

function cmdSwitches(args: readonly Word[]): Set<string> {
  const out = new Set<string>();
  for (const w of args) {
    const m = /^\/([A-Za-z?])(:.*)?$/.exec(w.value);
    if (m) out.add(m[1].toLowerCase());
  }
  return out;
}

function asWord(v: Word | true | undefined): Word | undefined {
  return v === true || v === undefined ? undefined : v;
}

export function judgeWindowsCommand(cmd: SimpleCommand, analysis: Analysis): boolean {
  const name = cmd.name;
  const pw = cmd.dialect === 'pwsh';
  const lowerArgs = cmd.args.map((w) => foldLookalikes(w.value).toLowerCase());
  const report = (rule: string, level: 'moderate' | 'high' | 'critical', message: string, at = cmd.span): void => analysis.report(rule, level, message, at);

  if (REMOVE.has(name)) {
    judgeRedirects(cmd, analysis, false);
    let recursive: boolean;
    let force: boolean;
    let targets: Word[];
    if (pw) {
      const p = pwshParams(cmd.args, ['recurse', 'force', 'whatif', 'confirm']);
      if (param(p, 'whatif')) return true;
      recursive = param(p, 'recurse') !== undefined || lowerArgs.includes('-rf') || lowerArgs.includes('-fr');
      force = param(p, 'force') !== undefined || lowerArgs.includes('-rf') || lowerArgs.includes('-fr');
      targets = [...p.positional, ...[asWord(param(p, 'path')), asWord(param(p, 'literalpath'))].filter((w): w is Word => !!w)];
      // `rm -rf /` typed from POSIX habit: `-rf` is no Remove-Item parameter and takes no value; the
      // word after it is the path meant (PowerShell would refuse the line; the intent is judged).
      const cluster = lowerArgs.findIndex((v) => v === '-rf' || v === '-fr');
      const meant = cluster >= 0 ? cmd.args[cluster + 1] : undefined;
      if (meant && !meant.value.startsWith('-') && !targets.includes(meant)) targets.push(meant);
      if (targets.some((t) => /^hk(lm|cu|cr|u|cc):/i.test(t.value))) {
        report('win.registry-delete', 'high', 'Deletes registry keys; Windows or programs can stop working.');
        return true;
      }
    } else {
      const s = cmdSwitches(cmd.args);
      recursive = s.has('s');
      force = s.has('q') || s.has('f');
      targets = cmd.args.filter((w) => !/^\/[A-Za-z?]/.test(w.value));
    }
    const listed = cmd.stdin?.kind === 'unknown' ? cmd.stdin.items : undefined;
    if (!targets.length && listed) {
      // Get-ChildItem C:\ -Recurse | Remove-Item: everything listed, down the whole tree when listed
      // recursively; piped files are removed one by one without a prompt.
      // A narrowed listing (Where-Object, -Filter) deletes the matches found in the tree, like find -name ... -delete.
      // From a drive root every match on the machine goes (as with find / -name x -delete): still the whole drive.
      const fromRoot = listed.paths.some((p) => analysis.classify(p.value).cls === 'root');
      const narrowed = listed.narrowed && !fromRoot;
      targets = narrowed ? listed.paths.map((p) => ({ ...p, value: p.value.replace(/[\\/]+$/, '') + '\\{found}', glob: true })) : listed.paths;
      recursive = !narrowed && (recursive || listed.recursive);
      force = force || listed.recursive;
    }
    if (!targets.length && cmd.stdin) {
      report('win.remove-piped', recursive ? 'high' : 'moderate', `${cmd.nameWord.value} deletes whatever ${cmd.stdin.kind === 'unknown' && cmd.stdin.tool ? cmd.stdin.tool : 'the previous command'} lists.`);
      return true;
    }
    const flags = (recursive ? 'r' : '') + (force ? 'f' : '');
    judgeRm({ ...cmd, args: [...(flags ? [{ value: '-' + flags, span: cmd.nameWord.span, glob: false }] : []), { value: '--', span: cmd.nameWord.span, glob: false }, ...targets] }, analysis);
    return true;
  }

  switch (name) {
    case 'uninstall-windowsfeature':
    case 'remove-windowsfeature':
    case 'disable-windowsoptionalfeature':
    case 'dism':
      if (lowerArgs.some((v) => /defender|windows-defender/.test(v)) && (name !== 'dism' || lowerArgs.some((v) => /^\/(disable-feature|remove-package)/.test(v)))) {
        analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'Microsoft Defender' } }, 'Removes Microsoft Defender from Windows: the machine has no antivirus.', cmd.span, 'win.defender-off');
        return true;
      }
      if (name !== 'dism') {
        analysis.effect({ kind: 'package', target: { type: 'package', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.nameWord.value} removes a Windows feature.`, cmd.span, 'known.package');
        return true;
      }
      return false;
    case 'format-volume':
    case 'clear-disk':
    case 'initialize-disk':
    case 'remove-partition':
    case 'format':
      if (lowerArgs.includes('/?') || lowerArgs.includes('--help')) return true;
      report('disk.format', 'critical', `${cmd.nameWord.value} erases a disk, partition or volume.`);
      return true;
    case 'diskpart':
      // With /s it runs a script unattended, like sfdisk: nothing asks before the disk is rewritten.
      if (lowerArgs.includes('/s')) report('disk.partition', 'critical', 'diskpart runs a disk script unattended; cleaning or repartitioning a disk destroys its data.');
      else report('disk.partition', 'high', 'diskpart edits disks and partitions; one wrong command loses a disk.');
      return true;
    case 'invoke-webrequest':
    case 'iwr':
    case 'invoke-restmethod':
    case 'irm':
    case 'start-bitstransfer': {
      const p = pwshParams(cmd.args, []);
      const out = asWord(param(p, 'outfile', 'destination'));
      if (out) {
        judgeWriteTarget(analysis, analysis.classify(out.value), out.value, out, 'Downloads over', 'overwrite');
        analysis.markDownloaded(out.value);
      }
      return false;
    }
    case 'stop-service':
    case 'spsv':
    case 'suspend-service':
      if (lowerArgs.some((v) => SECURITY_SERVICES.test(v))) {
        analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'service', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.nameWord.value} stops a security service (antivirus, firewall or auditing).`, cmd.span, 'sys.security-off');
        return true;
      }
      report('sys.service-stop', 'high', `${cmd.nameWord.value} stops a service; whatever depends on it goes down.`);
      return true;
    case 'set-service':
      if (lowerArgs.some((v) => v === 'disabled') && lowerArgs.some((v) => SECURITY_SERVICES.test(v))) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'service', value: cmd.args.map((w) => w.value).join(' ') } }, 'Disables a security service (antivirus, firewall or auditing) for good.', cmd.span, 'sys.security-off');
      else if (lowerArgs.some((v) => v === 'disabled')) report('sys.service-stop', 'high', 'Disables a service.');
      else report('sys.service', 'moderate', 'Changes a service.');
      return true;
    case 'stop-computer':
    case 'restart-computer':
      report('sys.power', 'high', `${cmd.nameWord.value} shuts down or restarts the computer.`);
      return true;
    case 'runas': {
      // `runas /user:Administrator "cmd /c ..."`: the program line runs as that user.
      const line = cmd.args.find((w) => !/^\/[a-z]+(:.*)?$/i.test(w.value));
      const admin = lowerArgs.some((v) => /^\/user:.*(administrator|admin)$/.test(v));
      if (line) {
        const run = (): void => analysis.analyseNested(line.value, 'cmd', line.span);
        if (admin) analysis.runElevated(run);
        else run();
      }
      if (analysis.findingsSinceJudge === 0) report('priv.elevate', 'moderate', 'Runs a program as another user.');
      return true;
    }
    case 'invoke-expression':
    case 'iex': {
      const text = cmd.args.map((w) => w.value).join(' ');
      // `iex ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('...')))`: decode and read it.
      const encoded = /frombase64string\(\s*['"]([A-Za-z0-9+/=]+)['"]\s*\)/i.exec(cmd.source ?? text);
      if (encoded) {
        const bytes = Buffer.from(encoded[1], 'base64');
        const decoded = /unicode/i.test(cmd.source ?? '') ? bytes.toString('utf16le') : bytes.toString('utf8');
        report('code.obfuscated', 'high', 'Invoke-Expression runs code hidden in base64; what it does is not visible in the command.');
        if (decoded.trim() && !decoded.includes('\uFFFD')) analysis.analyseNested(decoded, 'pwsh', cmd.span);
        return true;
      }
      const upstream = cmd.stdin?.kind === 'unknown' ? cmd.stdin.tool ?? '' : '';
      if (DOWNLOADERS.test(upstream) || DOWNLOADERS.test(cmd.args.map((w) => w.value).join(' ')) || cmd.stdin?.kind === 'network' || cmd.args.some((w) => w.producedBy?.kind === 'network')) {
        analysis.effect({ kind: 'exec-remote', target: { type: 'code', value: 'Invoke-Expression' } }, analysis.elevated ? 'Invoke-Expression runs code downloaded from the network as administrator, without showing it first.' : 'Invoke-Expression runs code downloaded from the network without showing it first.', cmd.span, analysis.elevated ? 'net.pipe-to-root-shell' : 'net.pipe-to-interpreter');
      } else if (!cmd.args.length && cmd.stdin) {
        report('code.piped', 'moderate', 'Invoke-Expression runs text produced by another command as code.');
      } else if (cmd.args.length && !isDynamic(text)) {
        analysis.analyseNested(text, 'pwsh', { start: cmd.args[0].span.start, end: cmd.args[cmd.args.length - 1].span.end });
      } else if (cmd.args.length) {
        report('code.dynamic', 'moderate', 'Invoke-Expression runs code that is only known when the command runs.');
      }
      return true;
    }
    case 'set-executionpolicy':
      if (lowerArgs.some((v) => /^(unrestricted|bypass)$/.test(v))) report('win.execution-policy', 'high', 'Allows any PowerShell script to run, including unsigned downloaded ones.');
      else report('win.execution-policy', 'moderate', 'Changes which PowerShell scripts may run.');
      return true;
    case 'set-mppreference':
    case 'add-mppreference':
      if (lowerArgs.some((v) => /^-exclusion(path|process|extension)/.test(v))) {
        const p = pwshParams(cmd.args, []);
        const path = asWord(param(p, 'exclusionpath'));
        // (`-ExclusionPath $env:TEMP,C:\`: a list, each folder excluded.)
        const wide = path && path.value.split(',').some((one) => ['root', 'system-top', 'home'].includes(analysis.classify(one.trim().replace(/^['"]|['"]$/g, '')).cls));
        // Every program of a kind (`exe`, `.ps1`) or a shell/script host: malware in that form goes unscanned everywhere.
        const extension = asWord(param(p, 'exclusionextension'));
        const process = asWord(param(p, 'exclusionprocess'));
        const allOfAKind = (extension && /(^|[,.\s'"])(exe|dll|ps1|bat|cmd|vbs|js|jse|hta|scr|msi|com|lnk|\*)(['",\s]|$)/i.test(extension.value)) || (process && /(^|[\\/,\s'"])(powershell|pwsh|cmd|wscript|cscript|mshta|rundll32|regsvr32|python\w*|node|java|wmic|explorer|svchost|\*)(\.exe)?(['",\s]|$)/i.test(process.value));
        if (wide || allOfAKind) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'Microsoft Defender' } }, `Excludes "${displayText((path ?? extension ?? process)!.value)}" from Microsoft Defender: ${wide ? 'everything there' : 'every program of that kind'} goes unscanned.`, cmd.span, 'win.defender-off');
        else report('win.defender-exclusion', 'high', 'Excludes files or programs from Microsoft Defender scans; malware placed there goes unnoticed.');
        return true;
      }
      if (lowerArgs.some((v) => /^-disable/.test(v))) {
        if (lowerArgs.some((v) => /^-disable(realtimemonitoring|behaviormonitoring|ioavprotection|intrusionpreventionsystem|scriptscanning|archivescanning|blockatfirstseen)/.test(v)) && !lowerArgs.includes('$false')) {
          analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'Microsoft Defender' } }, 'Turns off Microsoft Defender\'s protection: malware runs unchecked.', cmd.span, 'win.defender-off');
        } else report('win.defender-off', 'high', 'Bypasses Microsoft Defender protection (exclusions or settings).');
      }
      return true;
    case 'vssadmin':
    case 'wbadmin':
      if (lowerArgs.some((v) => /^(delete|resize)$/.test(v))) report('win.shadow-delete', 'critical', `${name} deletes backups or shadow copies: the usual first step of ransomware, and recovery becomes impossible.`);
      return true;
    case 'wmic':
      if (lowerArgs.includes('shadowcopy') && lowerArgs.includes('delete')) report('win.shadow-delete', 'critical', 'Deletes Volume Shadow Copies: recovery becomes impossible.');
      else if (lowerArgs.includes('delete') || lowerArgs.includes('call') && lowerArgs.includes('terminate')) report('win.wmic', 'moderate', 'wmic deletes or terminates system objects.');
      return true;
    case 'cipher':
      if (lowerArgs.some((v) => v.startsWith('/w'))) report('disk.wipe', 'high', 'cipher /w overwrites all free space on a drive.');
      return true;
    case 'forfiles': {
      // forfiles /p DIR [/s] [/m MASK] /c "cmd /c del @path": the command runs once per file found,
      // without asking; @path stands for every match.
      const dir = optionAfter(cmd.args, '/p') ?? '.';
      const mask = optionAfter(cmd.args, '/m') ?? '*';
      const code = optionAfter(cmd.args, '/c');
      if (!code) return true;
      const found = dir.replace(/[\\/]+$/, '') + (lowerArgs.includes('/s') ? '\\**\\' : '\\') + mask;
      const inner = code.replace(/^cmd(\.exe)?\s+\/[ck]\s+/i, '');
      const at = cmd.args.find((w) => w.value === code)!;
      if (/^(del|erase|rd|rmdir)\b/i.test(inner) && /@(path|file|fname)/i.test(inner)) {
        judgeRm({ ...cmd, args: [{ value: /^(rd|rmdir)/i.test(inner) ? '-rf' : '-f', span: at.span, glob: false }, { value: '--', span: at.span, glob: false }, { value: found, span: at.span, glob: true }] }, analysis);
        return true;
      }
      analysis.analyseNested(code.replace(/@(path|file|fname)/gi, '"' + found + '"'), 'cmd', at.span);
      return true;
    }
    case 'sdelete':
    case 'sdelete64':
      report('fs.shred', 'high', 'Securely deletes files so they can never be recovered.');
      return true;
    case 'wevtutil':
      if (lowerArgs.some((v) => v === 'cl' || v === 'clear-log')) report('win.clear-logs', 'high', 'Clears Windows event logs (the audit trail).');
      return true;
    case 'clear-eventlog':
    case 'remove-eventlog':
      report('win.clear-logs', 'high', 'Clears Windows event logs (the audit trail).');
      return true;
    case 'net':
    case 'net1':
      if (judgeAccount(analysis, cmd, lowerArgs)) return true;
      if (lowerArgs[0] === 'localgroup' && /^(administrators|admins|"administrators")$/.test(lowerArgs[1] ?? '') && lowerArgs.includes('/add')) report('priv.group-grant', 'high', 'Adds an account to the Administrators group.');
      else if (lowerArgs[0] === 'user' && lowerArgs.includes('/delete')) report('user.delete', 'high', 'Deletes a Windows account (its profile and security id cannot be brought back).');
      else if (lowerArgs[0] === 'user' && lowerArgs.includes('/add')) report('user.modify', 'moderate', 'Creates a Windows account.');
      else if (lowerArgs[0] === 'stop' && lowerArgs[1] && SECURITY_SERVICES.test(lowerArgs[1])) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'service', value: cmd.args[1].value } }, `net stop ${cmd.args[1].value} stops a security service (antivirus, firewall or auditing).`, cmd.span, 'sys.security-off');
      else if ((lowerArgs[0] === 'stop') && lowerArgs[1]) report('sys.service', 'moderate', `Stops the service "${cmd.args[1].value}".`);
      else if (lowerArgs[0] === 'user' && /^(guest|administrator)$/.test(lowerArgs[1] ?? '') && lowerArgs.includes('/active:yes')) {
        analysis.rememberAccount(lowerArgs[1]);
        analysis.effect({ kind: 'account', severity: 'normal', target: { type: 'account', value: cmd.args[1].value } }, `Enables the built-in ${cmd.args[1].value} account.`, cmd.span, 'user.enable-builtin');
      } else if (lowerArgs[0] === 'accounts' && lowerArgs.some((v) => /^\/(minpwlen|maxpwage|lockoutthreshold|uniquepw):/.test(v))) analysis.effect({ kind: 'security', target: { type: 'setting', value: 'password policy' } }, 'Weakens or changes the password and lockout policy for every account.', cmd.span, 'win.password-policy');
      return true;
    case 'new-localuser': {
      const p = pwshParams(cmd.args, ['nopassword', 'disabled']);
      const user = asWord(param(p, 'name'))?.value ?? p.positional[0]?.value;
      if (user) analysis.rememberAccount(user);
      analysis.effect({ kind: 'account', target: { type: 'account', value: user ?? '' } }, `Creates the local account "${user ?? ''}"${param(p, 'nopassword') ? ' without a password' : ''}.`, cmd.span, 'user.add');
      return true;
    }
    case 'enable-localuser':
      if (lowerArgs.some((v) => /^(guest|administrator)$/.test(v))) analysis.rememberAccount(lowerArgs.find((v) => /^(guest|administrator)$/.test(v))!);
      analysis.effect({ kind: 'account', target: { type: 'account', value: cmd.args.map((w) => w.value).join(' ') } }, 'Enables a local account.', cmd.span, 'user.modify');
      return true;
    case 'clear-content':
    case 'clc': {
      // Empties the files (the contents are gone); over a glob or a listing, many files at once.
      const p = pwshParams(cmd.args, ['force']);
      const targets = [...p.positional, ...[asWord(param(p, 'path')), asWord(param(p, 'literalpath'))].filter((w): w is Word => !!w)];
      const listed = cmd.stdin?.kind === 'unknown' ? cmd.stdin.items : undefined;
      if (!targets.length && listed) for (const t of listed.paths) targets.push({ ...t, value: t.value.replace(/[\\/]+$/, '') + (listed.recursive ? '\\**\\*' : '\\*'), glob: true });
      for (const t of targets) judgeWriteTarget(analysis, analysis.classify(t.value), t.value, t, 'Empties', 'overwrite', 'truncate');
      if (!targets.length && cmd.stdin) report('fs.truncate-piped', 'high', 'Clear-Content empties every file the previous command lists.');
      return true;
    }
    case 'add-localgroupmember':
      if (lowerArgs.some((v) => /administrators/.test(v)) && (lowerArgs.some((v) => /^(guest|everyone|\*s-1-1-0)$/.test(v) || analysis.accountCreatedHere(v)) || (cmd.stdin?.kind === 'unknown' && /^new-localuser$/.test(cmd.stdin.tool ?? '')))) {
        analysis.effect({ kind: 'privilege', severity: 'severe', target: { type: 'account', value: 'Administrators' } }, 'Makes the Guest account, everyone, or an account created in this same command an administrator: a back door into this machine.', cmd.span, 'priv.guest-admin');
      } else if (lowerArgs.some((v) => /administrators/.test(v))) report('priv.group-grant', 'high', 'Adds an account to the Administrators group.');
      else report('user.modify', 'moderate', 'Adds an account to a local group.');
      return true;
    case 'takeown':
    case 'icacls':
    case 'cacls': {
      const targets = cmd.args.filter((w) => !/^\/[A-Za-z]/.test(w.value) && /[\\/:]/.test(w.value) && !/:\(?[A-Z]+\)?$/.test(w.value));
      const recursive = lowerArgs.some((v) => v === '/r' || v === '/t');
      for (const t of targets) {
        const where = analysis.classify(t.value);
        if (where.cls === 'root' || where.cls === 'system-top' || where.cls === 'system-file-critical') {
          report(recursive ? 'perm.recursive-system' : 'perm.system', recursive ? 'critical' : 'high', `${name} changes ownership or permissions of "${displayText(t.value)}" (${describePathClass(where.cls)}).`, t.span);
        } else if (where.cls === 'system') report('perm.system', 'high', `${name} changes ownership or permissions of "${displayText(t.value)}" (${describePathClass(where.cls)}).`, t.span);
      }
      if (lowerArgs.some((v) => /^(everyone|\*s-1-1-0|users|authenticated users):\(?[fmw]/.test(v))) {
        const critical = targets.some((t) => analysis.classify(t.value).cls === 'system-file-critical' || /\\(sam|system|security)$/i.test(t.value));
        if (critical) analysis.effect({ kind: 'permission', severity: 'severe', target: { type: 'path', value: targets.map((t) => t.value).join(' ') } }, 'Lets every user change a credential store or critical system file: anyone can take over the machine.', cmd.span, 'perm.credentials-world-writable');
        else report('perm.everyone-full', 'high', 'Grants Everyone full control.');
      }
      return true;
    }
    case 'taskkill':
    case 'stop-process':
    case 'kill':
    case 'spps': {
      const system = lowerArgs.some((v) => /^(csrss|lsass|winlogon|wininit|smss|services|svchost)(\.exe)?$/.test(v));
      if (system) report('sys.kill-system', 'critical', 'Kills a core Windows process: the system crashes or restarts.');
      else {
        const many = lowerArgs.some((v) => v === '/fi' || v === '*' || v === '/t') || (!!cmd.stdin && !cmd.args.some((w) => !w.value.startsWith('-')));
        // `Get-Process | Stop-Process`: every process, the system's own included.
        // (`taskkill /fi "STATUS eq RUNNING"`, `/im *`: every process there is.)
        const every = (cmd.stdin?.kind === 'unknown' && /^(get-process|gps|ps)$/.test(cmd.stdin.tool ?? '') && cmd.stdin.items !== undefined && !cmd.stdin.items.narrowed) || lowerArgs.some((v, k) => /status\s+eq\s+running|status\s+ne\s+|imagename\s+ne\s+|memusage\s+gt\s+0|pid\s+gt\s+0/.test(v) || (v === '/im' && lowerArgs[k + 1] === '*'));
        analysis.effect({ kind: 'signal', scope: every ? 'all' : many ? 'several' : 'one', target: { type: 'process', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.nameWord.value} stops ${every ? 'every process, the system\'s own included' : many ? 'many processes' : 'a process'}; unsaved work in ${many || every ? 'them' : 'it'} is lost.`, cmd.span, 'sys.kill');
      }
      return true;
    }
    case 'register-scheduledtask':
    case 'new-scheduledtask':
    case 'schtasks': {
      if (name === 'schtasks' && !lowerArgs.includes('/create') && !lowerArgs.includes('/change')) {
        if (lowerArgs.includes('/delete')) report('win.task-delete', 'moderate', 'Deletes a scheduled task.');
        return lowerArgs.includes('/delete') || lowerArgs.includes('/query');
      }
      const all = cmd.args.map((w) => w.value).join(' ') + ' ' + (cmd.source ?? '');
      const remote = runsRemoteCode(all) || DOWNLOADERS.test(all);
      const atLogon = /onlogon|onstart|atlogon|atstartup|onidle|minute|hourly|daily/i.test(all);
      analysis.effect({ kind: 'persist', severity: remote ? 'severe' : 'normal', target: { type: 'setting', value: 'scheduled task' } }, remote ? 'Schedules a task that downloads and runs remote code: whoever controls that server keeps control of this machine.' : `Schedules a program to run by itself${atLogon ? ' at every logon, start-up or on a timer' : ''}.`, cmd.span, remote ? 'persist.remote-code' : 'persist.scheduled-task');
      return true;
    }
    case 'setx':
      analysis.effect({ kind: 'setting', target: { type: 'setting', value: cmd.args[0]?.value ?? '' } }, `setx changes the user environment variable "${displayText(cmd.args[0]?.value ?? '')}" for every future session.`, cmd.span, 'win.setx');
      return true;
    case 'netsh': {
      const line = lowerArgs.join(' ');
      if (/\bstate\s+off\b|opmode\s+(mode=)?disable|\bmode=disable\b/.test(line)) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'Windows firewall' } }, 'Turns the Windows firewall off: every listening program is open to the network.', cmd.span, 'sys.firewall-off');
      else if (/^wlan\s+delete\s+profile/.test(line)) analysis.effect({ kind: 'delete', severity: 'normal', target: { type: 'setting', value: 'Wi-Fi profiles' } }, `Deletes saved Wi-Fi network${/name=\*|\*/.test(line) ? 's' : ''} and their passwords.`, cmd.span, 'win.credential-delete');
      else if (/advfirewall (reset|firewall delete)|firewall (reset|delete)|winsock reset|int ip reset/.test(line)) report('sys.firewall-flush', 'high', 'Resets or deletes firewall rules (or the network stack); the machine can be exposed or cut off.');
      else if (/\b(add|set|delete)\b/.test(line)) report('sys.firewall-change', 'moderate', 'Changes network or firewall settings.');
      return line.length > 0 && !/^(show|dump)|\bshow\b/.test(line);
    }
    case 'set-netfirewallprofile':
    case 'disable-netfirewallrule':
    case 'remove-netfirewallrule':
      if (name === 'set-netfirewallprofile' && !lowerArgs.some((v) => /^(false|\$false|0)$/.test(v) || /^-enabled:\$?(false|0)$/.test(v))) report('sys.firewall-change', 'moderate', 'Changes firewall profiles.');
      else if (name === 'set-netfirewallprofile') analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'Windows firewall' } }, 'Turns the Windows firewall off: every listening program is open to the network.', cmd.span, 'sys.firewall-off');
      else report('sys.firewall-flush', 'high', 'Disables or removes firewall rules.');
      return true;
    case 'invoke-sqlcmd': {
      const p = pwshParams(cmd.args, []);
      const query = asWord(param(p, 'query'));
      if (query) analysis.analyseNested('sqlcmd -Q ' + quotePosix(query.value), 'posix', query.span);
      else report('db.script', 'moderate', 'Runs SQL from a file against a database.');
      return true;
    }
    case 'set-localuser':
      return judgeAccount(analysis, cmd, lowerArgs);
    case 'disable-localuser':
    case 'remove-localuser':
    case 'rename-localuser': {
      const admin = lowerArgs.some((v) => /^(administrator|admin)$/.test(v)) || (cmd.stdin !== undefined && !cmd.args.some((w) => !w.value.startsWith('-')));
      // Deleting an account cannot be undone (a new one gets a new security id): high, like userdel.
      const removes = name === 'remove-localuser';
      analysis.effect({ kind: 'account', severity: admin || removes ? 'normal' : undefined, target: { type: 'account', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.nameWord.value} ${removes ? 'deletes' : name === 'rename-localuser' ? 'renames' : 'disables'} ${admin ? 'the administrator account (or every account listed)' : 'a local account'}.`, cmd.span, removes ? 'user.delete' : 'user.modify');
      return true;
    }
    case 'remove-ciminstance':
    case 'remove-wmiobject':
    case 'rwmi': {
      const upstream = cmd.stdin?.kind === 'unknown' ? cmd.stdin : undefined;
      const text = cmd.args.map((w) => w.value).join(' ') + ' ' + (upstream ? analysisText(cmd) + ' ' + (upstream.items?.paths.map((p) => p.value).join(' ') ?? '') : '');
      if (/shadowcopy/i.test(text)) report('win.shadow-delete', 'critical', 'Deletes Volume Shadow Copies: recovery becomes impossible.');
      else report('win.wmi-delete', 'high', 'Deletes system management (WMI/CIM) objects.');
      return true;
    }
    case 'clear-recyclebin':
      report('fs.rm', 'high', 'Empties the Recycle Bin; the files in it cannot be restored.');
      return true;
    case 'cmdkey':
      if (lowerArgs.some((v) => v.startsWith('/delete'))) {
        analysis.effect({ kind: 'delete', severity: 'normal', target: { type: 'setting', value: 'stored credentials' } }, 'Deletes stored credentials.', cmd.span, 'win.credential-delete');
        return true;
      }
      return false;
    case 'mshta':
    case 'regsvr32':
    case 'rundll32':
    case 'msiexec':
      if (lowerArgs.some((v) => /https?:|\\\\|javascript:|vbscript:|scrobj/.test(v))) {
        analysis.effect({ kind: 'exec-remote', target: { type: 'code', value: name } }, `${name} runs code fetched from the network without showing it first.`, cmd.span, 'net.run-remote');
        return true;
      }
      return false;
    case 'psexec':
    case 'psexec64':
    case 'paexec': {
      const remote = cmd.args.findIndex((w) => /^\\\\/.test(w.value));
      const rest = cmd.args.filter((w, i) => i > remote && !/^[-/]/.test(w.value));
      if (rest.length) runElevatedText(analysis, rest, lowerArgs.includes('-s'));
      analysis.effect({ kind: 'exec-local', severity: 'severe', target: { type: 'host', value: cmd.args[remote]?.value ?? 'this machine' } }, `${name} runs a command${remote >= 0 ? ' on another machine' : ''} with administrator (or SYSTEM) rights.`, cmd.span, 'remote.root-command');
      return true;
    }
    case 'bitsadmin':
    case 'certutil': {
      // The last word of a transfer or -urlcache download is the file it writes.
      if (lowerArgs.some((v) => v === '/transfer' || v === '/addfile' || v === '-urlcache')) {
        const out = cmd.args[cmd.args.length - 1];
        if (out) analysis.markDownloaded(out.value);
        analysis.effect({ kind: 'write', target: { type: 'path', value: out ? analysis.resolve(out.value) : '' } }, `${name} downloads a file from the network.`, cmd.span, 'net.download');
        return true;
      }
      return false;
    }
    case 'bcdedit':
      if (lowerArgs.some((v) => v === '/delete')) report('win.boot-delete', 'critical', 'Deletes a Windows boot entry: the machine may not start again.');
      else if (lowerArgs.includes('/set') && (lowerArgs.includes('recoveryenabled') && lowerArgs.some((v) => /^(no|off|false|0)$/.test(v)) || lowerArgs.includes('bootstatuspolicy') && lowerArgs.some((v) => /^ignore/.test(v)))) report('win.recovery-off', 'critical', 'Turns Windows recovery off so a damaged system cannot repair itself: a usual step of ransomware.');
      else if (lowerArgs.includes('/set') && lowerArgs.some((v) => /^(testsigning|nointegritychecks|disable_integrity_checks)$/.test(v)) && lowerArgs.some((v) => /^(on|yes|true|1)$/.test(v))) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'driver signature enforcement' } }, 'Lets unsigned drivers load into the kernel: any driver, including malware, runs with full control.', cmd.span, 'win.signing-off');
      else if (lowerArgs.some((v) => v === '/set' || v === '/deletevalue')) report('win.boot-config', 'high', 'Changes the Windows boot configuration; a mistake stops Windows from starting.');
      return true;
    case 'sc':
    case 'new-service':
      if (name === 'sc' && lowerArgs.some((v) => /^(stop|delete|config)$/.test(v)) && lowerArgs.some((v) => SECURITY_SERVICES.test(v)) && (!lowerArgs.includes('config') || lowerArgs.includes('disabled'))) {
        analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'service', value: cmd.args.map((w) => w.value).join(' ') } }, `sc ${lowerArgs.find((v) => /^(stop|delete|config)$/.test(v))} turns off a security service (antivirus, firewall or auditing).`, cmd.span, 'sys.security-off');
        return true;
      }
      if (name === 'sc' && !cmd.args.some((w) => /^(create|config)$/i.test(w.value))) {
        if (cmd.args.some((w) => /^(stop|delete)$/i.test(w.value))) report(cmd.args.some((w) => /^delete$/i.test(w.value)) ? 'win.service-delete' : 'sys.service-stop', 'high', `sc ${cmd.args.find((w) => /^(stop|delete)$/i.test(w.value))!.value} stops or deletes a Windows service.`);
        return name === 'sc' && cmd.args.some((w) => /^(stop|delete|query|queryex|qc)$/i.test(w.value));
      } else {
        const all = cmd.args.map((w) => w.value).join(' ');
        const remote = runsRemoteCode(all) || DOWNLOADERS.test(all);
        analysis.effect({ kind: 'persist', severity: remote ? 'severe' : 'normal', target: { type: 'service', value: cmd.args.find((w) => !/^(create|config)$/i.test(w.value))?.value ?? '' } }, remote ? 'Installs a Windows service that downloads and runs remote code at every start, as SYSTEM.' : 'Installs or changes a Windows service: the program runs at every start, as SYSTEM.', cmd.span, remote ? 'persist.remote-code' : 'persist.service');
        return true;
      }
    case 'reg': {
      const key = cmd.args[1]?.value ?? '';
      if (lowerArgs[0] === 'add') {
        const valueName = optionAfter(cmd.args, '/v') ?? '';
        const data = optionAfter(cmd.args, '/d') ?? '';
        if (judgeRegistryValue(analysis, key, valueName, data, cmd.span)) return true;
      }
      const branch = key.replace(/^hkey_local_machine/i, 'HKLM').replace(/[\\/]+$/, '').split(/[\\/]/);
      if (lowerArgs[0] === 'delete' && /^hklm:?$/i.test(branch[0]) && branch.length <= 3 && /^(system|software|sam|security)$/i.test(branch[1] ?? '') && (branch.length < 3 || /^(currentcontrolset|controlset00\d|microsoft|classes|policies)$/i.test(branch[2]))) report('win.registry-delete', 'critical', `Deletes "${key}", a whole branch of the machine's system registry: Windows will not start.`);
      else if (lowerArgs[0] === 'delete') report('win.registry-delete', 'high', `Deletes registry ${lowerArgs.includes('/va') ? 'values' : 'keys'}; Windows or programs can stop working or lose their settings.`);
      else if (lowerArgs[0] === 'add' || lowerArgs[0] === 'import' || lowerArgs[0] === 'restore' || lowerArgs[0] === 'copy') report('win.registry-change', /^(hklm|hkey_local_machine)/i.test(key) ? 'high' : 'moderate', /^(hklm|hkey_local_machine)/i.test(key) ? `reg ${lowerArgs[0]} changes the machine-wide registry (for every user and Windows itself).` : `reg ${lowerArgs[0]} changes the registry.`);
      return lowerArgs[0] !== undefined;
    }
    case 'remove-itemproperty':
    case 'set-itemproperty':
    case 'new-itemproperty':
    case 'sp': {
      const p = pwshParams(cmd.args, ['force']);
      const key = asWord(param(p, 'path', 'literalpath'))?.value ?? p.positional[0]?.value ?? '';
      const valueName = asWord(param(p, 'name'))?.value ?? p.positional[1]?.value ?? '';
      const data = asWord(param(p, 'value'))?.value ?? p.positional[2]?.value ?? '';
      if (name !== 'remove-itemproperty' && judgeRegistryValue(analysis, key, valueName, data, cmd.span)) return true;
      report(name === 'remove-itemproperty' ? 'win.registry-delete' : 'win.registry-change', /^(hklm|hkey_local_machine)/i.test(key) ? 'high' : 'moderate', `${cmd.nameWord.value} changes the registry.`);
      return true;
    }
    case 'rename-item':
    case 'rni':
    case 'ren':
    case 'rename': {
      // Renaming a system file or folder moves it out of the way Windows expects it.
      const p = pwshParams(cmd.args, ['force']);
      const source = asWord(param(p, 'path', 'literalpath')) ?? p.positional[0];
      if (source) judgeWriteTarget(analysis, analysis.classify(source.value), source.value, source, 'Renames', 'overwrite', 'move');
      return true;
    }
    case 'out-file':
    case 'set-content':
    case 'add-content':
    case 'ac':
    case 'copy-item':
    case 'copy':
    case 'cpi':
    case 'move-item':
    case 'move':
    case 'mi':
    case 'xcopy':
    case 'robocopy': {
      const p = pwshParams(cmd.args, ['force', 'recurse', 'append', 'noclobber']);
      const dest = asWord(param(p, 'destination', 'filepath', 'path', 'literalpath')) ?? (name === 'out-file' || name === 'set-content' || name === 'add-content' || name === 'ac' ? p.positional[0] : p.positional[p.positional.length - 1]);
      // Moving a system file away is as bad as deleting it.
      if (/^(move-item|move|mi)$/.test(name)) {
        const source = asWord(param(p, 'path', 'literalpath')) ?? (p.positional.length > 1 ? p.positional[0] : undefined);
        const from = source ? analysis.classify(source.value) : undefined;
        if (source && from && ['root', 'home', 'system-top', 'system-file-critical'].includes(from.cls)) judgeWriteTarget(analysis, from, source.value, source, 'Moves away', 'overwrite', 'move');
      }
      if (name === 'robocopy' && lowerArgs.some((v) => v === '/mir' || v === '/purge')) {
        const target = p.positional[1];
        if (target && ['root', 'home', 'system-top'].includes(analysis.classify(target.value).cls)) judgeRm({ ...cmd, args: [{ value: '-rf', span: cmd.nameWord.span, glob: false }, { value: '--', span: cmd.nameWord.span, glob: false }, target] }, analysis);
        else report('sync.delete', 'high', 'robocopy /MIR or /PURGE deletes destination files that are not in the source.');
      }
      if (dest && /\\system32\\(sethc|utilman|osk|magnify|narrator|displayswitch|atbroker)\.exe$/i.test(dest.value) && name !== 'out-file' && name !== 'set-content' && name !== 'add-content') {
        analysis.effect({ kind: 'takeover', target: { type: 'path', value: dest.value } }, `Replaces the accessibility program "${displayText(dest.value)}": it runs as SYSTEM at the logon screen, so whatever replaces it opens a back door before anyone logs in.`, dest.span, 'priv.accessibility-backdoor');
        return true;
      }
      if (dest && (name === 'add-content' || name === 'ac' || name === 'set-content' || name === 'out-file') && persistenceLocation(analysis.classify(dest.value).normalised)) {
        const value = asWord(param(p, 'value'))?.value ?? (name === 'out-file' ? undefined : p.positional[1]?.value);
        judgeWriteTarget(analysis, analysis.classify(dest.value), dest.value, dest, 'Writes to', name === 'add-content' || name === 'ac' ? 'append' : 'overwrite', undefined, 'one', value !== undefined ? { text: value } : undefined);
        return true;
      }
      if (dest && (p.positional.length > 1 || name !== 'copy-item' || param(p, 'destination'))) judgeWriteTarget(analysis, analysis.classify(dest.value), dest.value, dest, name === 'add-content' || name === 'ac' ? 'Appends to' : 'Writes to', name === 'add-content' || name === 'ac' ? 'append' : 'overwrite');
      judgeRedirects(cmd, analysis, false);
      return true;
    }
    case 'start-process':
    case 'saps':
    case 'start': {
      const elevate = lowerArgs.some((v) => v === 'runas');
      if (pw) {
        // The program and its arguments run as a command of their own (as administrator with RunAs).
        const p = pwshParams(cmd.args, ['wait', 'nonewwindow', 'passthru', 'usenewenvironment']);
        const file = asWord(param(p, 'filepath')) ?? p.positional[0];
        const list = asWord(param(p, 'argumentlist', 'args')) ?? (asWord(param(p, 'filepath')) ? p.positional[0] : p.positional[1]);
        if (file && !isDynamic(file.value)) {
          const carrier = { start: file.span.start, end: (list ?? file).span.end };
          const program = file.value.replace(/\\/g, '/').split('/').pop()!.toLowerCase().replace(/\.exe$/, '');
          const listText = list ? list.value : '';
          // A shell started this way runs the code given after -Command (or /c): read it as that shell's code.
          const shellCode = /^(powershell|pwsh)$/.test(program) ? /(?:^|[\s,])-(?:c|command)[\s,]+([\s\S]+)$/i.exec(listText)?.[1] : program === 'cmd' ? /(?:^|[\s,])\/[ck][\s,]+([\s\S]+)$/i.exec(listText)?.[1] : undefined;
          const run = (): void => {
            if (shellCode !== undefined) analysis.analyseNested(shellCode.replace(/^"([\s\S]*)"$/, '$1'), program === 'cmd' ? 'cmd' : 'pwsh', carrier);
            else analysis.analyseNested([quotePwsh(file.value), listText].join(' ').trim(), 'pwsh', carrier);
          };
          if (elevate) analysis.runElevated(run);
          else run();
        }
      }
      if (!pw) {
        // cmd's `start ["title"] [/wait ...] program args`: the program runs as a command of its own.
        const words = cmd.args.filter((w, k) => !/^\/[a-z]+$/i.test(w.value) && !(k === 0 && /^".*"$|^$/.test(w.value)));
        if (words.length) runElevatedText(analysis, words, false);
      }
      if (elevate && analysis.findingsSinceJudge === 0) report('priv.elevate', 'moderate', 'Starts a program with administrator rights.');
      return true;
    }
    case 'write-output':
    case 'write-host':
    case 'echo':
    case 'write':
    case 'write-verbose':
    case 'write-warning':
    case 'write-error':
    case 'select-string':
    case 'sls':
    case 'findstr':
    case 'get-content':
    case 'gc':
    case 'type':
      judgeRedirects(cmd, analysis, false);
      return true;
  }
  // Any other cmdlet that disables, stops or removes something of Defender, the firewall or
  // SmartScreen (`Disable-ScheduledTask ...\Windows Defender Scheduled Scan`) weakens a protection.
  if (pw && /^(disable|stop|remove|unregister|uninstall|suspend)-/.test(name) && lowerArgs.some((v) => /defender|windefend|antimalware|smartscreen|firewall|mpssvc/.test(v))) {
    analysis.effect({ kind: 'security', target: { type: 'setting', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.nameWord.value} switches off part of a Windows protection (${cmd.args.map((w) => w.value).join(' ')}).`, cmd.span, 'win.protection-weakened');
    return true;
  }
  return false;
}
