// Whole-machine operations: power, kernel, users and privileges, firewalls, scheduled jobs, processes.
import type { SimpleCommand } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { positionals, shortFlags } from '../options';

const PRIVILEGED_GROUPS = /^(sudo|wheel|admin|root|adm|docker|lxd|disk|shadow|kmem|libvirt|staff|administrators)$/i;

export function judgePower(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.args.some((w) => /^(--help|--version)$/.test(w.value))) return;
  if (cmd.name === 'shutdown' && cmd.args.some((w) => w.value === '-c')) return; // cancels a pending shutdown
  analysis.report('sys.power', 'high', `${cmd.name} stops or restarts the machine; unsaved work and running services are interrupted.`, cmd.span);
}

export function judgeInit(cmd: SimpleCommand, analysis: Analysis): void {
  const level = cmd.args[0]?.value;
  if (level !== undefined && /^[016sS]$/.test(level)) analysis.report('sys.power', 'high', `${cmd.name} ${level} changes the run level (halts, reboots or drops to single-user mode).`, cmd.span);
}

export function judgeSystemctl(cmd: SimpleCommand, analysis: Analysis): void {
  const words = positionals(cmd.args, { short: 'tpPHMsno', long: ['--type', '--property', '--host', '--machine', '--signal', '--lines', '--output', '--root'] }).map((w) => w.value.toLowerCase());
  const verb = words[0];
  if (!verb) return;
  if (/^(poweroff|reboot|halt|kexec|rescue|emergency|suspend|hibernate|soft-reboot)$/.test(verb) || (verb === 'isolate' && /rescue|emergency|poweroff|reboot|halt/.test(words[1] ?? ''))) {
    analysis.report('sys.power', 'high', `systemctl ${verb} stops, restarts or suspends the machine.`, cmd.span);
  } else if (/^(stop|disable|mask|kill)$/.test(verb) && words.slice(1).some((u) => /^(auditd|apparmor|selinux|fail2ban|clamav|clamd|falcon-sensor|wazuh|osqueryd|crowdsec|aide|tripwire|ossec|sysdig|falco|firewalld|ufw|nftables|iptables|ip6tables|netfilter-persistent|shorewall|csf|lfd|mdatp|sentinelone|cbagentd|elastic-agent|auditbeat)/.test(u))) {
    analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'service', value: words.slice(1).join(' ') } }, `systemctl ${verb} ${words.slice(1).join(' ')}: turns a security protection (mandatory access control, auditing, intrusion detection or antivirus) off.`, cmd.span, 'sys.security-off');
  } else if (/^(stop|disable|mask|kill)$/.test(verb) && words.slice(1).some((u) => /^(ssh|sshd|systemd-|dbus|network|networkmanager|getty|gdm|lightdm)/.test(u))) {
    analysis.report('sys.critical-service', 'high', `systemctl ${verb} ${words.slice(1).join(' ')}: stopping this service can cut off access to the machine or its protections.`, cmd.span);
  } else if (/^(stop|disable|mask|kill)$/.test(verb) && words.length > 1) {
    analysis.report('sys.service-stop', 'high', `systemctl ${verb} ${words.slice(1).join(' ')}: the service stops, and whatever depends on it goes down.`, cmd.span);
  } else if (/^(stop|disable|mask|kill|restart|enable|start|daemon-reload|reload|edit|set-default|isolate)$/.test(verb)) {
    analysis.report('sys.service', 'moderate', `systemctl ${verb} changes which services run.`, cmd.span);
  }
}

