// macOS system and security state: Time Machine, the application firewall, Gatekeeper and its
// quarantine flag, launchd jobs, NVRAM boot arguments, FileVault and preference domains that hold
// protections. The same operations on Linux and Windows get the same levels (firewall off is
// critical everywhere; deleting every backup snapshot is critical like `vssadmin delete shadows`).
import type { SimpleCommand } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { displayText, isDynamic } from '../markers';

const lowerArgs = (cmd: SimpleCommand): string[] => cmd.args.map((w) => foldLookalikes(w.value).toLowerCase());

/** Time Machine: deleting backups, every local snapshot, or turning backups off. */
export function judgeTmutil(cmd: SimpleCommand, analysis: Analysis): void {
  const v = lowerArgs(cmd);
  const verb = v[0] ?? '';
  if (verb === 'delete') {
    // `for s in $(tmutil listbackups); do tmutil delete "$s"`: every backup there is.
    const every = cmd.args.some((w) => isDynamic(w.value) && /listbackups|listlocalsnapshots/.test(displayText(w.value))) || v.includes('--all');
    analysis.effect({ kind: every ? 'infra-delete' : 'delete', whole: every, severity: 'normal', target: { type: 'resource', value: every ? 'every Time Machine backup' : cmd.args.slice(1).map((w) => w.value).join(' ') } }, every ? 'Deletes every Time Machine backup: nothing is left to restore from.' : 'Deletes a Time Machine backup; it cannot be restored.', cmd.span, every ? 'backup.delete-all' : 'backup.delete');
    return;
  }
  if (verb === 'deletelocalsnapshots' || verb === 'thinlocalsnapshots') {
    // A volume (`/`) names all of its snapshots; a date names one.
    const all = verb === 'thinlocalsnapshots' ? /^\d{6,}$/.test(v[2] ?? '') && Number(v[2]) >= 1e9 : v[1] === undefined || v[1].startsWith('/');
    analysis.effect({ kind: all ? 'infra-delete' : 'delete', whole: all, severity: 'normal', target: { type: 'resource', value: all ? 'local snapshots' : v[1] } }, all ? 'Deletes every local Time Machine snapshot of the volume: nothing is left to roll back to.' : 'Deletes a local Time Machine snapshot.', cmd.span, all ? 'backup.delete-all' : 'backup.delete');
    return;
  }
  if (verb === 'disable' || verb === 'removedestination' || verb === 'disablelocal') {
    analysis.effect({ kind: 'security', target: { type: 'setting', value: 'Time Machine' } }, `tmutil ${verb} stops Time Machine backups; later changes and deletions can no longer be restored.`, cmd.span, 'backup.disable');
    return;
  }
  if (/^(enable|startbackup|stopbackup|setdestination|adddestination|addexclusion|removeexclusion|enablelocal|localsnapshot|setquota|restore)$/.test(verb)) {
    analysis.effect({ kind: 'setting', target: { type: 'setting', value: 'Time Machine' } }, `tmutil ${verb} changes Time Machine backups.`, cmd.span, 'known.setting');
  }
}

/** The application firewall's own tool. */
export function judgeSocketFilterFw(cmd: SimpleCommand, analysis: Analysis): void {
  const v = lowerArgs(cmd);
  const i = v.findIndex((x) => x === '--setglobalstate' || x === '--setblockall' || x === '--setstealthmode' || x === '--setallowsigned' || x === '--setallowsignedapp');
  if (v[i] === '--setglobalstate' && /^(off|0)$/.test(v[i + 1] ?? '')) {
    analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'macOS application firewall' } }, 'Turns the macOS firewall off: every listening program is open to the network.', cmd.span, 'sys.firewall-off');
    return;
  }
  if (i >= 0 || v.some((x) => /^--(add|remove|unblockapp|blockapp)$/.test(x))) analysis.effect({ kind: 'setting', target: { type: 'setting', value: 'macOS application firewall' } }, 'Changes the macOS firewall\'s settings or the programs it lets through.', cmd.span, 'sys.firewall-change');
}

