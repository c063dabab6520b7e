// PowerShell cmdlets/aliases and cmd.exe built-ins. Returns true when the command was one of them;
// anything else (git, docker, kubectl, ...) falls through to the common judges.
import type { SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { describePathClass } from '../paths';
import { displayText, isDynamic } from '../markers';
import { judgeRedirects, judgeRm, judgeWriteTarget, runsRemoteCode } from '../rules/filesystem';

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
      // Get-ChildItem C:\ -Recurse | Remove-Item: everything listed, down the whole tree when listed recursively.
      targets = listed.paths;
      recursive = recursive || listed.recursive;
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
    case 'format-volume':
    case 'clear-disk':
    case 'initialize-disk':
    case 'remove-partition':
    case 'format':
      if (lowerArgs.includes('/?') || lowerArgs.includes('--help')) return true;
      report('disk.format', 'critical', `${cmd.nameWord.value} erases a disk, partition or volume.`);
      return true;
    case 'diskpart':
      report('disk.partition', 'high', 'diskpart edits disks and partitions; one wrong command loses a disk.');
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
      report('sys.service-stop', 'high', `${cmd.nameWord.value} stops a service; whatever depends on it goes down.`);
      return true;
    case 'set-service':
      if (lowerArgs.some((v) => v === 'disabled')) report('sys.service-stop', 'high', 'Disables a service.');
      else report('sys.service', 'moderate', 'Changes a service.');
      return true;
    case 'clear-recyclebin':
      report('fs.rm', 'moderate', 'Empties the Recycle Bin; the files in it cannot be restored.');
      return true;
    case 'stop-computer':
    case 'restart-computer':
      report('sys.power', 'high', `${cmd.nameWord.value} shuts down or restarts the computer.`);
      return true;
    case 'invoke-expression':
    case 'iex': {
      const text = cmd.args.map((w) => w.value).join(' ');
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
      if (lowerArgs.some((v) => /^-disable/.test(v)) || name === 'add-mppreference' && lowerArgs.some((v) => /^-exclusion/.test(v))) {
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
    case 'bcdedit':
      if (lowerArgs.some((v) => v === '/set' || v === '/delete' || v === '/deletevalue')) report('win.boot-config', 'high', 'Changes the Windows boot configuration; a mistake stops Windows from starting.');
      return true;
    case 'cipher':
      if (lowerArgs.some((v) => v.startsWith('/w'))) report('disk.wipe', 'high', 'cipher /w overwrites all free space on a drive.');
      return true;
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
      if (lowerArgs[0] === 'localgroup' && /^(administrators|admins|"administrators")$/.test(lowerArgs[1] ?? '') && lowerArgs.includes('/add')) report('priv.group-grant', 'high', 'Adds an account to the Administrators group.');
      else if (lowerArgs[0] === 'user' && (lowerArgs.includes('/add') || lowerArgs.includes('/delete'))) report('user.modify', 'moderate', 'Creates or deletes a Windows account.');
      else if ((lowerArgs[0] === 'stop') && lowerArgs[1]) report('sys.service', 'moderate', `Stops the service "${cmd.args[1].value}".`);
      return true;
    case 'add-localgroupmember':
      if (lowerArgs.some((v) => /administrators/.test(v))) report('priv.group-grant', 'high', 'Adds an account to the Administrators group.');
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
      if (lowerArgs.some((v) => /^(everyone|\*s-1-1-0):\(?f\)?/.test(v))) report('perm.everyone-full', 'high', 'Grants Everyone full control.');
      return true;
    }
    case 'taskkill':
    case 'stop-process':
    case 'kill':
    case 'spps': {
      const system = lowerArgs.some((v) => /^(csrss|lsass|winlogon|wininit|smss|services|svchost)(\.exe)?$/.test(v));
      if (system) report('sys.kill-system', 'critical', 'Kills a core Windows process: the system crashes or restarts.');
      else {
        const many = lowerArgs.some((v) => v === '/fi' || v === '*' || v === '/t') || (!!cmd.stdin && !cmd.args.length);
        analysis.effect({ kind: 'signal', scope: many ? 'several' : 'one', target: { type: 'process', value: cmd.args.map((w) => w.value).join(' ') } }, `${cmd.nameWord.value} stops ${many ? 'many processes' : 'a process'}; unsaved work in ${many ? 'them' : 'it'} is lost.`, cmd.span, 'sys.kill');
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
    case 'netsh':
      if (lowerArgs.join(' ').includes('state off')) report('sys.firewall-off', 'high', 'Turns the Windows firewall off.');
      return true;
    case 'reg':
      if (lowerArgs[0] === 'delete' && /^(hklm|hkey_local_machine|hkcr|hkey_classes_root)/.test(lowerArgs[1] ?? '')) report('win.registry-delete', 'high', 'Deletes machine-wide registry keys; Windows or programs can stop working.');
      else if (lowerArgs[0] === 'delete' || lowerArgs[0] === 'add' || lowerArgs[0] === 'import') report('win.registry-change', 'moderate', `reg ${lowerArgs[0]} changes the registry.`);
      return true;
    case 'remove-itemproperty':
    case 'set-itemproperty':
    case 'new-itemproperty':
      report(name === 'remove-itemproperty' ? 'win.registry-delete' : 'win.registry-change', lowerArgs.some((v) => /^hklm:/.test(v)) ? 'high' : 'moderate', `${cmd.nameWord.value} changes the registry.`);
      return true;
    case 'out-file':
    case 'set-content':
    case 'add-content':
    case 'sc':
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
      const dest = asWord(param(p, 'destination', 'filepath', 'path', 'literalpath')) ?? (name === 'out-file' || name === 'set-content' || name === 'add-content' || name === 'sc' || name === 'ac' ? p.positional[0] : p.positional[p.positional.length - 1]);
      if (name === 'robocopy' && lowerArgs.some((v) => v === '/mir' || v === '/purge')) report('sync.delete', 'high', 'robocopy /MIR or /PURGE deletes destination files that are not in the source.');
      if (dest && (p.positional.length > 1 || name !== 'copy-item' || param(p, 'destination'))) judgeWriteTarget(analysis, analysis.classify(dest.value), dest.value, dest, 'Writes to', 'overwrite');
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
          const shellCode = /^(powershell|pwsh)$/.test(program) ? /(?:^|\s)-(?:c|command)\s+([\s\S]+)$/i.exec(listText)?.[1] : program === 'cmd' ? /(?:^|\s)\/[ck]\s+([\s\S]+)$/i.exec(listText)?.[1] : undefined;
          const run = (): void => {
            if (shellCode !== undefined) analysis.analyseNested(shellCode.replace(/^"([\s\S]*)"$/, '$1'), program === 'cmd' ? 'cmd' : 'pwsh', carrier);
            else analysis.analyseNested([quotePwsh(file.value), listText].join(' ').trim(), 'pwsh', carrier);
          };
          if (elevate) analysis.runElevated(run);
          else run();
        }
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
  return false;
}