export function judgeKernel(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.name === 'sysctl') {
    const writes = cmd.args.some((w) => w.value === '-w' || /^-[a-z]*p/.test(w.value) || w.value === '--system' || (/=/.test(w.value) && !w.value.startsWith('-')));
    if (writes) analysis.report('sys.kernel-param', 'high', 'Changes kernel parameters of the running system.', cmd.span);
    return;
  }
  if (cmd.name === 'modprobe' && !cmd.args.some((w) => /^(-r|--remove|-[a-z]*r)$/.test(w.value))) {
    if (cmd.args.some((w) => /^(-n|--dry-run|-c|--showconfig|--show-depends|-D)$/.test(w.value))) return;
  }
  if (cmd.name === 'kexec' && !cmd.args.some((w) => /^(-e|--exec|-f|--force)$/.test(w.value))) {
    analysis.report('sys.kernel-module', 'high', 'Loads a new kernel to boot into.', cmd.span);
    return;
  }
  if (cmd.name === 'kexec') {
    analysis.report('sys.power', 'critical', 'Boots straight into another kernel right now, killing everything running.', cmd.span);
    return;
  }
  if (cmd.args.some((w) => /^(--help|-h|--version|-V)$/.test(w.value))) return;
  analysis.report('sys.kernel-module', 'high', `${cmd.name} loads or removes kernel code in the running kernel.`, cmd.span);
}

