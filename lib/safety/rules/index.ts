// Which judges look at which program. A program we do not know is still read with the generic
// service-CLI grammar (a destructive verb such as `delete` in subcommand position).
// Judge modules load on first use: `cmdai check "ls"` should not pay for the database rules.
/* eslint-disable @typescript-eslint/no-require-imports */
import type { SimpleCommand } from '../command';
import type { Analysis } from '../judging';
import { interpreterFor, POSIX_SHELLS } from './programs';
import { isDynamic } from '../markers';

const fsRules = (): typeof import('./filesystem') => require('./filesystem');
const shellRules = (): typeof import('./shells') => require('./shells');
const gitRules = (): typeof import('./git') => require('./git');
const infraRules = (): typeof import('./infra') => require('./infra');
const networkRules = (): typeof import('./network') => require('./network');
const systemRules = (): typeof import('./system') => require('./system');
const dbRules = (): typeof import('./databases') => require('./databases');
const optionRules = (): typeof import('../options') => require('../options');

type Judge = (cmd: SimpleCommand, analysis: Analysis) => void;

const JUDGES = new Map<string, Judge>();
const SQL_VERBS = /^(drop|truncate|delete|update|alter|grant|insert|create|replace|merge)$/;
function register(names: string[], judge: Judge): void {
  for (const name of names) JUDGES.set(name, judge);
}