/** Preference domains that hold protections, and system-wide preferences. */
const PROTECTIONS: { domain: RegExp; key: RegExp; weak: RegExp; severe: boolean; what: string }[] = [
  { domain: /com\.apple\.alf$/, key: /^globalstate$/, weak: /^(0|false|no)$/, severe: true, what: 'Turns the macOS firewall off: every listening program is open to the network' },
  { domain: /com\.apple\.launchservices$/, key: /^lsquarantine$/, weak: /^(0|false|no)$/, severe: false, what: 'Stops marking downloads as quarantined, so Gatekeeper never checks them' },
  { domain: /com\.apple\.security$/, key: /^(gkautorearm|gkautorearmdisabled)$/, weak: /^(0|false|no|1|true|yes)$/, severe: false, what: 'Keeps Gatekeeper from switching itself back on' },
  { domain: /com\.apple\.loginwindow$/, key: /^(guestenabled|autologinuser|disablefdeautologin)$/, weak: /./, severe: false, what: 'Lets people log in without a password (guest or automatic login)' },
  { domain: /com\.apple\.screensaver$/, key: /^askforpassword$/, weak: /^(0|false|no)$/, severe: false, what: 'Unlocks the screen without a password' },
  { domain: /com\.apple\.softwareupdate|com\.apple\.commerce$/, key: /^(automaticcheckenabled|automaticdownload|criticalupdateinstall|configdatainstall|autoupdate)$/, weak: /^(0|false|no)$/, severe: false, what: 'Turns off automatic security updates' },
];

export function judgeDefaults(cmd: SimpleCommand, analysis: Analysis): boolean {
  const v = lowerArgs(cmd);
  const verb = v.find((x) => !x.startsWith('-'));
  if (verb !== 'write' && verb !== 'delete' && verb !== 'import' && verb !== 'rename') return false;
  const at = v.indexOf(verb);
  const domain = v[at + 1] ?? '';
  const key = v[at + 2] ?? '';
  const value = v.slice(at + 3).filter((x) => !/^-(bool|boolean|int|integer|string|float|array|dict|date|data|array-add|dict-add)$/.test(x))[0] ?? '';
  const hit = verb === 'write' ? PROTECTIONS.find((p) => p.domain.test(domain.replace(/\.plist$/, '')) && p.key.test(key) && p.weak.test(value)) : undefined;
  if (hit) {
    analysis.effect({ kind: 'security', severity: hit.severe ? 'severe' : undefined, target: { type: 'setting', value: `${domain} ${key}` } }, `${hit.what}.`, cmd.span, hit.severe ? 'sys.firewall-off' : 'sys.security-weakened');
    return true;
  }
  // /Library/Preferences and sudo: settings for every user of the machine.
  const systemWide = domain.startsWith('/library/') || domain.startsWith('/system/') || analysis.elevated;
  analysis.effect({ kind: 'setting', severity: systemWide ? 'severe' : undefined, target: { type: 'setting', value: domain } }, `defaults ${verb} changes ${systemWide ? 'a system-wide' : 'a'} macOS setting (${displayText(domain)}).`, cmd.span, 'known.setting');
  return true;
}

/** Apple daemons that enforce security: Gatekeeper, XProtect, the firewall, code signing. */
const APPLE_SECURITY_JOB = /com\.apple\.(syspolicyd|xprotect\w*|mrt\w*|alf\w*|security\w*|trustd|amfid|taskgated|sandboxd|endpointsecurityd|auditd|softwareupdated)/;