export function judgeUserAdmin(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => foldLookalikes(w.value));
  const flags = shortFlags(cmd.args);
  const groupsArg = (() => {
    for (let i = 0; i < values.length; i++) {
      if (/^-[a-zA-Z]*G$/.test(values[i]) || values[i] === '--groups' || values[i] === '-g' || values[i] === '--gid') return values[i + 1];
      if (values[i].startsWith('--groups=')) return values[i].slice(9);
    }
    return undefined;
  })();
  // `-u 0`, `-ou 0`, `-u0`, `--uid=0`: an account with root's user ID.
  const uidZero = values.some((v, i) => ((/^-[a-zA-Z]*u$/.test(v) || v === '--uid') && /^0+$/.test(values[i + 1] ?? '')) || /^(-[a-zA-Z]*u|--uid=)0+$/.test(v));
  if (uidZero) {
    analysis.report('priv.uid-zero', 'critical', 'Gives an account user ID 0: a second root account.', cmd.span);
    return;
  }
  if (groupsArg && groupsArg.split(',').some((g) => PRIVILEGED_GROUPS.test(g))) {
    analysis.report('priv.group-grant', 'high', `Adds an account to a privileged group (${groupsArg}), granting administrator-level access.`, cmd.span);
    return;
  }
  // `usermod -p '' root`, `useradd -p "" x`: an account anyone can log in to without a password.
  const password = values.findIndex((v) => /^-[a-zA-Z]*p$/.test(v) || v === '--password');
  if ((cmd.name === 'usermod' || cmd.name === 'useradd') && password >= 0 && (values[password + 1] === '' || values[password + 1] === '""' || values[password + 1] === "''" || /^-[a-zA-Z]*p$/.test(values[password]) && values[password + 1] === undefined)) {
    const user = values[values.length - 1];
    const root = user === 'root' || (uidZero as boolean);
    analysis.effect({ kind: 'account', severity: root ? 'severe' : 'normal', target: { type: 'account', value: user } }, root ? "Gives root an empty password: anyone at this machine can become root without one." : `Gives "${user}" an empty password: anyone can log in as it.`, cmd.span, root ? 'priv.root-empty-password' : 'priv.empty-password');
    return;
  }
  switch (cmd.name) {
    case 'sysadminctl':
    case 'dscl':
      judgeMacAccounts(cmd, values, analysis);
      return;
    case 'userdel':
    case 'deluser': {
      const withHome = flags.has('r') || values.includes('--remove') || values.includes('--remove-home') || values.includes('--remove-all-files');
      // With its home directory: a whole home deleted, like rm -rf /home/NAME.
      if (withHome) analysis.effect({ kind: 'delete', op: 'delete', scope: 'recursive', force: true, target: { type: 'path', value: '/home/' + (positionals(cmd.args, {}).pop()?.value ?? ''), pathClass: 'home' } }, 'Deletes a user account and its home directory with all its files.', cmd.span, 'user.delete-with-home');
      else analysis.report('user.delete', 'high', 'Deletes a user account (its id, groups and settings cannot be brought back).', cmd.span);
      return;
    }
    case 'gpasswd':
      if (values.some((v) => v === '-a' || v === '-M' || v === '--add' || v === '--members') && values.some((v) => PRIVILEGED_GROUPS.test(v))) {
        analysis.report('priv.group-grant', 'high', 'Adds an account to a privileged group, granting administrator-level access.', cmd.span);
      }
      return;
    case 'adduser':
    case 'addgroup':
      if (values.length >= 2 && PRIVILEGED_GROUPS.test(values[values.length - 1]) && !values[values.length - 1].startsWith('-')) {
        analysis.report('priv.group-grant', 'high', `Adds an account to the privileged group "${values[values.length - 1]}".`, cmd.span);
        return;
      }
      analysis.report('user.add', 'moderate', 'Creates an account.', cmd.span);
      return;
    case 'useradd':
    case 'usermod':
    case 'groupmod':
    case 'groupdel':
      analysis.report('user.modify', 'moderate', `${cmd.name} changes user accounts or groups.`, cmd.span);
      return;
    case 'passwd':
      if (values.some((v) => /^(-d|--delete)$/.test(v))) {
        const user = positionals(cmd.args, {}).map((w) => w.value)[0];
        // No user name: the caller's own account, which is root under sudo.
        const root = user === 'root' || (user === undefined && analysis.elevated);
        if (root) analysis.effect({ kind: 'account', severity: 'severe', target: { type: 'account', value: 'root' } }, "Removes root's password: anyone at this machine can become root without one.", cmd.span, 'priv.root-empty-password');
        else analysis.report('priv.empty-password', 'high', 'Removes the password: the account can be used without one.', cmd.span);
      }
      else if (values.some((v) => /^(-S|--status)$/.test(v))) return;
      else analysis.report('user.password', 'moderate', 'Changes a password.', cmd.span);
      return;
    case 'chpasswd': {
      // `echo 'root:secret' | chpasswd`: root's password replaced by one written in the command (and
      // the shell history); `user:` with nothing after the colon empties it.
      const text = cmd.stdin?.kind === 'text' ? cmd.stdin.text : '';
      const lines = text.split('\n').filter((l) => l.includes(':')).map((l) => l.trim().split(':'));
      const rootLine = lines.find(([u]) => u === 'root');
      if (rootLine) {
        analysis.effect({ kind: 'account', severity: 'severe', target: { type: 'account', value: 'root' } }, rootLine[1] ? "Sets root's password to one written in this command (and your shell history): whoever reads it is root." : "Removes root's password: anyone at this machine can become root.", cmd.span, rootLine[1] ? 'priv.root-password' : 'priv.root-empty-password');
        return;
      }
      analysis.report(lines.some(([, p]) => p === '') ? 'priv.empty-password' : 'user.password', 'high', lines.some(([, p]) => p === '') ? 'Removes account passwords: the accounts can be used without one.' : 'Sets passwords for accounts in bulk.', cmd.span);
      return;
    }
    case 'visudo': {
      // `echo 'x ALL=(ALL) NOPASSWD:ALL' | EDITOR='tee -a' visudo`: the piped text lands in sudoers.
      const text = cmd.stdin?.kind === 'text' ? cmd.stdin.text : undefined;
      if (text !== undefined && /\bALL\s*=|NOPASSWD/i.test(text)) analysis.effect({ kind: 'privilege', severity: 'severe', target: { type: 'path', value: '/etc/sudoers' } }, 'Writes a sudo rule that gives root to an account (without a password when NOPASSWD): a way in for whoever uses it.', cmd.span, 'priv.sudoers-grant');
      else if (cmd.stdin) analysis.report('priv.sudoers', 'high', 'Writes piped text into sudoers, which decides who may become root.', cmd.span);
      else analysis.report('priv.sudoers', 'moderate', 'Edits who may use sudo.', cmd.span);
      return;
    }
    case 'setcap':
      analysis.report('priv.capabilities', 'high', 'Gives a program kernel capabilities (root powers) when it runs.', cmd.span);
      return;
    case 'dseditgroup':
      if (values.some((v) => /^(admin|wheel)$/.test(v)) && values.includes('-a')) analysis.report('priv.group-grant', 'high', 'Adds an account to the macOS admin group.', cmd.span);
      return;
  }
}