register(['rm', 'unlink', 'gio-trash'], (c, a) => fsRules().judgeRm(c, a));
// npm's rimraf (npx rimraf, a package script) is `rm -rf` in Node: its targets are judged as such.
register(['rimraf'], (c, a) => fsRules().judgeRm({ ...c, args: [{ ...c.nameWord, value: '-rf' }, ...c.args.filter((w) => !w.value.startsWith('-'))] }, a));
register(['rmdir'], (c, a) => fsRules().judgeRmdir(c, a));
register(['touch', 'mkdir'], (c, a) => fsRules().judgeCreate(c, a));
register(['shred', 'wipe'], (c, a) => fsRules().judgeShred(c, a));
register(['mkfs', 'mke2fs', 'mkswap', 'mkdosfs', 'mkntfs', 'mkexfatfs', 'newfs', 'mformat'], (c, a) => fsRules().judgeFormat(c, a));
register(['wipefs'], (c, a) => fsRules().judgeWipe(c, a));
register(['fdisk', 'sfdisk', 'gdisk', 'sgdisk', 'cfdisk', 'parted', 'blkdiscard'], (c, a) => fsRules().judgePartitioner(c, a));
register(['dd'], (c, a) => fsRules().judgeDd(c, a));
register(['chmod', 'chown', 'chgrp', 'chattr', 'setfacl'], (c, a) => fsRules().judgeChmodChown(c, a));
register(['at', 'batch'], (c, a) => shellRules().judgeScheduler(c, a));
register(['cp', 'mv', 'install', 'ln', 'tee', 'truncate', 'sed', 'gsed'], (c, a) => fsRules().judgeFileWriters(c, a));
register(['find', 'gfind'], (c, a) => fsRules().judgeFind(c, a));
register([...POSIX_SHELLS], (c, a) => shellRules().judgeShell(c, a));
register(['eval'], (c, a) => shellRules().judgeEval(c, a));
register(['source', '.'], (c, a) => shellRules().judgeSource(c, a));
register(['ssh'], (c, a) => {
  shellRules().judgeSsh(c, a);
  shellRules().judgeCommandOptions(c, a);
});
register(['vim', 'vi', 'nvim', 'view', 'ex', 'sftp'], (c, a) => shellRules().judgeCommandOptions(c, a));
register(['awk', 'gawk', 'mawk', 'nawk'], (c, a) => shellRules().judgeAwk(c, a));
register(['lua', 'luajit', 'lua5.1', 'lua5.2', 'lua5.3', 'lua5.4', 'tclsh', 'wish', 'expect', 'rscript', 'julia', 'guile', 'osascript', 'groovy', 'elixir', 'escript', 'jrunscript', 'scala'], (c, a) => shellRules().judgeOtherInterpreter(c, a));
register(['powershell', 'pwsh', 'cmd'], (c, a) => shellRules().judgeWindowsShellLauncher(c, a));
register(['git'], (c, a) => {
  gitRules().judgeGit(c, a);
  shellRules().judgeCommandOptions(c, a);
});
register(['docker', 'podman', 'nerdctl', 'buildah'], (c, a) => infraRules().judgeDocker(c, a));
register(['docker-compose', 'podman-compose'], (cmd, a) => infraRules().judgeDocker({ ...cmd, args: [{ ...cmd.nameWord, value: 'compose' }, ...cmd.args] }, a));
register(['kubectl', 'oc', 'kubecolor', 'k3s', 'microk8s'], (c, a) => infraRules().judgeKubectl(c, a));
register(['helm'], (c, a) => infraRules().judgeHelm(c, a));
register(['terraform', 'tofu', 'terragrunt', 'pulumi', 'cdk', 'cdktf', 'serverless', 'sls'], (cmd, a) => {
  infraRules().judgeTerraform(cmd, a);
  infraRules().judgeServiceCli(cmd, a);
});
register(['rsync', 'rclone'], (c, a) => infraRules().judgeSync(c, a));
register(['scp'], (c, a) => {
  fsRules().judgeCopyDestination(c, a);
  shellRules().judgeCommandOptions(c, a);
});
register(['java'], (c, a) => infraRules().judgeJava(c, a));
register(['curl', 'wget', 'wget2', 'http', 'https', 'xh', 'httpie', 'curlie'], (c, a) => networkRules().judgeHttpClient(c, a));
register(['nc', 'ncat', 'netcat', 'socat', 'telnet'], (cmd, a) => {
  networkRules().judgeNetcat(cmd, a);
  networkRules().judgeShellIntoNetwork(cmd, a);
});
register(['shutdown', 'reboot', 'halt', 'poweroff'], (c, a) => systemRules().judgePower(c, a));
register(['init', 'telinit'], (c, a) => systemRules().judgeInit(c, a));
register(['systemctl'], (c, a) => systemRules().judgeSystemctl(c, a));
register(['service', 'nginx', 'apachectl', 'apache2ctl', 'httpd'], (c, a) => systemRules().judgeServiceScript(c, a));
register(['nsupdate'], (c, a) => {
  const text = c.stdin?.kind === 'text' ? c.stdin.text : '';
  if (/^\s*(update\s+)?(delete|del)\b/im.test(text)) a.report('dns.delete', 'high', 'nsupdate deletes DNS records.', c.span);
});
register(['sysctl', 'insmod', 'rmmod', 'modprobe', 'kexec'], (c, a) => systemRules().judgeKernel(c, a));
register(['useradd', 'usermod', 'userdel', 'deluser', 'adduser', 'addgroup', 'gpasswd', 'passwd', 'chpasswd', 'visudo', 'setcap', 'groupmod', 'groupdel', 'dseditgroup', 'dscl', 'sysadminctl'], (c, a) => systemRules().judgeUserAdmin(c, a));
// auditctl -e 0 switches kernel auditing off; -D deletes every audit rule.
register(['auditctl'], (cmd, a) => {
  const v = cmd.args.map((w) => w.value);
  if (v.some((x, k) => (x === '-e' && v[k + 1] === '0') || x === '-D')) a.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: 'audit' } }, v.includes('-D') ? 'auditctl -D deletes every audit rule: nothing is recorded any more.' : 'auditctl -e 0 switches kernel auditing off.', cmd.span, 'sys.security-off');
  else if (v.some((x) => /^-[aAwW]$/.test(x) || x === '-e')) a.effect({ kind: 'setting', target: { type: 'setting', value: 'audit' } }, 'auditctl changes the audit rules.', cmd.span, 'known.setting');
});
register(['iptables', 'ip6tables', 'nft', 'ufw', 'pfctl', 'setenforce', 'ebtables', 'iptables-legacy', 'iptables-nft'], (c, a) => systemRules().judgeFirewall(c, a));
register(['crontab'], (c, a) => {
  systemRules().judgeCrontab(c, a);
  shellRules().judgeScheduler(c, a);
});
register(['kill', 'pkill', 'killall', 'killall5'], (c, a) => systemRules().judgeKill(c, a));
register(['history'], (c, a) => systemRules().judgeHistory(c, a));
register(['mount', 'umount'], (c, a) => systemRules().judgeMount(c, a));
register(['zfs', 'zpool', 'lvremove', 'vgremove', 'pvremove', 'lvreduce', 'lvresize', 'vgreduce', 'resize2fs'], (c, a) => systemRules().judgeVolumeManager(c, a));
register(['psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'cqlsh', 'snowsql', 'clickhouse-client', 'clickhouse', 'sqlcmd', 'osql'], (c, a) => dbRules().judgeSqlClient(c, a));
register(['bq'], (cmd, a) => {
  dbRules().judgeSqlClient(cmd, a);
  infraRules().judgeToolVerbs(cmd, a);
});
register(['redis-cli', 'valkey-cli', 'keydb-cli'], (c, a) => dbRules().judgeRedis(c, a));
register(['mongo', 'mongosh'], (c, a) => dbRules().judgeMongo(c, a));
register(['dropdb', 'dropuser', 'mysqladmin', 'pg_restore', 'pg_dropcluster'], (c, a) => dbRules().judgeDbAdmin(c, a));
// fish: `functions -e name`, `abbr --erase x`: a definition removed from the session (a setting).
register(['functions', 'abbr'], (cmd, a) => {
  if (cmd.args.some((w) => /^(-e|--erase)$/.test(w.value))) a.effect({ kind: 'setting', target: { type: 'setting', value: cmd.args.filter((w) => !w.value.startsWith('-')).map((w) => w.value).join(' ') } }, `${cmd.name} --erase removes a ${cmd.name === 'abbr' ? 'abbreviation' : 'function'} from the shell.`, cmd.span, 'shell.erase-definition');
});
const macRules = (): typeof import('./macos') => require('./macos');
register(['tmutil'], (c, a) => macRules().judgeTmutil(c, a));
register(['socketfilterfw'], (c, a) => macRules().judgeSocketFilterFw(c, a));
register(['defaults'], (c, a) => void macRules().judgeDefaults(c, a));
register(['launchctl'], (c, a) => void macRules().judgeLaunchctl(c, a));
register(['nvram'], (c, a) => macRules().judgeNvram(c, a));
register(['xattr'], (c, a) => macRules().judgeXattr(c, a));
register(['fdesetup'], (c, a) => macRules().judgeFdesetup(c, a));
register(['csrutil', 'spctl'], (cmd, a) => {
  const words = cmd.args.map((w) => w.value.toLowerCase());
  // `csrutil enable --without kext` keeps SIP on in name only; `spctl kext-consent disable` lets any kernel extension load.
  if ((cmd.name === 'csrutil' && (words[0] === 'disable' || (words[0] === 'authenticated-root' && words[1] === 'disable') || (words[0] === 'enable' && words.includes('--without')))) || (cmd.name === 'spctl' && (words.some((w) => /^--(master-disable|global-disable|disable)$/.test(w)) || (words[0] === 'kext-consent' && words[1] === 'disable')))) {
    a.effect({ kind: 'security', severity: 'severe', target: { type: 'setting', value: cmd.name === 'csrutil' ? 'System Integrity Protection' : 'Gatekeeper' } }, `${cmd.name} ${cmd.args.map((w) => w.value).join(' ')} turns off a macOS protection for the whole system.`, cmd.span, 'sys.security-off');
  }
});
register(['wsl'], (cmd, a) => {
  const i = cmd.args.findIndex((w) => /^--unregister$/i.test(w.value));
  // `wsl [-d distro] [-u user] [--] command` / `wsl -e command`: a Linux command; /mnt/<drive> is that Windows drive.
  const run = cmd.args.findIndex((w, k) => w.value === '--' || w.value === '-e' || w.value === '--exec' || (!w.value.startsWith('-') && !/^-(d|u|-distribution|-user|-cd)$/i.test(cmd.args[k - 1]?.value ?? '')));
  if (i < 0 && run >= 0) {
    const words = cmd.args.slice(cmd.args[run].value.startsWith('-') ? run + 1 : run);
    if (words.length) {
      const text = words.map((w) => (/[\s'"$`;&|<>()]/.test(w.value) ? `'${w.value.replace(/'/g, `'\\''`)}'` : w.value)).join(' ');
      const carrier = { start: words[0].span.start, end: words[words.length - 1].span.end };
      const user = cmd.args.findIndex((w) => /^(-u|--user)$/i.test(w.value));
      const asRoot = user >= 0 && cmd.args[user + 1]?.value === 'root';
      const drives = 'cdefgh'.split('').map((d) => ({ dst: `/mnt/${d}`, src: `${d.toUpperCase()}:\\` }));
      const go = (): void => a.runInContainer(drives, '/', () => a.analyseNested(text, 'posix', carrier), true);
      if (asRoot) a.runElevated(go);
      else go();
    }
    return;
  }
  if (i >= 0) a.effect({ kind: 'infra-delete', whole: true, unconfirmed: true, target: { type: 'resource', value: cmd.args[i + 1]?.value ?? 'WSL distribution' } }, `wsl --unregister deletes the WSL distribution "${cmd.args[i + 1]?.value ?? ''}" and every file in it, without asking.`, cmd.span, 'win.wsl-unregister');
});
register(['ansible', 'ansible-playbook'], (cmd, a) => {
  infraRules().judgeToolVerbs(cmd, a);
  const values = cmd.args.map((w) => w.value);
  if (values.some((v) => /^(--check|-C|--list-hosts|--list-tasks|--syntax-check|--version|--help)$/.test(v))) return;
  const become = values.some((v) => /^(-b|--become|-[a-zA-Z]*b[a-zA-Z]*)$/.test(v) && v !== '-bash') || values.some((v) => /become[:=]\s*(yes|true)/i.test(v));
  // `-m shell|command|raw -a 'CMD'`: CMD runs on every host of the pattern (as root with -b).
  const module = values[values.findIndex((v) => v === '-m' || v === '--module-name') + 1];
  const moduleArgs = cmd.args[cmd.args.findIndex((w) => w.value === '-a' || w.value === '--args') + 1];
  if (cmd.name === 'ansible' && /^(ansible\.builtin\.)?(shell|command|raw)$/.test(module ?? '') && moduleArgs && !isDynamic(moduleArgs.value)) {
    const run = (): void => a.analyseNested(moduleArgs.value, 'posix', moduleArgs.span);
    if (become) a.runElevated(run);
    else run();
  }
  if (become || cmd.name === 'ansible-playbook') a.effect({ kind: 'exec-local', severity: become ? 'severe' : undefined, target: { type: 'host', value: values.find((v) => !v.startsWith('-')) ?? '' } }, become ? `${cmd.name} runs tasks as root on remote hosts.` : `${cmd.name} runs tasks on remote hosts.`, cmd.span, become ? 'remote.root-command' : 'remote.command');
});
register(['diskutil'], (cmd, a) => {
  const verb = cmd.args[0]?.value.toLowerCase() ?? '';
  if (/^(erasedisk|erasevolume|zerodisk|randomdisk|secureerase|partitiondisk|reformat|apfs)$/.test(verb) && (verb !== 'apfs' || /delete|erase/i.test(cmd.args[1]?.value ?? ''))) {
    a.report('disk.format', 'critical', `diskutil ${cmd.args[0].value} erases a disk or volume.`, cmd.span);
  }
});
// Drive firmware erase commands: the whole device, at once, below the filesystem.
register(['hdparm', 'nvme', 'sg_format', 'sg_sanitize', 'nvme-cli'], (cmd, a) => {
  const v = cmd.args.map((w) => w.value.toLowerCase());
  const erase = cmd.name.startsWith('sg_') || (cmd.name === 'hdparm' && v.some((x) => /^--(security-erase|security-erase-enhanced|trim-sector-ranges|dco-restore|write-sector|make-bad-sector)/.test(x))) || (cmd.name.startsWith('nvme') && /^(format|sanitize|delete-ns|detach-ns)$/.test(v[0] ?? ''));
  if (erase) a.report('disk.wipe', 'critical', `${cmd.name} ${v[0] ?? ''} erases the drive in its firmware; nothing on it can be recovered.`, cmd.span);
  else if (cmd.name === 'hdparm' && v.some((x) => /^-[a-z]*[sSBMW]/i.test(x) && !/^-[a-z]*[iItT]/.test(x))) a.report('disk.settings', 'high', 'hdparm changes drive settings (power, caching, security).', cmd.span);
});
register(['cryptsetup'], (cmd, a) => {
  if (cmd.args.some((w) => /^(luksformat|erase|luksErase|reencrypt|luksKillSlot)$/i.test(w.value))) a.report('disk.wipe', 'critical', `cryptsetup ${cmd.args.find((w) => /^(luksformat|erase|lukserase|reencrypt|lukskillslot)$/i.test(w.value))!.value} destroys the encrypted volume's keys or contents.`, cmd.span);
});
register(['mdadm'], (cmd, a) => {
  if (cmd.args.some((w) => /^(--zero-superblock|--create|-C)$/.test(w.value))) a.report('disk.wipe', 'critical', 'mdadm re-creates or wipes RAID metadata; the disks\' data can be lost.', cmd.span);
  else if (cmd.args.some((w) => /^(--stop|-S|--remove|-r|--fail|-f)$/.test(w.value))) a.report('disk.raid-change', 'high', 'mdadm stops an array or removes a disk from it; data on the array becomes unavailable or unprotected.', cmd.span);
});
register(['btrfs', 'xfs_repair', 'e2fsck', 'fsck'], (cmd, a) => {
  if (cmd.args.some((w) => /^(--repair|-y|rescue|zero-log)$/.test(w.value)) || (cmd.name === 'xfs_repair' && cmd.args.some((w) => w.value === '-L'))) {
    a.report('disk.repair', 'high', `${cmd.name} rewrites filesystem metadata; on a mounted or healthy filesystem this can lose data.`, cmd.span);
    return;
  }
  infraRules().judgeServiceCli(cmd, a, cmd.name, true);
});
register(['tar', 'bsdtar', 'unzip', '7z', 'cpio'], (cmd, a) => {
  if (cmd.name === 'tar') shellRules().judgeCommandOptions(cmd, a);
  const { optionValue } = optionRules();
  const dir = cmd.name === 'unzip' ? optionValue(cmd.args, 'd', []) : optionValue(cmd.args, 'C', ['--directory']);
  const extracting = cmd.name !== 'tar' && cmd.name !== 'bsdtar' ? true : cmd.args.some((w) => /^-?[a-zA-Z]*x/.test(w.value) || w.value === '--extract');
  if (dir && extracting) fsRules().judgeWriteTarget(a, a.classify(dir.value), dir.value, dir, 'Extracts files over', 'overwrite');
});

const SERVICE_CLIS = [
  'aws', 'gcloud', 'gsutil', 'az', 'vault', 'op', 'doppler', 'velero', 'nats', 'rabbitmqctl', 'rabbitmqadmin', 'circleci', 'gh',
  'glab', 'gitlab-runner', 'heroku', 'fly', 'flyctl', 'vercel', 'netlify', 'firebase', 'doctl', 'linode-cli', 'oci', 'ibmcloud',
  's3cmd', 'mc', 'consul', 'nomad', 'etcdctl', 'influx', 'supabase', 'wrangler', 'railway', 'eksctl', 'kops', 'kind', 'minikube',
  'k3d', 'argocd', 'flux', 'istioctl', 'linkerd', 'skaffold', 'tkn', 'openstack', 'hcloud', 'scw', 'civo', 'aliyun', 'yc',
  'databricks', 'stripe', 'auth0', 'okta', 'sentry-cli', 'restic', 'borg', 'borgmatic', 'kopia', 'duplicity', 'rclone',
  'kafka-topics', 'kafka-consumer-groups', 'kafka-acls', 'kafka-configs', 'kafka-delete-records', 'kafka-streams-application-reset',
  'gsutil', 'azcopy', 'b2', 'wasabi', 'minio', 'cf', 'juju', 'lxc', 'incus', 'multipass', 'vagrant', 'virsh', 'qm', 'pct', 'pvesh',
  'gcloud-storage', 'cloudflared', 'tailscale', 'zerotier-cli', 'pulumi', 'ansible', 'salt', 'chef', 'knife', 'puppet', 'nix-collect-garbage',
];
for (const name of SERVICE_CLIS) if (!JUDGES.has(name)) JUDGES.set(name, (c, a) => infraRules().judgeToolVerbs(c, a));

/** Programs whose arguments are data (patterns, text, file names to read), never actions. */
const DATA_COMMANDS = new Set([
  'echo', 'printf', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'awk', 'gawk', 'mawk', 'cat', 'bat', 'less', 'more', 'head', 'tail',
  'wc', 'sort', 'uniq', 'cut', 'tr', 'jq', 'yq', 'man', 'which', 'whereis', 'type', 'hash', 'whatis', 'apropos', 'info', 'help',
  'test', '[', '[[', 'true', 'false', ':', 'touch', 'mkdir', 'ls', 'cd', 'pwd', 'diff', 'cmp', 'file', 'stat', 'du', 'df', 'date',
  'cal', 'sleep', 'basename', 'dirname', 'realpath', 'readlink', 'export', 'set', 'unset', 'alias', 'unalias', 'read', 'printenv',
  'logger', 'notify-send', 'say', 'espeak', 'figlet', 'cowsay', 'banner', 'yes', 'seq', 'expr', 'bc', 'dc', 'column', 'fold', 'fmt',
  'nl', 'pr', 'od', 'hexdump', 'xxd', 'strings', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum', 'base64', 'base32', 'tee', 'tac',
  'paste', 'join', 'comm', 'split', 'csplit', 'look', 'id', 'whoami', 'hostname', 'uname', 'uptime', 'w', 'who', 'last', 'ps', 'top',
  'htop', 'free', 'vmstat', 'iostat', 'lsof', 'lsblk', 'blkid', 'ifconfig', 'ping', 'traceroute', 'dig', 'nslookup', 'host',
  'netstat', 'ss', 'clear', 'reset', 'tput', 'stty', 'locale', 'getent', 'zgrep', 'zcat', 'xargs', 'local', 'declare', 'typeset',
  'readonly', 'shift', 'return', 'exit', 'break', 'continue', 'wait', 'jobs', 'fg', 'bg', 'disown', 'trap', 'umask', 'ulimit', 'getopts',
  'vim', 'vi', 'nano', 'emacs', 'code', 'open', 'xdg-open', 'tldr', 'nproc', 'env', 'printenv',
  'gzip', 'gunzip', 'bzip2', 'xz', 'zip', 'tree', 'watch', 'time', 'timeout', 'nohup', 'iconv',
  // A command named as the subject of a help or lookup command is not called.
  'get-help', 'get-command', 'gcm', 'get-member', 'gm', 'show-command', 'get-alias', 'gal', 'tldr', 'cheat',
]);

const knowledgeRules = (): typeof import('./knowledge') => require('./knowledge');

const wholeRules = (): typeof import('./whole-resources') => require('./whole-resources');
const DELETING_WORD = /delete|destroy|drop|\brb\b|remove|\brm\b|\bdel\b|\bun\b|purge|wipe|terminate|flush|reset|nuke|erase|close|cancel|truncate|clear|empty|disable|deprovision|decommission|obliterate|uninstall|^down$/i;

/** `--help` makes a program print help and exit; a dry run shows what it would do. */
const ONLY_SHOWS = /^(--help|--dry-run|--dryrun|--what-if|-whatif|--simulate|--noop|--dry-run=(client|server|true))$/i;

/** Dry-run spellings that belong to one program (apt-get's `-s` simulates; elsewhere `-s` means other things). */
const APT_SIMULATE = /^(-[a-zA-Z]*s[a-zA-Z]*|--just-print|--recon|--no-act)$/;
const PROGRAM_DRY_RUN = new Map<string, RegExp>([
  ['apt-get', APT_SIMULATE],
  ['apt', APT_SIMULATE],
  ['aptitude', /^-[a-zA-Z]*s[a-zA-Z]*$/],
  ['dnf', /^--assumeno$/],
  ['yum', /^--assumeno$/],
]);

export function judgeCommand(cmd: SimpleCommand, analysis: Analysis): void {
  const programDryRun = PROGRAM_DRY_RUN.get(cmd.name);
  const shows = cmd.args.findIndex((w) => ONLY_SHOWS.test(w.value) || (programDryRun?.test(w.value) ?? false));
  const endOfOptions = cmd.args.findIndex((w) => w.value === '--');
  if (shows >= 0 && (endOfOptions < 0 || shows < endOfOptions) && !POSIX_SHELLS.has(cmd.name) && !interpreterFor(cmd.name)) {
    if (cmd.redirects.length) fsRules().judgeRedirects(cmd, analysis, false);
    return;
  }
  judgeByProgram(cmd, analysis);
  if (cmd.args.some((w) => DELETING_WORD.test(w.value)) && wholeRules().appliesTo(cmd, JUDGES.has(cmd.name))) wholeRules().judgeWholeDeletion(cmd, analysis);
  if (cmd.dialect === 'pwsh' && cmd.name.startsWith('remove-') && analysis.findingsSinceJudge === 0) wholeRules().judgePwshRemoval(cmd, analysis);
  // A SQL client we do not know (`cockroach sql -e`, `surreal sql`): a whole database dropped in its text.
  if (analysis.findingsSinceJudge === 0 && !DATA_COMMANDS.has(cmd.name) && !POSIX_SHELLS.has(cmd.name) && !interpreterFor(cmd.name) && !/^(powershell|pwsh|cmd|git|ssh)$/.test(cmd.name)) {
    // The statement is the value of a query option, or follows a `sql`/`query`/`shell` subcommand.
    const sql = cmd.args.find((w, k) => /^\s*(drop|remove)\s+(database|schema|keyspace|namespace)\b/i.test(w.value) && (/^(-e|-c|-q|-x|--execute|--exec|--query|--command|--sql|--eval)$/.test(cmd.args[k - 1]?.value ?? '') || cmd.args.slice(0, k).some((p) => /^(sql|query|shell|exec|execute)$/.test(p.value))));
    if (sql) analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: true, target: { type: 'resource', value: 'database' } }, `${cmd.name} runs "${sql.value.trim().slice(0, 60)}", which drops a whole database.`, sql.span, 'db.drop-database');
  }
  // Nothing more specific was found: the knowledge base says whether it only reads, or what it changes.
  if (analysis.findingsSinceJudge === 0) knowledgeRules().judgeByKnowledge(cmd, analysis);
}

function judgeByProgram(cmd: SimpleCommand, analysis: Analysis): void {
  if ((cmd.dialect === 'pwsh' || cmd.dialect === 'cmd') && (require('../windows/rules') as typeof import('../windows/rules')).judgeWindowsCommand(cmd, analysis)) return;
  const interpreter = POSIX_SHELLS.has(cmd.name) || interpreterFor(cmd.name) !== undefined;
  if (!interpreter && cmd.redirects.length) fsRules().judgeRedirects(cmd, analysis, false);
  const judge = JUDGES.get(cmd.name) ?? (interpreterFor(cmd.name) ? interpreterJudge : undefined);
  if (judge) {
    judge(cmd, analysis);
    return;
  }
  if (cmd.name.startsWith('mkfs.') || cmd.name.startsWith('newfs_') || cmd.name.startsWith('mkfs_')) {
    fsRules().judgeFormat(cmd, analysis);
    return;
  }
  if (!cmd.name || DATA_COMMANDS.has(cmd.name)) return;
  if (SQL_VERBS.test(cmd.name) && cmd.source) {
    // Bare SQL typed as a command (`DROP TABLE users;`): read it as the SQL it is.
    dbRules().judgeBareSql(cmd, analysis);
    return;
  }
  infraRules().judgeServiceCli(cmd, analysis, cmd.name, true);
}

function interpreterJudge(cmd: SimpleCommand, analysis: Analysis): void {
  shellRules().judgeInterpreter(cmd, analysis);
  if (cmd.name.startsWith('perl') || cmd.name.startsWith('ruby')) fsRules().judgeFileWriters(cmd, analysis);
}

/**
 * Loads every judge module now instead of on first use: for a caller with idle time before the
 * command it must assess (a model still writing it), so that assessment pays for no module load.
 */
export function loadAllJudges(): void {
  for (const load of [fsRules, shellRules, gitRules, infraRules, networkRules, systemRules, dbRules, optionRules, macRules, knowledgeRules, wholeRules]) load();
}