export function judgeLaunchctl(cmd: SimpleCommand, analysis: Analysis): boolean {
  const v = lowerArgs(cmd);
  const verb = v[0] ?? '';
  const target = cmd.args.slice(1).map((w) => w.value).join(' ');
  if (/^(unload|bootout|disable|remove|stop|kill)$/.test(verb)) {
    const security = APPLE_SECURITY_JOB.test(target.toLowerCase());
    const system = /\/system\/library\/|\/library\/launchdaemons\/|^system\/|\bsystem\b|com\.apple\./i.test(target);
    analysis.effect({ kind: security ? 'security' : 'service', severity: security || system ? 'severe' : undefined, target: { type: 'service', value: target } }, security ? `launchctl ${verb} switches off a macOS security service (${target}).` : `launchctl ${verb} stops ${system ? 'a system service' : 'a background job'} (${target}).`, cmd.span, security ? 'sys.security-off' : 'sys.service-stop');
    return true;
  }
  if (/^(load|bootstrap|enable|submit|start|kickstart)$/.test(verb)) {
    const plist = cmd.args.find((w) => /\.plist$/i.test(w.value))?.value;
    const system = /^\/(library|system)\//i.test(plist ?? '') || v[1] === 'system' || analysis.elevated;
    if (verb === 'submit' || plist) {
      analysis.effect({ kind: 'persist', severity: 'normal', target: { type: 'service', value: plist ?? target } }, `launchctl ${verb} registers a job that launchd starts by itself (at login, boot or on demand)${system ? ', as root' : ''}; whatever its program is runs from now on.`, cmd.span, 'persist.launchd');
    } else analysis.effect({ kind: 'service', target: { type: 'service', value: target } }, `launchctl ${verb} starts or enables a service.`, cmd.span, 'sys.service');
    return true;
  }
  return false;
}

export function judgeNvram(cmd: SimpleCommand, analysis: Analysis): void {
  const v = lowerArgs(cmd);
  if (v.length === 0 || v.every((x) => /^-[px]+$/.test(x) || !x.includes('='))) {
    if (v.includes('-c') || v.includes('-d')) analysis.effect({ kind: 'setting', severity: 'severe', target: { type: 'setting', value: 'NVRAM' } }, 'Clears or deletes firmware (NVRAM) variables.', cmd.span, 'sys.boot-config');
    return;
  }
  const text = v.join(' ');
  if (/amfi_get_out_of_my_way|cs_enforcement_disable|amfi=0x?[0-9a-f]*[1-9a-f]|csr-active-config|-no_compat_check/.test(text)) {
    analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'boot-args' } }, 'Turns off macOS code-signing enforcement at boot: unsigned or tampered programs run with no check.', cmd.span, 'sys.security-off');
    return;
  }
  analysis.effect({ kind: 'setting', severity: 'severe', target: { type: 'setting', value: 'NVRAM' } }, 'Changes firmware (NVRAM) variables read at boot; a wrong value can stop the Mac from starting.', cmd.span, 'sys.boot-config');
}

export function judgeXattr(cmd: SimpleCommand, analysis: Analysis): void {
  const v = lowerArgs(cmd);
  if (v.every((x) => !x.startsWith('-') || /^-[lpvrsx]+$/.test(x) && !/[dcw]/.test(x))) return;
  const clears = v.some((x) => /^-[a-z]*c/.test(x));
  const quarantine = v.includes('com.apple.quarantine') && v.some((x) => /^-[a-z]*d/.test(x));
  if (quarantine || clears) {
    analysis.effect({ kind: 'security', target: { type: 'path', value: cmd.args.filter((w) => !w.value.startsWith('-') && w.value !== 'com.apple.quarantine').map((w) => w.value).join(' ') } }, 'Removes the quarantine flag, so Gatekeeper will not check these programs before they run.', cmd.span, 'sys.quarantine-off');
    return;
  }
  analysis.effect({ kind: 'write', target: { type: 'path', value: cmd.args.filter((w) => !w.value.startsWith('-')).map((w) => w.value).join(' ') } }, 'xattr changes extended attributes of files.', cmd.span, 'known.write');
}

export function judgeFdesetup(cmd: SimpleCommand, analysis: Analysis): void {
  const verb = lowerArgs(cmd)[0] ?? '';
  if (verb === 'disable') analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'FileVault' } }, 'Turns FileVault disk encryption off: anyone with the disk can read it.', cmd.span, 'sys.security-off');
  else if (/^(enable|changerecovery|removerecovery|add|remove|sync|authrestart)$/.test(verb)) analysis.effect({ kind: 'setting', severity: /remove/.test(verb) ? 'severe' : undefined, target: { type: 'setting', value: 'FileVault' } }, `fdesetup ${verb} changes FileVault disk encryption.`, cmd.span, 'known.setting');
}