/** macOS directory services: `dscl . -create /Users/x UniqueID 0`, `-passwd /Users/root ''`,
 *  `-append /Groups/admin GroupMembership x`; `sysadminctl -addUser x -admin`. */
function judgeMacAccounts(cmd: SimpleCommand, values: string[], analysis: Analysis): void {
  const lower = values.map((v) => v.toLowerCase());
  const op = lower.find((v) => /^-(create|append|merge|passwd|delete|change|list|read|readall|search|readpl|auth|authonly|diff|mcxread)$/.test(v)) ?? lower.find((v) => /^-(adduser|deleteuser|resetpasswordfor|newpassword|guestaccount|admin)$/.test(v));
  const record = values.find((v) => /^\/(users|groups)\//i.test(v)) ?? '';
  const name = record.split('/').pop() ?? '';
  if (!op || /^-(list|read|readall|search|readpl|auth|authonly|diff|mcxread)$/.test(op)) return;
  if (cmd.name === 'sysadminctl') {
    if (lower.includes('-adduser') && lower.includes('-admin')) analysis.report('priv.group-grant', 'high', 'Creates an administrator account.', cmd.span);
    else if (lower.includes('-resetpasswordfor') && lower[lower.indexOf('-resetpasswordfor') + 1] === 'root') analysis.effect({ kind: 'account', severity: 'severe', target: { type: 'account', value: 'root' } }, "Sets root's password to one written in this command.", cmd.span, 'priv.root-password');
    else if (lower.includes('-deleteuser')) analysis.effect({ kind: 'account', severity: 'normal', target: { type: 'account', value: values[lower.indexOf('-deleteuser') + 1] ?? '' } }, 'Deletes a user account.', cmd.span, 'user.delete');
    else analysis.effect({ kind: 'account', target: { type: 'account', value: values.join(' ') } }, 'sysadminctl changes user accounts.', cmd.span, 'user.modify');
    return;
  }
  const attrIndex = lower.indexOf(op) + 2;
  const attribute = lower[attrIndex] ?? '';
  if (/^(uniqueid|primarygroupid)$/.test(attribute) && /^0+$/.test(values[attrIndex + 1] ?? '') && /^\/users\//i.test(record)) {
    analysis.report('priv.uid-zero', 'critical', `Gives "${name}" ${attribute === 'uniqueid' ? 'user ID 0: a second root account' : 'the root group'}.`, cmd.span);
    return;
  }
  if (op === '-passwd' && /^\/users\//i.test(record)) {
    const newPassword = values[lower.indexOf(op) + 2];
    const empty = newPassword === undefined || newPassword === '' || newPassword === '""' || newPassword === "''";
    const root = name.toLowerCase() === 'root';
    analysis.effect({ kind: 'account', severity: root ? 'severe' : empty ? 'normal' : undefined, target: { type: 'account', value: name } }, empty ? `Gives "${name}" an empty password${root ? ': anyone at this machine can become root' : ''}.` : `Sets the password of "${name}"${root ? ' (root) to one written in this command' : ''}.`, cmd.span, root ? 'priv.root-password' : empty ? 'priv.empty-password' : 'user.password');
    return;
  }
  if ((op === '-append' || op === '-merge' || op === '-create') && /^\/groups\/(admin|wheel|staff)$/i.test(record) && /^(groupmembership|groupmembers)$/.test(attribute)) {
    analysis.report('priv.group-grant', 'high', `Adds an account to the macOS ${name} group, granting administrator rights.`, cmd.span);
    return;
  }
  if (op === '-create' && /^(ishidden)$/.test(attribute)) {
    analysis.report('priv.hidden-account', 'high', 'Hides a user account from the login window and user lists.', cmd.span);
    return;
  }
  const deletesUser = op === '-delete' && /^\/users\//i.test(record) && !attribute;
  analysis.effect({ kind: 'account', severity: deletesUser ? 'normal' : undefined, target: { type: 'account', value: name || record } }, `dscl ${op.slice(1)} changes ${/^\/groups\//i.test(record) ? 'a group' : 'a user account'} in the directory.`, cmd.span, op === '-delete' ? 'user.delete' : 'user.modify');
}

export function judgeFirewall(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => w.value);
  if (cmd.name === 'ufw') {
    const verb = values.find((v) => !v.startsWith('-'));
    if (verb === 'disable') analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'ufw' } }, 'ufw disable turns the firewall off: every listening program is open to the network.', cmd.span, 'sys.firewall-off');
    else if (verb === 'reset') analysis.report('sys.firewall-off', 'high', 'ufw reset removes every firewall rule and turns the firewall off.', cmd.span);
    return;
  }
  if (cmd.name === 'pfctl') {
    if (values.some((v) => v === '-d')) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'pf' } }, 'pfctl -d turns the packet filter (firewall) off.', cmd.span, 'sys.firewall-off');
    else if (values.some((v) => /^-(F|d)/.test(v))) analysis.report('sys.firewall-flush', 'high', 'pfctl flushes or disables the packet filter; the machine can be exposed or cut off.', cmd.span);
    return;
  }
  if (cmd.name === 'setenforce') {
    if (values[0] === '0' || /^permissive$/i.test(values[0] ?? '')) analysis.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'SELinux' } }, 'Switches SELinux enforcement off for the whole system.', cmd.span, 'sys.security-off');
    return;
  }
  if (values.some((v) => /^(-F|--flush|-X|--delete-chain|-P)$/.test(v) || v === 'flush')) {
    analysis.report('sys.firewall-flush', 'high', `${cmd.name} removes firewall rules or changes default policies; the machine can be exposed or cut off.`, cmd.span);
  } else if (values.some((v) => /^(-A|-I|-D|-R|--append|--insert|--delete|add|delete|insert)$/.test(v))) {
    analysis.report('sys.firewall-change', 'moderate', `${cmd.name} changes firewall rules.`, cmd.span);
  }
}

