// Which judges look at which program. A program we do not know is still read with the generic
// service-CLI grammar (a destructive verb such as `delete` in subcommand position).
import type { SimpleCommand } from '../command';
import type { Analysis } from '../analysis';
import { judgeChmodChown, judgeDd, judgeFileWriters, judgeFind, judgeFormat, judgePartitioner, judgeRedirects, judgeRm, judgeRmdir, judgeShred, judgeWipe, judgeWriteTarget } from './filesystem';
import { interpreterFor, judgeEval, judgeInterpreter, judgeShell, judgeSource, judgeSsh, judgeWindowsShellLauncher, POSIX_SHELLS } from './shells';
import { judgeGit } from './git';
import { judgeDocker, judgeHelm, judgeJava, judgeKubectl, judgeServiceCli, judgeSync, judgeTerraform, judgeToolVerbs } from './infra';
import { judgeHttpClient, judgeNetcat, judgeShellIntoNetwork } from './network';
import { judgeCrontab, judgeFirewall, judgeHistory, judgeInit, judgeKernel, judgeKill, judgeMount, judgePower, judgeSystemctl, judgeUserAdmin, judgeVolumeManager } from './system';
import { judgeDbAdmin, judgeMongo, judgeRedis, judgeSqlClient } from './databases';
import { judgeWindowsCommand } from '../windows/rules';
import { classifyPath } from '../paths';
import { optionValue } from '../options';

type Judge = (cmd: SimpleCommand, analysis: Analysis) => void;

const JUDGES = new Map<string, Judge>();
function register(names: string[], judge: Judge): void {
  for (const name of names) JUDGES.set(name, judge);
}

