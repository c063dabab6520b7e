// The read-only knowledge base: which programs (and which of their subcommands) only look, and
// what the others do when no judge found anything more specific. A program cmdai does not know is
// "effects unknown" (moderate), never safe.
import type { SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import type { EffectFacts } from '../effects';
import type { EffectKind } from '../types';
import { displayText, isDynamic } from '../markers';
import { interpreterFor, POSIX_SHELLS } from './programs';

/** Programs that only read, whatever their arguments (options that make some of them write, such as
 *  `sort -o` or `find -delete`, are judged separately before this table is asked). */
const READ_ONLY = new Set([
  // files and text
  'ls', 'll', 'la', 'dir', 'vdir', 'exa', 'eza', 'lsd', 'tree', 'cat', 'bat', 'batcat', 'tac', 'less', 'more', 'most', 'head', 'tail', 'nl',
  'wc', 'cut', 'tr', 'paste', 'join', 'comm', 'column', 'fold', 'fmt', 'pr', 'expand', 'unexpand', 'rev', 'uniq', 'od', 'hexdump',
  'xxd', 'strings', 'file', 'stat', 'du', 'df', 'dust', 'duf', 'ncdu', 'diff', 'diff3', 'cmp', 'colordiff', 'delta', 'md5sum',
  'sha1sum', 'sha224sum', 'sha256sum', 'sha384sum', 'sha512sum', 'b2sum', 'cksum', 'sum', 'md5', 'shasum', 'base64', 'base32',
  'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'zgrep', 'zcat', 'bzcat', 'xzcat', 'zless', 'zmore', 'pdftotext', 'jq', 'yq',
  'gron', 'xmllint', 'fd', 'fdfind', 'locate', 'mlocate', 'plocate', 'which', 'whereis', 'type', 'realpath', 'readlink',
  'basename', 'dirname', 'pwd', 'namei', 'look', 'sort', 'shuf', 'seq', 'expr', 'bc', 'dc', 'factor', 'numfmt', 'printf',
  'echo', 'true', 'false', ':', 'test', '[', '[[', 'yes', 'tput', 'tty', 'fzf', 'glow', 'cloc', 'tokei', 'scc', 'wdiff', 'iconv',
  'lsattr', 'getfacl', 'wipefs', 'fdisk', 'gdisk', 'sfdisk', 'parted', 'cfdisk', 'blkdiscard-help', 'smartctl', 'hdparm-info', 'identify', 'exiftool', 'mediainfo', 'ffprobe', 'pdfinfo', 'sqlite3_analyzer', 'hexyl', 'zipinfo',
  // system information
  'ps', 'pgrep', 'pidof', 'top', 'htop', 'btop', 'atop', 'glances', 'free', 'vmstat', 'iostat', 'mpstat', 'sar', 'uptime', 'w',
  'who', 'whoami', 'id', 'groups', 'users', 'last', 'lastlog', 'finger', 'uname', 'hostname', 'lsb_release', 'arch',
  'nproc', 'lscpu', 'lsmem', 'lsblk', 'blkid', 'lspci', 'lsusb', 'lshw', 'lsmod', 'dmidecode', 'sensors', 'lsof', 'fuser',
  'date', 'cal', 'ncal', 'locale', 'printenv', 'env', 'getconf', 'ulimit', 'umask', 'dmesg',
  'sw_vers', 'system_profiler', 'vm_stat', 'ioreg', 'mdfind', 'mdls', 'pbcopy', 'pbpaste', 'lsappinfo', 'codesign-verify', 'csrutil-status', 'uptime', 'neofetch', 'fastfetch', 'screenfetch', 'inxi', 'getent',
  'findmnt', 'swapon', 'loginctl', 'who', 'watch', 'time', 'sleep', 'wait', 'jobs', 'history', 'alias', 'hash', 'help', 'man', 'info',
  'apropos', 'whatis', 'tldr', 'cheat', 'command', 'compgen', 'complete', 'declare', 'typeset', 'local', 'export', 'set', 'unset',
  'shopt', 'read', 'readonly', 'shift', 'return', 'exit', 'break', 'continue', 'getopts', 'trap', 'fg', 'bg', 'disown', 'clear', 'reset',
  'stty', 'cd', 'pushd', 'popd', 'dirs', 'chdir', 'nvidia-smi', 'free', 'pstree', 'pmap', 'ipcs', 'quota', 'last', 'logname', 'ulimit',
  'builtin', 'let', 'print', 'functions', 'where', 'whence', 'emulate', 'setopt', 'unsetopt', 'autoload', 'zmodload', 'bindkey', 'abbr',
  'contains', 'string', 'math', 'status', 'count', 'realpath', 'functions', 'type', 'random', 'cowsay', 'figlet', 'lolcat', 'banner',
  // network (looking only)
  'ping', 'ping6', 'traceroute', 'tracepath', 'mtr', 'dig', 'nslookup', 'host', 'whois', 'netstat', 'ss', 'ip', 'ifconfig', 'iwconfig',
  'route', 'arp', 'nmcli', 'resolvectl', 'curlie', 'nmap', 'openssl', 'ssh-keyscan', 'iftop', 'nethogs', 'tcpdump', 'speedtest',
  'speedtest-cli', 'iperf', 'iperf3', 'ipconfig', 'networksetup', 'scutil', 'airport',
  // development, looking only
  'node', 'python', 'python3', 'ruby', 'perl', 'php', // (only reached with --version and the like; see below)
  'tsc', 'shellcheck', 'hadolint', 'yamllint', 'jsonlint', 'pylint', 'flake8', 'mypy', 'pyright', 'ruff',
  'cppcheck', 'ldd', 'nm', 'objdump', 'readelf', 'otool', 'size', 'gdb', 'lldb',
  'hyperfine', 'strace', 'ltrace', 'perf', 'valgrind', 'code', 'subl', 'open', 'xdg-open', 'nano', 'vim', 'vi', 'nvim', 'emacs',
  'micro', 'helix', 'hx', 'kak', 'pico', 'ed', 'view', 'gitk', 'tig', 'lazygit', 'k9s', 'ctop', 'lazydocker', 'dive',
  'kubectx', 'kubens', 'stern', 'kubeval', 'kubeconform', 'trivy', 'grype', 'syft', 'semgrep', 'gitleaks', 'cowsay',
  // Windows cmd.exe and PowerShell aliases that read
  'where.exe', 'findstr', 'find.exe', 'fc', 'comp', 'ver', 'vol', 'systeminfo', 'tasklist', 'whoami.exe', 'path', 'title', 'color', 'cls',
  'gci', 'gc', 'gl', 'gps', 'gsv', 'gcm', 'gm', 'gu', 'gv', 'ghy', 'h', 'select', 'sort', 'ft', 'fl', 'fw', 'measure', 'compare',
  'sls', 'gal', 'gdr', 'gi', 'gp', 'gwmi', 'gcim', 'gjb', 'rvpa', 'cpat', 'tee-object', 'write', 'foreach', '%', '?', 'where-object',
  'foreach-object', 'group', 'diff', 'man', 'oh', 'dir', 'type', 'new-object', 'new-scheduledtasktrigger', 'new-scheduledtaskaction',
  'new-scheduledtasksettingsset', 'new-scheduledtaskprincipal', 'new-timespan', 'new-guid', 'new-pssessionoption', 'new-cimsessionoption',
]);

/** Words that, as the first subcommand of a multi-command tool, only look. */
const READ_VERBS = new Set([
  'list', 'ls', 'show', 'describe', 'get', 'view', 'status', 'info', 'inspect', 'logs', 'log', 'version', '--version', '-v', '-V',
  'help', '--help', '-h', 'search', 'explain', 'top', 'stats', 'history', 'diff', 'print', 'cat', 'whoami', 'check', 'doctor',
  'validate', 'lint', 'plan', 'outdated', 'audit', 'config-get', 'current-context', 'get-contexts', 'can-i', 'api-resources',
  'api-versions', 'cluster-info', 'events', 'port', 'ps', 'images', 'tree', 'why', 'which', 'env', 'output', 'providers', 'graph',
  'query', 'find', 'read', 'tail', 'fetch-logs', 'debug', 'dump', 'test-connection', 'ping', 'verify', 'lookup', 'whoami',
]);

/** Multi-command tools: subcommands that only look, and what the others do. */
interface ToolKnowledge {
  kind: EffectKind;
  /** What the tool's changes are, for the message. */
  what: string;
  readOnly: Set<string>;
  /** How many leading non-option words form the subcommand (`docker compose up`: 2 for compose). */
  depth?: number;
}

function tool(kind: EffectKind, what: string, readOnly: string[]): ToolKnowledge {
  return { kind, what, readOnly: new Set([...readOnly, ...READ_VERBS]) };
}

const PACKAGE_READS = ['search', 'show', 'list', 'info', 'policy', 'madison', 'depends', 'rdepends', 'showpkg', 'changelog', 'download-only', 'check', 'outdated', 'view', 'why', 'freeze', 'licenses', 'ls', 'query', 'whatprovides', 'repolist', 'provides', 'deptree', 'home', 'desc', 'deps', 'uses', 'leaves', 'config', 'doctor', 'bundle-id', 'cat', 'fund', 'explain', 'pack', 'docs', 'bugs', 'repo', 'ping', 'prefix', 'root', 'bin', 'whoami', 'help-search', 'inspect', 'environment', 'hash', 'debug', 'dry-run'];

const TOOLS: Record<string, ToolKnowledge> = {
  git: tool('vcs', 'changes the repository', ['status', 'log', 'diff', 'show', 'blame', 'grep', 'ls-files', 'ls-tree', 'ls-remote', 'rev-parse', 'rev-list', 'describe', 'shortlog', 'reflog', 'cat-file', 'whatchanged', 'name-rev', 'merge-base', 'cherry', 'count-objects', 'fsck', 'clean', 'verify-commit', 'verify-tag', 'var', 'help', 'version', 'check-ignore', 'check-attr', 'for-each-ref', 'show-ref', 'show-branch', 'range-diff', 'difftool', 'instaweb', 'annotate', 'bisect-log', 'archive']),
  docker: tool('container', 'starts, stops or changes containers or images', ['ps', 'images', 'logs', 'inspect', 'version', 'info', 'stats', 'top', 'history', 'port', 'diff', 'search', 'events', 'ls', 'df', 'config', 'context', 'buildx-ls', 'manifest', 'scout', 'sbom', 'export-ls']),
  podman: tool('container', 'starts, stops or changes containers or images', ['ps', 'images', 'logs', 'inspect', 'version', 'info', 'stats', 'top', 'history', 'port', 'diff', 'search', 'events', 'ls', 'df']),
  kubectl: tool('infra-change', 'changes cluster resources', ['get', 'describe', 'logs', 'top', 'explain', 'api-resources', 'api-versions', 'version', 'cluster-info', 'config', 'auth', 'diff', 'events', 'wait', 'completion', 'plugin', 'kustomize', 'alpha']),
  helm: tool('infra-change', 'changes releases in the cluster', ['list', 'ls', 'status', 'get', 'history', 'show', 'inspect', 'search', 'template', 'lint', 'version', 'env', 'verify', 'dependency', 'completion']),
  terraform: tool('infra-change', 'changes infrastructure', ['plan', 'show', 'validate', 'output', 'version', 'providers', 'graph', 'console', 'state-list', 'workspace-list']),
  tofu: tool('infra-change', 'changes infrastructure', ['plan', 'show', 'validate', 'output', 'version', 'providers', 'graph']),
  systemctl: tool('service', 'changes which services run', ['status', 'is-active', 'is-enabled', 'is-failed', 'list-units', 'list-unit-files', 'list-timers', 'list-sockets', 'list-dependencies', 'list-jobs', 'show', 'cat', 'get-default', 'help', 'show-environment', '--failed', '--version']),
  service: tool('service', 'changes which services run', ['--status-all', 'status']),
  launchctl: tool('service', 'changes which services run', ['list', 'print', 'print-disabled', 'blame', 'procinfo', 'help', 'version']),
  brew: tool('package', 'installs, upgrades or removes software', PACKAGE_READS),
  port: tool('package', 'installs, upgrades or removes software', PACKAGE_READS),
  apt: tool('package', 'installs, upgrades or removes software', PACKAGE_READS),
  'apt-get': tool('package', 'installs, upgrades or removes software', ['check', 'changelog', 'download', 'source']),
  'apt-cache': tool('read', '', ['search', 'show', 'policy', 'depends', 'rdepends', 'showpkg', 'madison', 'stats', 'pkgnames', 'dump']),
  dpkg: tool('package', 'installs or removes software', ['-l', '--list', '-L', '--listfiles', '-s', '--status', '-S', '--search', '-p', '--print-avail', '--print-architecture', '--get-selections', '-c', '--contents', '-I', '--info', '--compare-versions']),
  'dpkg-query': tool('read', '', []),
  rpm: tool('package', 'installs or removes software', ['-q', '-qa', '-qi', '-ql', '-qf', '--query', '-V', '--verify', '-qc', '-qd', '-qR', '--querytags']),
  yum: tool('package', 'installs, upgrades or removes software', PACKAGE_READS),
  dnf: tool('package', 'installs, upgrades or removes software', PACKAGE_READS),
  zypper: tool('package', 'installs, upgrades or removes software', [...PACKAGE_READS, 'se', 'if', 'lr', 'pa', 'packages', 'patches', 'repos']),
  pacman: tool('package', 'installs, upgrades or removes software', ['-Q', '-Qi', '-Ql', '-Qs', '-Qo', '-Qe', '-Qdt', '-Ss', '-Si', '-Sl', '-F', '-Fl', '--query']),
  yay: tool('package', 'installs, upgrades or removes software', ['-Q', '-Qi', '-Ss', '-Si']),
  apk: tool('package', 'installs, upgrades or removes software', PACKAGE_READS),
  snap: tool('package', 'installs, upgrades or removes software', [...PACKAGE_READS, 'find', 'connections', 'services', 'changes', 'version', 'aliases']),
  flatpak: tool('package', 'installs, upgrades or removes software', [...PACKAGE_READS, 'remote-ls', 'remotes', 'ps', 'history']),
  nix: tool('package', 'installs or changes software', ['search', 'show-config', 'eval', 'path-info', 'why-depends', 'log', 'flake-show', 'repl', 'build', 'develop', 'shell']),
  'nix-env': tool('package', 'installs or removes software', ['-q', '--query', '-qa']),
  pip: tool('package', 'installs or removes Python packages', PACKAGE_READS),
  pip3: tool('package', 'installs or removes Python packages', PACKAGE_READS),
  pipx: tool('package', 'installs or removes Python applications', PACKAGE_READS),
  uv: tool('package', 'installs or changes Python packages and environments', ['tree', 'version', 'pip-list', 'pip-show', 'help']),
  poetry: tool('package', 'installs or changes Python dependencies', ['show', 'check', 'search', 'version', 'env-info', 'config', 'about']),
  conda: tool('package', 'installs or removes packages', [...PACKAGE_READS, 'env-list', 'info']),
  mamba: tool('package', 'installs or removes packages', PACKAGE_READS),
  gem: tool('package', 'installs or removes Ruby gems', [...PACKAGE_READS, 'env', 'contents', 'dependency', 'specification', 'which']),
  bundle: tool('package', 'installs Ruby gems', ['list', 'show', 'outdated', 'check', 'info', 'config', 'version', 'platform', 'doctor']),
  npm: tool('package', 'installs packages or runs project scripts', [...PACKAGE_READS, 'ls', 'll', 'la', 'view', 'v', 'info', 'show', 'outdated', 'audit', 'search', 's', 'explain', 'why', 'config', 'get', 'doctor', 'help', 'version', '-v', 'query', 'sbom', 'org-ls', 'team-ls', 'access-list', 'owner-ls', 'dist-tag-ls', 'completion']),
  yarn: tool('package', 'installs packages or runs project scripts', ['list', 'info', 'why', 'outdated', 'audit', 'config', 'version', 'help', 'licenses', 'bin', 'dir', 'npm-info']),
  pnpm: tool('package', 'installs packages or runs project scripts', ['list', 'ls', 'why', 'outdated', 'audit', 'config', 'info', 'view', 'store-path', 'root', 'bin', 'licenses']),
  bun: tool('package', 'installs packages or runs code', ['pm-ls', 'outdated', '--version']),
  cargo: tool('package', 'builds, installs or publishes Rust code', ['check', 'tree', 'search', 'metadata', 'version', 'help', 'locate-project', 'pkgid', 'verify-project', 'clippy', 'fmt-check', 'doc', 'read-manifest', 'info']),
  go: tool('package', 'builds, installs or changes Go modules', ['version', 'env', 'list', 'vet', 'doc', 'help', 'fmt-check']),
  composer: tool('package', 'installs PHP packages', ['show', 'info', 'search', 'outdated', 'licenses', 'depends', 'why', 'why-not', 'validate', 'diagnose', 'check-platform-reqs', 'audit', 'fund', 'suggests']),
  dotnet: tool('package', 'builds, runs or installs .NET code', ['--info', '--list-sdks', '--list-runtimes', '--version', 'list', 'help']),
  mvn: tool('package', 'builds or deploys Java code', ['help:effective-pom', 'dependency:tree', 'dependency:list', 'help:describe', 'versions:display-dependency-updates', 'validate', '-v', '--version']),
  gradle: tool('package', 'builds Java code', ['tasks', 'dependencies', 'properties', 'projects', 'help', '--version', '-v']),
  winget: tool('package', 'installs, upgrades or removes software', ['search', 'show', 'list', 'source', 'settings', 'features', 'hash', 'validate', 'export', '--version', '--info']),
  choco: tool('package', 'installs, upgrades or removes software', ['search', 'find', 'list', 'info', 'outdated', 'config', 'source', 'feature', '--version']),
  scoop: tool('package', 'installs, upgrades or removes software', ['search', 'info', 'list', 'status', 'cat', 'home', 'which', 'checkup', 'bucket', 'prefix', 'config']),
  snapcraft: tool('package', 'builds or publishes snaps', ['list', 'status', 'whoami']),
  ufw: tool('setting', 'changes firewall rules', ['status', 'show', 'app']),
  firewall_cmd: tool('setting', 'changes firewall rules', []),
  defaults: tool('setting', 'changes a macOS setting', ['read', 'read-type', 'domains', 'find', 'export']),
  csrutil: tool('security', 'changes System Integrity Protection', ['status']),
  spctl: tool('security', 'changes Gatekeeper', ['--status', '--assess', '-a']),
  xattr: tool('write', 'changes file attributes', ['-l', '-p']),
  tmutil: tool('setting', 'changes Time Machine backups', ['listbackups', 'latestbackup', 'destinationinfo', 'machinedirectory', 'compare', 'status']),
  gsettings: tool('setting', 'changes a desktop setting', ['get', 'list-keys', 'list-recursively', 'list-schemas', 'range', 'describe', 'writable']),
  dconf: tool('setting', 'changes a desktop setting', ['read', 'list', 'dump', 'watch']),
  netsh: tool('setting', 'changes network or firewall settings', ['show']),
  reg: tool('setting', 'changes the Windows registry', ['query', 'compare', 'export']),
  sc: tool('service', 'changes Windows services', ['query', 'queryex', 'qc', 'qdescription', 'qfailure', 'enumdepend', 'getdisplayname', 'getkeyname', 'sdshow']),
  schtasks: tool('persist', 'schedules programs to run', ['/query']),
  wsl: tool('infra-change', 'changes WSL distributions', ['--list', '-l', '--status', '--version', '-v', '--help']),
  ansible: tool('infra-change', 'runs tasks on remote hosts', ['--list-hosts', '--version', '--syntax-check']),
  'ansible-playbook': tool('infra-change', 'runs playbooks on remote hosts', ['--list-hosts', '--list-tasks', '--syntax-check', '--check', '--version']),
  'ansible-inventory': tool('read', '', []),
  make: tool('exec-local', 'runs the project\'s build rules', ['-n', '--dry-run', '--just-print', '-p', '--print-data-base', '-q', '--question', '--version', '-v', 'help']),
  ninja: tool('exec-local', 'runs build rules', ['-n', '-t', '--version']),
  cmake: tool('exec-local', 'configures or builds the project', ['--version', '--help', '-E-capabilities', '--system-information']),
  tmux: tool('exec-local', 'starts or changes terminal sessions', ['ls', 'list-sessions', 'list-windows', 'list-panes', 'list-clients', 'list-keys', 'show-options', 'display-message', 'has-session', 'attach', 'a', 'attach-session']),
  screen: tool('exec-local', 'starts terminal sessions', ['-ls', '-list', '-r']),
  crontab: tool('persist', 'replaces your scheduled jobs', ['-l']),
  ssh: tool('exec-local', 'runs a command on a remote host', []),
  'ssh-keygen': tool('write', 'creates or changes SSH keys', ['-l', '-lf', '-F', '-y', '-Q']),
  'ssh-add': tool('setting', 'changes the keys the SSH agent holds', ['-l', '-L']),
  gpg: tool('setting', 'changes the GnuPG keyring', ['--list-keys', '-k', '--list-secret-keys', '-K', '--fingerprint', '--verify', '--list-sigs', '--version', '--help', '--decrypt', '-d']),
  openssl: tool('read', '', []),
  aws: tool('infra-change', 'changes cloud resources', []),
  gcloud: tool('infra-change', 'changes cloud resources', []),
  gsutil: tool('infra-change', 'changes cloud storage', ['ls', 'du', 'cat', 'stat', 'hash', 'version']),
  az: tool('infra-change', 'changes cloud resources', []),
  gh: tool('infra-change', 'changes GitHub resources', ['status', 'browse', 'auth-status', 'search', 'api-get', 'run-list', 'pr-list', 'issue-list', 'repo-view', 'pr-view', 'pr-checks', 'pr-diff', 'release-list']),
  glab: tool('infra-change', 'changes GitLab resources', []),
  heroku: tool('infra-change', 'changes Heroku apps', ['apps', 'ps', 'releases', 'config', 'addons']),
  vercel: tool('infra-change', 'changes deployments', ['ls', 'list', 'inspect', 'whoami', 'logs']),
  netlify: tool('infra-change', 'changes deployments', ['status', 'sites:list', 'open']),
  firebase: tool('infra-change', 'changes Firebase projects', ['projects:list', 'apps:list', 'use', 'login:list']),
  fly: tool('infra-change', 'changes Fly apps', ['status', 'apps-list', 'logs', 'machines-list']),
  flyctl: tool('infra-change', 'changes Fly apps', ['status', 'logs']),
  doctl: tool('infra-change', 'changes cloud resources', []),
  eksctl: tool('infra-change', 'changes Kubernetes clusters', ['get', 'utils-describe-stacks']),
  minikube: tool('infra-change', 'changes local clusters', ['status', 'ip', 'profile-list', 'service-list', 'addons-list', 'dashboard', 'logs', 'version']),
  kind: tool('infra-change', 'changes local clusters', ['get']),
  vagrant: tool('infra-change', 'changes virtual machines', ['status', 'global-status', 'ssh-config', 'box-list', 'version', 'port']),
  virsh: tool('infra-change', 'changes virtual machines', ['list', 'dominfo', 'domstate', 'dumpxml', 'net-list', 'pool-list', 'vol-list', 'nodeinfo', 'version', 'capabilities']),
  redis_cli_read: tool('read', '', []),
  pmset: tool('setting', 'changes power settings', ['-g']),
  consul: tool('infra-change', 'changes service registrations or keys', ['members', 'catalog', 'monitor', 'info', 'operator-raft-list-peers']),
  etcdctl: tool('infra-change', 'changes keys in etcd', ['member', 'endpoint', 'watch', 'check', 'alarm-list']),
  nomad: tool('infra-change', 'changes jobs in the cluster', ['node-status', 'server-members']),
  vault: tool('infra-change', 'changes secrets or their engines', []),
  influx: tool('infra-change', 'changes buckets or data', []),
  hdparm: tool('setting', 'changes drive settings', ['-I', '-i', '-t', '-T', '-tT', '-Tt', '-g', '-C', '-r', '-a']),
  nvme: tool('setting', 'changes NVMe drive settings', ['list', 'id-ctrl', 'id-ns', 'smart-log', 'error-log', 'list-subsys', 'show-regs', 'get-feature', 'fw-log', 'list-ns', 'version']),
  wevtutil: tool('setting', 'changes or clears Windows event logs', ['qe', 'query-events', 'el', 'enum-logs', 'gl', 'get-log', 'gli', 'get-loginfo', 'ep', 'enum-publishers', 'gp', 'get-publisher', 'epl', 'export-log']),
  vssadmin: tool('setting', 'changes shadow copies', ['list']),
  wbadmin: tool('setting', 'changes Windows backups', ['get']),
  bcdedit: tool('setting', 'changes the boot configuration', ['/enum', '/v', '/?']),
  dscl: tool('account', 'changes accounts or groups', ['-list', '-read', '-readall', '-search', '-readpl', '-diff', '-authonly']),
  socketfilterfw: tool('setting', 'changes the macOS firewall', ['--getglobalstate', '--getblockall', '--listapps', '--getstealthmode', '--getallowsigned', '--getappblocked', '--getloggingmode']),
  diskutil: tool('setting', 'mounts, ejects or changes disks and volumes', ['list', 'info', 'activity', 'listfilesystems', 'verifyvolume', 'verifydisk']),
  pulumi: tool('infra-change', 'changes infrastructure', ['preview', 'whoami', 'about', 'version', 'logs', 'watch-dry']),
  cdk: tool('infra-change', 'deploys or destroys infrastructure', ['diff', 'synth', 'synthesize', 'ls', 'list', 'doctor', 'docs', 'notices']),
  net: tool('account', 'changes accounts, groups, shares or services', ['user', 'users', 'localgroup', 'group', 'groups', 'share', 'view', 'session', 'sessions', 'accounts', 'config', 'statistics', 'stats', 'file', 'files', 'helpmsg', 'start']),
};
TOOLS.net1 = TOOLS.net;
TOOLS['docker-compose'] = TOOLS.docker;
TOOLS.nerdctl = TOOLS.docker;
TOOLS.buildah = TOOLS.docker;
TOOLS.oc = TOOLS.kubectl;
TOOLS.microk8s = TOOLS.kubectl;
TOOLS.k3s = TOOLS.kubectl;
TOOLS.kubecolor = TOOLS.kubectl;
TOOLS.terragrunt = TOOLS.terraform;
TOOLS.python3_pip = TOOLS.pip;
TOOLS.gradlew = TOOLS.gradle;
TOOLS.mvnw = TOOLS.mvn;
TOOLS.yarnpkg = TOOLS.yarn;
TOOLS.dnf5 = TOOLS.dnf;
TOOLS.microdnf = TOOLS.dnf;
TOOLS['apt-file'] = tool('read', '', []);
TOOLS.paru = TOOLS.yay;
TOOLS.ollama = tool('infra-change', 'downloads, runs or removes models', ['list', 'ls', 'show', 'ps', '--version', 'help']);

const WRAPPERS_LEFT = new Set(['noglob', 'nocorrect', 'sudo', 'doas', 'dzdo', 'su', 'run0', 'pkexec', 'runuser', 'nohup', 'nice', 'env', 'time', 'timeout', 'exec', 'command', 'builtin', 'xargs', 'parallel', 'npx', 'bunx', 'stdbuf', 'ionice', 'setsid', 'chroot', 'flock', 'strace']);

const DRY_RUN = /^(--?(dry-?run|dryrun|what-?if|noop|simulate)(=.*)?|--check|-whatif)$/i;

/** Programs that change files or settings unless an option says they only look. */
const WRITES_UNLESS: Record<string, { kind: EffectKind; what: string; reads: RegExp }> = {
  tar: { kind: 'write', what: 'creates or extracts an archive', reads: /^(-[a-zA-Z]*t[a-zA-Z]*|--list|--diff|--compare|-d)$/ },
  bsdtar: { kind: 'write', what: 'creates or extracts an archive', reads: /^(-?[a-zA-Z]*t[a-zA-Z]*|--list)$/ },
  gzip: { kind: 'write', what: 'compresses a file in place (the original is replaced)', reads: /^(-[a-zA-Z]*[cltd]?[lt][a-zA-Z]*|-c|--stdout|--to-stdout|--list|--test)$/ },
  gunzip: { kind: 'write', what: 'decompresses a file in place', reads: /^(-[a-zA-Z]*[clt][a-zA-Z]*|--stdout|--to-stdout|--list|--test)$/ },
  bzip2: { kind: 'write', what: 'compresses a file in place', reads: /^(-[a-zA-Z]*[ct][a-zA-Z]*|--stdout|--test)$/ },
  bunzip2: { kind: 'write', what: 'decompresses a file in place', reads: /^(-[a-zA-Z]*[ct][a-zA-Z]*|--stdout|--test)$/ },
  xz: { kind: 'write', what: 'compresses a file in place', reads: /^(-[a-zA-Z]*[clt][a-zA-Z]*|--stdout|--list|--test)$/ },
  unxz: { kind: 'write', what: 'decompresses a file in place', reads: /^(-[a-zA-Z]*[clt][a-zA-Z]*|--stdout|--list|--test)$/ },
  zstd: { kind: 'write', what: 'compresses or decompresses a file', reads: /^(-[a-zA-Z]*[clt][a-zA-Z]*|--stdout|--list|--test)$/ },
  zip: { kind: 'write', what: 'creates or changes an archive', reads: /^(-sf|--show-files|-T|--test)$/ },
  unzip: { kind: 'write', what: 'extracts files (and may overwrite)', reads: /^(-[a-zA-Z]*[lptvZ][a-zA-Z]*)$/ },
  '7z': { kind: 'write', what: 'creates or extracts an archive', reads: /^(l|t|h|i)$/ },
  rsync: { kind: 'network-upload', what: 'copies files (possibly to another host)', reads: /^(-n|--dry-run|--list-only)$/ },
  scp: { kind: 'network-upload', what: 'copies files to or from another host', reads: /^$/ },
  sftp: { kind: 'network-upload', what: 'transfers files with another host', reads: /^$/ },
  hostnamectl: { kind: 'setting', what: 'changes the machine\'s name', reads: /^(status|--static|--transient|--pretty)$/ },
  timedatectl: { kind: 'setting', what: 'changes the clock or time zone', reads: /^(status|show|list-timezones|timesync-status|show-timesync)$/ },
  localectl: { kind: 'setting', what: 'changes the system locale or keyboard', reads: /^(status|list-locales|list-keymaps|list-x11-keymap-\w+)$/ },
  journalctl: { kind: 'delete', what: 'deletes or rotates system logs', reads: /^(?!--(vacuum|rotate|flush|relinquish|sync|update-catalog)).*$/ },
  prettier: { kind: 'write', what: 'rewrites source files', reads: /^(--check|-c|--list-different|-l|--version|--help)$/ },
  eslint: { kind: 'write', what: 'rewrites source files', reads: /^(?!--fix).*$/ },
  black: { kind: 'write', what: 'rewrites Python files', reads: /^(--check|--diff)$/ },
  ruff: { kind: 'write', what: 'rewrites Python files', reads: /^(check|--check|--diff)$/ },
  gofmt: { kind: 'write', what: 'rewrites Go files', reads: /^(?!-w$).*$/ },
  rustfmt: { kind: 'write', what: 'rewrites Rust files', reads: /^(--check)$/ },
  'clang-format': { kind: 'write', what: 'rewrites source files', reads: /^(?!-i$).*$/ },
  autopep8: { kind: 'write', what: 'rewrites Python files', reads: /^(?!-i$|--in-place$).*$/ },
  isort: { kind: 'write', what: 'rewrites Python imports', reads: /^(--check|--check-only|-c|--diff)$/ },
  shfmt: { kind: 'write', what: 'rewrites shell scripts', reads: /^(?!-w$).*$/ },
  mogrify: { kind: 'write', what: 'rewrites image files in place', reads: /^$/ },
  convert: { kind: 'write', what: 'writes an image file', reads: /^$/ },
  magick: { kind: 'write', what: 'writes an image file', reads: /^$/ },
  ffmpeg: { kind: 'write', what: 'writes a media file', reads: /^$/ },
  pfctl: { kind: 'setting', what: 'changes packet-filter rules', reads: /^(-s\w*|-sr|-sa|-si|-ss|-n)$/ },
  cmdkey: { kind: 'setting', what: 'changes stored Windows credentials', reads: /^\/list/i },
  bitsadmin: { kind: 'write', what: 'downloads or changes transfer jobs', reads: /^\/(list|info|monitor)$/i },
  certutil: { kind: 'write', what: 'changes certificates or downloads files', reads: /^-(dump|verify|hashfile|store|viewstore)$/i },
  powercfg: { kind: 'setting', what: 'changes power settings', reads: /^\/(list|l|query|q|a|batteryreport|energy|requests)$/i },
  icacls: { kind: 'permission', what: 'changes file permissions', reads: /^(?!\/(grant|deny|remove|setowner|reset|inheritance|restore|setintegritylevel|substitute)).*$/i },
  dos2unix: { kind: 'write', what: 'rewrites text files in place', reads: /^(-i|--info)$/ },
  unix2dos: { kind: 'write', what: 'rewrites text files in place', reads: /^(-i|--info)$/ },
  mac2unix: { kind: 'write', what: 'rewrites text files in place', reads: /^(-i|--info)$/ },
  yapf: { kind: 'write', what: 'rewrites Python files', reads: /^(?!-i$|--in-place$).*$/ },
  rubocop: { kind: 'write', what: 'rewrites Ruby files', reads: /^(?!-a$|-A$|--auto-correct|--autocorrect|-x$|--fix-layout).*$/ },
  'php-cs-fixer': { kind: 'write', what: 'rewrites PHP files', reads: /^(--dry-run|list-files|describe|check)$/ },
  swiftformat: { kind: 'write', what: 'rewrites Swift files', reads: /^(--lint|--dryrun)$/ },
  stylelint: { kind: 'write', what: 'rewrites style sheets', reads: /^(?!--fix).*$/ },
  biome: { kind: 'write', what: 'rewrites source files', reads: /^(?!--write$|--apply|--fix$|--apply-unsafe).*$/ },
  dprint: { kind: 'write', what: 'rewrites source files', reads: /^(check|output-file-paths|--version|--help)$/ },
};

/** Tools that rewrite their input files in place: on a folder, a glob or several files that is an
 *  in-place rewrite of many files (high); on one named file it is an edit (moderate). */
const IN_PLACE = new Set(['prettier', 'eslint', 'black', 'ruff', 'gofmt', 'rustfmt', 'clang-format', 'autopep8', 'isort', 'shfmt', 'mogrify', 'dos2unix', 'unix2dos', 'mac2unix', 'yapf', 'rubocop', 'php-cs-fixer', 'swiftformat', 'stylelint', 'biome', 'dprint']);
/** Formatters that, given no file, rewrite the whole project. */
const WHOLE_PROJECT_BY_DEFAULT = new Set(['rustfmt', 'rubocop', 'php-cs-fixer', 'dprint', 'swiftformat', 'biome']);

/** How many files an in-place tool rewrites, from its file arguments. */
function inPlaceScope(cmd: SimpleCommand): 'one' | 'recursive' {
  const files = cmd.args.filter((w, k) => !w.value.startsWith('-') && !/^(-o|-c|--config|-resize|-format|-quality|-size|-geometry|--indent|--line-length|--ignore-path|--plugin|--parser|--rules?|--ext|--target-version|--profile|--settings-path|-style|--style)$/.test(cmd.args[k - 1]?.value ?? '') && !/^(format|check|fix|lint)$/.test(w.value));
  if (files.length === 0) return WHOLE_PROJECT_BY_DEFAULT.has(cmd.name) ? 'recursive' : 'one';
  const many = files.length >= 3 || files.some((w) => w.glob || /[*?]/.test(w.value) || isDynamic(w.value) || w.value === '.' || w.value === '..' || /[\\/]$/.test(w.value) || !/\.[A-Za-z0-9]{1,8}$/.test(w.value.replace(/[\\/]+$/, '')) || w.value === './...');
  return many || cmd.args.some((w) => /^(-r|-R|--recursive)$/.test(w.value)) ? 'recursive' : 'one';
}

/** A program writing its output over its own input (`terser $f -o $f`, `convert "$f" ... "$f"`) for
 *  many files at once (a glob, a loop variable, find's {}): an in-place rewrite of many files. */
function rewritesManyInPlace(cmd: SimpleCommand): Word | undefined {
  const outputs: Word[] = [];
  for (let k = 0; k < cmd.args.length; k++) {
    const v = cmd.args[k].value;
    if (/^(-o|--output|--out-file|--outfile|--out|-out)$/.test(v) && cmd.args[k + 1]) outputs.push(cmd.args[k + 1]);
    const eq = /^(--output|--out-file|--outfile|--out)=(.+)$/.exec(v);
    if (eq) outputs.push({ ...cmd.args[k], value: eq[2] });
  }
  const positional = cmd.args.filter((w, k) => !w.value.startsWith('-') && !/^(-o|--output|--out-file|--outfile|--out|-out)$/.test(cmd.args[k - 1]?.value ?? ''));
  if (/^(convert|magick|gm|ffmpeg|sox|pandoc|iconv)$/.test(cmd.name) && positional.length >= 2) outputs.push(positional[positional.length - 1]);
  const many = (w: Word): boolean => w.glob || /[*?]/.test(w.value) || isDynamic(w.value) || w.value === '{}';
  return outputs.find((o) => many(o) && cmd.args.some((w) => w !== o && w.value === o.value));
}

/** Packages whose removal leaves a system that does not boot, log in or install anything. */
const CORE_PACKAGE = /^(linux|linux-image[\w.-]*|linux-generic|kernel(-core)?|systemd|systemd-sysv|init|glibc|libc6|libc-bin|coreutils|bash|dash|sudo|util-linux|login|passwd|shadow|pam|libpam[\w.-]*|grub[\w.-]*|dpkg|apt|rpm|dnf|yum|pacman|base|filesystem|openssh-server|python3|perl-base|udev|dbus|e2fsprogs|mount|sed|grep|tar|gzip|libselinux1|zlib1g)$/;

function removesCorePackage(name: string, values: string[]): boolean {
  const removing =
    ((name === 'apt' || name === 'apt-get' || name === 'aptitude') && values.some((v) => /^(remove|purge|autoremove)$/.test(v))) ||
    ((name === 'dnf' || name === 'yum' || name === 'zypper' || name === 'apk') && values.some((v) => /^(remove|erase|rm|del|autoremove)$/.test(v))) ||
    ((name === 'pacman' || name === 'yay' || name === 'paru') && values.some((v) => /^-R[a-z]*$/.test(v) || v === '--remove')) ||
    ((name === 'rpm' || name === 'dpkg') && values.some((v) => /^(-e|--erase|-r|--remove|-P|--purge)$/.test(v))) ||
    (name === 'snap' && values[0] === 'remove');
  return removing && values.some((v) => !v.startsWith('-') && CORE_PACKAGE.test(v.replace(/[:=].*$/, '')));
}

/** Options that carry no action and only ask for information. */
const INFO_ONLY = /^(--?(version|help|h|v|V)|-\?|\/\?|help|version)$/;

/** Commands whose judge reads nested code: when that code produced no finding, they did nothing. */
const TRANSPARENT = new Set(['forfiles', 'invoke-webrequest', 'iwr', 'invoke-restmethod', 'irm', 'start-bitstransfer', 'start-process', 'saps', 'start', 'invoke-expression', 'iex', 'eval', 'find', 'gfind', 'awk', 'gawk', 'mawk', 'nawk', 'xargs', 'parallel', 'watch', 'tee', 'sed', 'gsed', 'sort', 'curl', 'wget', 'wget2', 'http', 'https', 'xh', 'httpie', 'unzstd', 'lz4', 'cpio', 'powershell', 'pwsh', 'cmd', 'psql', 'mysql', 'mariadb', 'sqlite3', 'duckdb', 'cqlsh', 'clickhouse-client', 'sqlcmd', 'mongo', 'mongosh', 'redis-cli', 'valkey-cli', 'keydb-cli', 'snowsql', 'bq', 'osql', 'clickhouse', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'at', 'batch', 'kill', 'pkill', 'killall', 'touch', 'mkdir', 'cp', 'mv', 'ln', 'install', 'rclone', 'dd', 'truncate', 'chmod', 'chown', 'chgrp', 'rm', 'rmdir', 'unlink', 'shred', 'base64']);

/** After the judges: when they found nothing, decide from the knowledge base whether the command
 *  only reads, or what it changes. */
export function judgeByKnowledge(cmd: SimpleCommand, analysis: Analysis): void {
  if (!cmd.name) return;
  const values = cmd.args.map((w) => foldLookalikes(w.value));
  if (cmd.dialect === 'pwsh' && pwshReadOnly(cmd.name)) return;
  // A PowerShell value in parentheses (`(-30)`, `($x)`, `('a')`) is an expression, not a program.
  if (cmd.dialect === 'pwsh' && /^([-+]?\d|\$|'|"|\.)/.test(cmd.nameWord.value)) return;
  if (cmd.dialect === 'cmd' && CMD_READ_ONLY.has(cmd.name)) return;
  if (READ_ONLY.has(cmd.name) && !interpreterFor(cmd.name)) return;
  if (WRAPPERS_LEFT.has(cmd.name)) return; // `sudo -i`, `sudo -v`: judged when unwrapped
  if (values.length === 1 && INFO_ONLY.test(values[0])) return;
  if (values.some((v) => DRY_RUN.test(v))) return; // a dry run shows what would change
  if (values.length === 0 && /^(python\d*|node|ruby|perl|php|irb|ghci|lua|R)$/.test(cmd.name)) return; // an interactive prompt
  if (removesCorePackage(cmd.name, values)) {
    analysis.effect({ kind: 'package', severity: 'severe', target: { type: 'package', value: values.filter((v) => !v.startsWith('-')).join(' ') } }, `${cmd.name} removes a package the system needs to boot or run (kernel, init, C library, shell, package manager).`, cmd.span, 'package.remove-core');
    return;
  }
  const inPlace = rewritesManyInPlace(cmd);
  if (inPlace) {
    analysis.effect({ kind: 'write', op: 'edit', scope: 'several', target: { type: 'path', value: displayText(inPlace.value), glob: true } }, `${cmd.name} writes its output over its own input for every file "${displayText(inPlace.value)}" stands for: an in-place rewrite of many files that cannot be undone.`, cmd.span, 'fs.rewrite-many');
    return;
  }
  const writer = WRITES_UNLESS[cmd.name];
  if (writer) {
    // Regexes with a negative look-ahead accept every word that does not write; the others name
    // the options that only read.
    const negative = writer.reads.source.startsWith('^(?!');
    // (`tar tzf x.tgz`: the old style puts the letters first, without a dash.)
    const oldStyleList = cmd.name === 'tar' && /^[a-zA-Z]*t[a-zA-Z]*$/.test(values[0] ?? '') && !/[cxru]/.test(values[0]);
    const reads = oldStyleList || (negative ? values.every((v) => writer.reads.test(v)) : values.some((v) => writer.reads.test(v)));
    if (reads || (values.length === 0 && cmd.name !== 'prettier' && cmd.name !== 'black' && cmd.name !== 'rustfmt' && cmd.name !== 'mogrify')) return;
    if (IN_PLACE.has(cmd.name) && inPlaceScope(cmd) === 'recursive') {
      analysis.effect({ kind: 'write', op: 'edit', scope: 'recursive', target: { type: 'program', value: [cmd.name, ...values.slice(0, 2)].join(' ') } }, `${cmd.name} ${writer.what}, many files at once (a folder, a glob or the whole project); the old contents are not kept.`, cmd.span, 'fs.rewrite-many');
      return;
    }
    analysis.effect({ kind: writer.kind, target: { type: 'program', value: [cmd.name, ...values.slice(0, 2)].join(' ') } }, `${cmd.name} ${writer.what}.`, cmd.span, `known.${writer.kind}`);
    return;
  }
  const knowledge = TOOLS[cmd.name];
  if (knowledge) {
    const sub = subcommand(values);
    if (knowledge.kind === 'read' || readsOnly(cmd.name, knowledge, values, sub)) return;
    if (cmd.name === 'ssh' && cmd.args.length) return; // the remote command was judged as shell code
    analysis.effect(
      { kind: knowledge.kind, target: { type: 'program', value: [cmd.name, ...sub.slice(0, 2)].join(' ') } },
      `${[cmd.name, ...sub.slice(0, 1)].join(' ')} ${knowledge.what}.`,
      cmd.span,
      `known.${knowledge.kind}`,
    );
    return;
  }
  if (TRANSPARENT.has(cmd.name) || POSIX_SHELLS.has(cmd.name)) {
    if (POSIX_SHELLS.has(cmd.name)) judgeShellRun(cmd, analysis);
    return;
  }
  const interpreter = interpreterFor(cmd.name);
  if (interpreter) {
    const runsFile = values.find((v) => !v.startsWith('-'));
    const hasCode = values.some((v) => interpreter.code.includes(v) || /^-[a-zA-Z]*[ceEr]$/.test(v));
    if (hasCode || (!runsFile && cmd.stdin)) return; // inline code was judged
    if (values.includes('-m') || runsFile) {
      analysis.effect({ kind: 'exec-local', target: { type: 'program', value: [cmd.name, ...values.slice(0, 2)].join(' ') } }, `${cmd.name} runs ${values.includes('-m') ? 'a module' : `"${displayText(runsFile!)}"`}, whose effects cmdai cannot see.`, cmd.span, 'known.exec-local');
    }
    return;
  }
  // A program run by path (./deploy.sh) or one cmdai does not know.
  const byPath = /[/\\]/.test(cmd.nameWord.value);
  analysis.effect(
    { kind: byPath ? 'exec-local' : 'unknown', target: { type: 'program', value: displayText(cmd.nameWord.value) } },
    byPath ? `Runs the local program "${displayText(cmd.nameWord.value)}"; what it does cannot be seen from here.` : `cmdai does not know "${displayText(cmd.nameWord.value)}", so its effects are unknown.`,
    cmd.span,
    byPath ? 'known.exec-local' : 'known.unknown-program',
  );
}

/** `bash script.sh`: runs a local script (its content unknown); `bash -c`/stdin code was judged. */
function judgeShellRun(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => w.value);
  if (values.some((v) => /^-[a-zA-Z]*c$/.test(v)) || cmd.stdin) return;
  const script = cmd.args.find((w) => !w.value.startsWith('-') && !w.value.startsWith('+'));
  if (!script) return; // an interactive shell
  if (analysis.scriptWrittenAt(script.value) !== undefined) return;
  analysis.effect({ kind: 'exec-local', target: { type: 'program', value: analysis.resolve(script.value) } }, `${cmd.name} runs the script "${displayText(script.value)}"; its contents were not inspected.`, script.span, 'known.exec-local');
}

/** The leading non-option words: `docker compose up -d` → compose, up. */
function subcommand(values: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length && out.length < 4; i++) {
    const v = values[i];
    if (v === '--') break;
    if (v.startsWith('-')) continue;
    if (isDynamic(v)) break;
    out.push(v.toLowerCase());
  }
  return out;
}

/** Tools whose action is an option (`pacman -Q`, `dpkg -l`, `crontab -l`, `make -n`). */
const FLAG_ACTIONS = new Set(['hdparm', 'bcdedit', 'dscl', 'socketfilterfw', 'pacman', 'yay', 'paru', 'dpkg', 'rpm', 'nix-env', 'crontab', 'ssh-keygen', 'ssh-add', 'gpg', 'make', 'ninja', 'screen', 'spctl', 'xattr', 'cmake', 'wsl', 'ansible', 'ansible-playbook', 'dotnet', 'mvn', 'gradle', 'gradlew', 'mvnw', 'winget', 'choco', 'schtasks', 'service', 'systemctl', 'bun']);
/** Tools whose subcommands come in groups (`aws s3 ls`, `gcloud compute instances list`). */
const GROUPED = new Set(['consul', 'etcdctl', 'nomad', 'vault', 'influx', 'diskutil', 'netsh', 'pulumi', 'aws', 'gcloud', 'az', 'gh', 'glab', 'doctl', 'docker', 'podman', 'nerdctl', 'docker-compose', 'heroku', 'firebase', 'fly', 'flyctl', 'vercel', 'netlify', 'minikube', 'virsh', 'eksctl', 'kind', 'snap', 'flatpak', 'nix', 'uv', 'conda', 'mamba', 'go', 'cargo', 'npm', 'pnpm', 'yarn', 'tmux', 'kubectl', 'oc', 'helm', 'terraform', 'tofu', 'wsl', 'ollama', 'tmutil', 'vagrant', 'gsutil', 'poetry', 'dotnet']);
const READ_PREFIX = /^(describe|list|get|show|view|read|search|lookup|query|check|inspect|print|status)(-|_|:|$)/;

function readsOnly(name: string, knowledge: ToolKnowledge, values: string[], sub: string[]): boolean {
  if ((name === 'terraform' || name === 'tofu' || name === 'terragrunt') && sub[0] === 'fmt') return values.some((v) => /^-?-(check|diff)$/.test(v));
  // `config set`, `audit fix`, `cache clean`: a reading word followed by a changing one.
  if (/^(config|audit|cache|remote|settings|credential|credentials|key|keys|secret|secrets|env|source|bucket|repo|alias|plugin|plugins|feature|features)$/.test(sub[0] ?? '') && sub.slice(1, 3).some((w) => /^(set|delete|rm|edit|unset|add|fix|clean|clear|prune|purge|remove|enable|disable|write|import|update|reset|use|rename)(-|$)/.test(w))) return false;
  if (name === 'git') {
    const verb = sub[0] ?? (values.length ? '' : 'status');
    if (values.length === 0) return true;
    const pick = values[0]?.startsWith('-') ? sub.slice(0, 2) : sub.slice(0, 1);
    if (isListingGitCommand(values.filter((v, i) => !(values[i - 1] === '-C' || values[i - 1] === '-c' || v === '-C' || v === '-c' || v === '--no-pager' || v.startsWith('--git-dir') || v.startsWith('--work-tree'))))) return true;
    return pick.some((w) => knowledge.readOnly.has(w)) && !gitListingChanges(values) && verb !== '';
  }
  // `net user`, `net localgroup administrators`, `net start`: listings; a switch (`/add`), a value
  // (`share=C:\\`) or a service name to start changes something.
  if (name === 'net' || name === 'net1') return knowledge.readOnly.has(sub[0] ?? '') && !values.some((v) => /^\/(?!domain$)/i.test(v) || v.includes('=')) && !(sub[0] === 'start' && sub.length > 1) && !(/^(user|users)$/.test(sub[0] ?? '') && sub.length > 2);
  if (FLAG_ACTIONS.has(name) && values.some((v) => v.startsWith('-') && knowledge.readOnly.has(v)) && !values.some((v) => /^-(S|R|U|i|e|r|I)$/.test(v) && name !== 'make')) return true;
  if (values.length === 0) return name === 'systemctl' || name === 'docker' || name === 'kubectl' || name === 'helm' || name === 'npm' || name === 'git';
  const words = GROUPED.has(name) ? sub.slice(0, 4) : values[0]?.startsWith('-') ? sub.slice(0, 2) : sub.slice(0, 1);
  if (GROUPED.has(name)) {
    // The verb is the first word that is not a group: read verbs anywhere in the leading words count
    // only when no mutating verb came first.
    for (const w of words) {
      // `heroku apps:info`, `firebase projects:list`: the verb follows the colon.
      const verb = w.includes(':') ? w.slice(w.lastIndexOf(':') + 1) : w;
      if (knowledge.readOnly.has(w) || READ_PREFIX.test(w) || (verb !== w && (READ_VERBS.has(verb) || READ_PREFIX.test(verb)))) return true;
      if (MUTATING_WORD.test(w)) return false;
    }
    return false;
  }
  return words.some((w) => knowledge.readOnly.has(w));
}

const MUTATING_WORD = /^(add|apply|attach|build|cancel|clean|clear|commit|cp|create|delete|deploy|destroy|detach|disable|down|drop|edit|enable|exec|import|init|install|kill|login|logout|merge|mv|patch|pause|prune|publish|pull|purge|push|put|reboot|remove|rename|replace|reset|restart|restore|rm|rmi|run|scale|set|start|stop|sync|tag|terminate|uninstall|unpause|update|upgrade|up|upload|write)(-|_|:|$)/;

/** `git branch`/`git tag`/`git stash`/`git remote`/`git config`: read-only only in their listing forms. */
function gitListingChanges(values: string[]): boolean {
  const i = values.findIndex((v) => !v.startsWith('-'));
  const verb = values[i];
  const rest = values.slice(i + 1);
  if (verb === 'clean') return !rest.some((v) => /^(-[a-z]*n[a-z]*|--dry-run)$/.test(v));
  if (verb === 'archive') return rest.some((v) => v === '-o' || v.startsWith('--output'));
  if (verb === 'reflog') return rest[0] === 'expire' || rest[0] === 'delete';
  if (verb === 'fsck') return rest.includes('--lost-found');
  return false;
}

export function isListingGitCommand(values: string[]): boolean {
  const i = values.findIndex((v) => !v.startsWith('-'));
  const verb = values[i];
  const rest = values.slice(i + 1).filter((v) => !v.startsWith('-'));
  const flags = values.slice(i + 1).filter((v) => v.startsWith('-'));
  switch (verb) {
    case 'branch':
      return rest.length === 0 || flags.some((f) => /^(-l|--list|-a|-r|-v|-vv|--contains|--merged|--no-merged|--show-current)$/.test(f)) && !flags.some((f) => /^-[dDmMcC]$|^--(delete|move|copy|force)/.test(f));
    case 'tag':
      return rest.length === 0 || flags.some((f) => /^(-l|--list|-n\d*|--contains|--points-at|--merged|-v|--verify)$/.test(f));
    case 'stash':
      return rest[0] === 'list' || rest[0] === 'show';
    case 'remote':
      return rest.length === 0 || rest[0] === 'show' || rest[0] === 'get-url';
    case 'config':
      return flags.some((f) => /^(--get|--get-all|--get-regexp|-l|--list|--show-origin|--show-scope)$/.test(f)) || (rest.length === 1 && !flags.some((f) => /^--(unset|add|replace|remove|rename)/.test(f)));
    case 'worktree':
      return rest[0] === 'list';
    case 'submodule':
      return rest.length === 0 || rest[0] === 'status' || rest[0] === 'summary';
    case 'notes':
      return rest.length === 0 || rest[0] === 'list' || rest[0] === 'show';
    case 'bisect':
      return rest[0] === 'log' || rest[0] === 'visualize' || rest[0] === 'view';
    case 'lfs':
      return rest[0] === 'ls-files' || rest[0] === 'status' || rest[0] === 'env' || rest[0] === 'version';
    default:
      return false;
  }
}

/** PowerShell: verbs that only read (by the approved-verb list's meaning) and aliases of such cmdlets. */
const PWSH_READ_VERBS = new Set(['get', 'test', 'show', 'find', 'measure', 'select', 'format', 'compare', 'resolve', 'read', 'search', 'convertto', 'convertfrom', 'sort', 'group', 'where', 'foreach', 'join', 'split', 'trace', 'wait', 'write', 'out', 'use', 'watch', 'debug', 'confirm', 'ping', 'tee']);
const PWSH_WRITING_OUT = new Set(['out-file', 'out-printer', 'tee-object']);

function pwshReadOnly(name: string): boolean {
  const dash = name.indexOf('-');
  if (dash < 0) return false;
  if (PWSH_WRITING_OUT.has(name)) return false;
  return PWSH_READ_VERBS.has(name.slice(0, dash));
}

const CMD_READ_ONLY = new Set(['dir', 'type', 'echo', 'ver', 'vol', 'where', 'findstr', 'find', 'more', 'tree', 'ipconfig', 'systeminfo', 'tasklist', 'whoami', 'hostname', 'set', 'path', 'cls', 'title', 'color', 'help', 'fc', 'comp', 'ping', 'nslookup', 'netstat', 'tracert', 'pathping', 'getmac', 'arp', 'route', 'cd', 'chdir', 'pushd', 'popd', 'rem', 'pause', 'exit', 'call', 'goto', 'if', 'for', 'sort', 'chcp', 'date', 'time', 'driverquery', 'qprocess', 'query', 'quser', 'gpresult', 'assoc', 'ftype', 'doskey', 'timeout', 'sc-query', 'choice', 'setlocal', 'endlocal', 'shift', 'prompt', 'verify']);

/** PowerShell/cmd/POSIX-independent: the word a `Get-Help`/`man`/`which` is about is not a call. */
export function isHelpLookup(name: string): boolean {
  return /^(get-help|help|man|get-command|gcm|which|where|whereis|type|whatis|apropos|info|tldr|get-member|gm|command|compgen)$/.test(name);
}

export type { Word };
export type { EffectFacts };