export function judgeCrontab(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.args.some((w) => /^-[a-zA-Z]*r/.test(w.value))) analysis.report('sys.crontab-remove', 'high', 'crontab -r deletes all of your scheduled jobs without asking.', cmd.span);
}

export function judgeKill(cmd: SimpleCommand, analysis: Analysis): void {
  // Signal 0 only checks that the process exists.
  if (cmd.args.some((w) => w.value === '-0') || cmd.args.some((w, i) => w.value === '-s' && cmd.args[i + 1]?.value === '0')) return;
  const targets = positionals(cmd.args.filter((w) => !/^-(\d+|[A-Z]+|SIG[A-Z]+)$/.test(w.value)), { short: 'sn' });
  if (cmd.name === 'kill' && (targets.some((t) => t.value === '-1' || t.value === '1') || cmd.args.some((w) => w.value === '-1' && w !== cmd.args[0]))) {
    analysis.report('sys.kill-all', 'critical', 'Sends a signal to every process (or to init): the session or the whole system goes down.', cmd.span);
    return;
  }
  if (cmd.name === 'killall5' || (cmd.name === 'pkill' && cmd.args.some((w) => w.value === '-u' || w.value.startsWith('--euid'))) || (cmd.name === 'killall' && cmd.args.some((w) => /^(-u|--user)$/.test(w.value)))) {
    analysis.report('sys.kill-many', 'high', `${cmd.name} kills many processes at once.`, cmd.span);
    return;
  }
  if (cmd.args.some((w) => /^(-l|-L|--list|--table|-V|--version|--help)$/.test(w.value))) return;
  // One process by id or name: the same effect however it is spelled (kill, pkill, killall, taskkill, Stop-Process).
  // `kill $(pgrep name)` is by name, like pkill; a list from anything else may be every process.
  const byName = (t: (typeof targets)[number]): boolean => t.producedBy?.kind === 'unknown' && /^(pgrep|pidof|cat|head|tail|jobs)$/.test(t.producedBy.tool ?? '');
  const many = targets.some((t) => (t.producedBy !== undefined || /^\uE000/.test(t.value)) && !byName(t)) || (!targets.length && !!cmd.stdin);
  analysis.effect({ kind: 'signal', scope: many ? 'several' : 'one', target: { type: 'process', value: targets.map((t) => t.value).join(' ') } }, `${cmd.name} stops or signals ${many ? 'every process another command lists' : 'a process'}; unsaved work in it is lost.`, cmd.span, 'sys.kill');
}