register(['rm', 'unlink', 'gio-trash'], judgeRm);
register(['rmdir'], judgeRmdir);
register(['shred', 'wipe', 'srm-disk'], judgeShred);
register(['mkfs', 'mke2fs', 'mkswap', 'mkdosfs', 'mkntfs', 'mkexfatfs', 'newfs', 'mformat'], judgeFormat);
register(['wipefs'], judgeWipe);
register(['fdisk', 'sfdisk', 'gdisk', 'sgdisk', 'cfdisk', 'parted', 'blkdiscard'], judgePartitioner);
register(['dd'], judgeDd);
register(['chmod', 'chown', 'chgrp'], judgeChmodChown);
register(['cp', 'mv', 'install', 'ln', 'tee', 'truncate', 'sed', 'gsed', 'rsync-copy'], judgeFileWriters);
register(['find', 'gfind'], judgeFind);
register([...POSIX_SHELLS], judgeShell);
register(['eval'], judgeEval);
register(['source', '.'], judgeSource);
register(['ssh'], judgeSsh);
register(['powershell', 'pwsh', 'cmd'], judgeWindowsShellLauncher);
register(['git'], judgeGit);
register(['docker', 'podman', 'nerdctl'], judgeDocker);
register(['docker-compose', 'podman-compose'], (cmd, a) => judgeDocker({ ...cmd, args: [{ ...cmd.nameWord, value: 'compose' }, ...cmd.args] }, a));
register(['kubectl', 'oc', 'kubecolor', 'k3s', 'microk8s'], judgeKubectl);
register(['helm'], judgeHelm);
register(['terraform', 'tofu', 'terragrunt', 'pulumi', 'cdk', 'cdktf', 'serverless', 'sls'], (cmd, a) => {
  judgeTerraform(cmd, a);
  judgeServiceCli(cmd, a);
});
register(['rsync', 'rclone'], judgeSync);
register(['java'], judgeJava);
register(['curl', 'wget', 'wget2', 'http', 'https', 'xh', 'httpie', 'curlie'], judgeHttpClient);
register(['nc', 'ncat', 'netcat', 'socat', 'telnet'], (cmd, a) => {
  judgeNetcat(cmd, a);
  judgeShellIntoNetwork(cmd, a);
});
register(['shutdown', 'reboot', 'halt', 'poweroff'], judgePower);
register(['init', 'telinit'], judgeInit);
register(['systemctl'], judgeSystemctl);
register(['sysctl', 'insmod', 'rmmod', 'modprobe', 'kexec'], judgeKernel);
register(['useradd', 'usermod', 'userdel', 'deluser', 'adduser', 'addgroup', 'gpasswd', 'passwd', 'chpasswd', 'visudo', 'setcap', 'groupmod', 'groupdel', 'dseditgroup'], judgeUserAdmin);
register(['iptables', 'ip6tables', 'nft', 'ufw', 'setenforce', 'ebtables', 'iptables-legacy', 'iptables-nft'], judgeFirewall);
register(['crontab'], judgeCrontab);
register(['kill', 'pkill', 'killall', 'killall5'], judgeKill);
register(['history'], judgeHistory);
register(['mount', 'umount'], judgeMount);
register(['zfs', 'zpool', 'lvremove', 'vgremove', 'pvremove', 'lvreduce', 'lvresize', 'vgreduce', 'resize2fs'], judgeVolumeManager);
register(['psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'cqlsh', 'snowsql', 'clickhouse-client', 'clickhouse', 'sqlcmd', 'osql'], judgeSqlClient);
register(['bq'], (cmd, a) => {
  judgeSqlClient(cmd, a);
  judgeToolVerbs(cmd, a);
});
register(['redis-cli', 'valkey-cli', 'keydb-cli'], judgeRedis);
register(['mongo', 'mongosh'], judgeMongo);
register(['dropdb', 'dropuser', 'mysqladmin', 'pg_restore', 'pg_dropcluster'], judgeDbAdmin);
register(['diskutil'], (cmd, a) => {
  const verb = cmd.args[0]?.value.toLowerCase() ?? '';
  if (/^(erasedisk|erasevolume|zerodisk|randomdisk|secureerase|partitiondisk|reformat|apfs)$/.test(verb) && (verb !== 'apfs' || /delete|erase/i.test(cmd.args[1]?.value ?? ''))) {
    a.report('disk.format', 'critical', `diskutil ${cmd.args[0].value} erases a disk or volume.`, cmd.span);
  }
});
register(['cryptsetup'], (cmd, a) => {
  if (cmd.args.some((w) => /^(luksformat|erase|luksErase|reencrypt|luksKillSlot)$/i.test(w.value))) a.report('disk.wipe', 'critical', `cryptsetup ${cmd.args.find((w) => /^(luksformat|erase|lukserase|reencrypt|lukskillslot)$/i.test(w.value))!.value} destroys the encrypted volume's keys or contents.`, cmd.span);
});
register(['mdadm'], (cmd, a) => {
  if (cmd.args.some((w) => /^(--zero-superblock|--create|-C)$/.test(w.value))) a.report('disk.wipe', 'critical', 'mdadm re-creates or wipes RAID metadata; the disks\' data can be lost.', cmd.span);
});
register(['tar', 'bsdtar', 'unzip', '7z', 'cpio'], (cmd, a) => {
  const dir = cmd.name === 'unzip' ? optionValue(cmd.args, 'd', []) : optionValue(cmd.args, 'C', ['--directory']);
  const extracting = cmd.name !== 'tar' && cmd.name !== 'bsdtar' ? true : cmd.args.some((w) => /^-?[a-zA-Z]*x/.test(w.value) || w.value === '--extract');
  if (dir && extracting) judgeWriteTarget(a, classifyPath(dir.value), dir.value, dir, 'Extracts files over', 'overwrite');
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
for (const name of SERVICE_CLIS) if (!JUDGES.has(name)) JUDGES.set(name, judgeToolVerbs);

/** Programs whose arguments are data (patterns, text, file names to read), never actions. */
const DATA_COMMANDS = new Set([
  'echo', 'printf', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'awk', 'gawk', 'mawk', 'cat', 'bat', 'less', 'more', 'head', 'tail',
  'wc', 'sort', 'uniq', 'cut', 'tr', 'jq', 'yq', 'man', 'which', 'whereis', 'type', 'hash', 'whatis', 'apropos', 'info', 'help',
  'test', '[', '[[', 'true', 'false', ':', 'touch', 'mkdir', 'ls', 'cd', 'pwd', 'diff', 'cmp', 'file', 'stat', 'du', 'df', 'date',
  'cal', 'sleep', 'basename', 'dirname', 'realpath', 'readlink', 'export', 'set', 'unset', 'alias', 'unalias', 'read', 'printenv',
  'logger', 'notify-send', 'say', 'espeak', 'figlet', 'cowsay', 'banner', 'yes', 'seq', 'expr', 'bc', 'dc', 'column', 'fold', 'fmt',
  'nl', 'pr', 'od', 'hexdump', 'xxd', 'strings', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum', 'base64', 'base32', 'tee', 'tac',
  'paste', 'join', 'comm', 'split', 'csplit', 'look', 'id', 'whoami', 'hostname', 'uname', 'uptime', 'w', 'who', 'last', 'ps', 'top',
  'htop', 'free', 'vmstat', 'iostat', 'lsof', 'lsblk', 'blkid', 'ip', 'ifconfig', 'ping', 'traceroute', 'dig', 'nslookup', 'host',
  'netstat', 'ss', 'clear', 'reset', 'tput', 'stty', 'locale', 'getent', 'zgrep', 'zcat', 'xargs', 'local', 'declare', 'typeset',
  'readonly', 'shift', 'return', 'exit', 'break', 'continue', 'wait', 'jobs', 'fg', 'bg', 'disown', 'trap', 'umask', 'ulimit', 'getopts',
  'vim', 'vi', 'nano', 'emacs', 'code', 'open', 'xdg-open', 'bd', 'tldr', 'nproc', 'env', 'printenv', 'cowthink', 'lolcat', 'sl',
  'gzip', 'gunzip', 'bzip2', 'xz', 'zip', 'tree', 'watch', 'time', 'timeout', 'nohup', 'format', 'digit', 'legitimate', 'iconv',
]);

export function judgeCommand(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.dialect !== 'posix' && judgeWindowsCommand(cmd, analysis)) return;
  const shellLike = POSIX_SHELLS.has(cmd.name) || interpreterFor(cmd.name) !== undefined;
  if (!shellLike) judgeRedirects(cmd, analysis, false);
  const judge = JUDGES.get(cmd.name) ?? (interpreterFor(cmd.name) ? interpreterJudge : undefined);
  if (judge) {
    judge(cmd, analysis);
    return;
  }
  if (cmd.name.startsWith('mkfs.') || cmd.name.startsWith('newfs_') || cmd.name.startsWith('mkfs_')) {
    judgeFormat(cmd, analysis);
    return;
  }
  if (!cmd.name || DATA_COMMANDS.has(cmd.name)) return;
  judgeServiceCli(cmd, analysis, cmd.name, true);
}

function interpreterJudge(cmd: SimpleCommand, analysis: Analysis): void {
  judgeInterpreter(cmd, analysis);
  if (cmd.name.startsWith('perl') || cmd.name.startsWith('ruby')) judgeFileWriters(cmd, analysis);
}