/** Wiping the shell's history (bash/zsh `history -c`, fish `history clear`) loses it for good. */
export function judgeHistory(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => w.value);
  if (values.includes('-c') || values[0] === 'clear' || values[0] === 'clear-session') {
    analysis.report('sys.history-clear', 'high', 'Wipes the shell history; it cannot be brought back.', cmd.span);
  } else if (values[0] === 'delete' || values.includes('-d')) {
    analysis.report('sys.history-delete', 'moderate', 'Deletes entries from the shell history.', cmd.span);
  }
}

export function judgeMount(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.name === 'umount' && cmd.args.some((w) => /^(-[a-zA-Z]*[aflR]|--all|--force|--lazy|--recursive)$/.test(w.value))) {
    analysis.report('sys.unmount-force', 'high', 'Forcibly or lazily unmounts filesystems; programs using them lose their files.', cmd.span);
  } else if (cmd.name === 'mount' && cmd.args.some((w) => /remount/.test(w.value)) && positionals(cmd.args, { short: 'otLU' }).some((w) => w.value === '/')) {
    analysis.report('sys.remount-root', 'moderate', 'Re-mounts the root filesystem with different options.', cmd.span);
  }
}

export function judgeVolumeManager(cmd: SimpleCommand, analysis: Analysis): void {
  const verb = cmd.name === 'zfs' || cmd.name === 'zpool' ? cmd.args[0]?.value : cmd.name;
  if (!verb) return;
  if (/^(destroy|lvremove|vgremove|pvremove|labelclear)$/.test(verb)) {
    analysis.report('disk.volume-destroy', 'critical', `${cmd.name === verb ? verb : `${cmd.name} ${verb}`} destroys a volume, pool or dataset and all the data on it.`, cmd.span);
  } else if (/^(rollback|lvreduce|lvresize|resize2fs|vgreduce)$/.test(verb)) {
    analysis.report('disk.volume-shrink', 'high', `${verb} can discard data (rolling back or shrinking a volume).`, cmd.span);
  }
}

/** SysV `service NAME stop` and servers' own stop switches (`nginx -s stop`). */
export function judgeServiceScript(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => w.value.toLowerCase());
  if (cmd.name === 'service' && values.length >= 2 && /^(stop|force-stop|kill)$/.test(values[1])) {
    analysis.report('sys.service-stop', 'high', `service ${cmd.args[0].value} ${values[1]}: the service stops, and whatever depends on it goes down.`, cmd.span);
  } else if (cmd.name === 'service' && values.length >= 2 && /^(restart|reload|force-reload)$/.test(values[1])) {
    analysis.report('sys.service', 'moderate', `service ${cmd.args[0].value} ${values[1]} restarts a service.`, cmd.span);
  } else if (cmd.name !== 'service') {
    const signal = values.findIndex((v) => v === '-s');
    if (signal >= 0 && /^(stop|quit)$/.test(values[signal + 1] ?? '')) analysis.report('sys.service-stop', 'high', `${cmd.name} -s ${values[signal + 1]} stops the server.`, cmd.span);
  }
}
