// The public shapes of a safety assessment. Kept free of runtime imports so `cmdai check` loads little.
import type { PathClass } from './paths';

export type RiskLevel = 'safe' | 'moderate' | 'high' | 'critical';
export type SafetyPolicy = 'strict' | 'moderate' | 'permissive';
export type SafetyDecision = 'allowed' | 'needsConfirmation' | 'blocked';

/** Offsets into the assessed command string, in UTF-16 code units (JavaScript string indices). */
export interface Span {
  start: number;
  end: number;
}

export interface RiskReason {
  /** Stable rule id, e.g. `fs.rm-recursive-root`. */
  rule: string;
  /** Plain-language explanation a user can act on. */
  message: string;
  /** Where in the command the reason applies (for nested code: the word that carries the code). */
  span: Span;
  level: RiskLevel;
}

export interface Assessment {
  level: RiskLevel;
  reasons: RiskReason[];
  decision: SafetyDecision;
  policy: SafetyPolicy;
  /** What the command does, one entry per finding: kind, operation, resolved target, scope,
   *  elevation and the level the effects table gives it (see specs/safety.md). */
  effects: Effect[];
}

/** User rules from the config file's `[safety] allow = [...]` and `deny = [...]`. */
export interface SafetyRules {
  allow?: readonly string[];
  deny?: readonly string[];
}

export interface AssessOptions {
  /** The shell that will run the command: bash (default), zsh, sh, dash, ksh, fish, pwsh, powershell, cmd. */
  shell?: string;
  policy?: SafetyPolicy;
  rules?: SafetyRules;
  /** The directory the command will run in (absolute). Unknown when absent: relative paths are
   *  judged as "your files" and only a `cd` in the command itself moves them. */
  cwd?: string;
  /** The user's home directory (absolute); `~`, `$HOME` and a bare `cd` lead there. */
  home?: string;
}

export type EffectKind =
  | 'read' // looks at something, changes nothing (recorded only when a judge says so explicitly)
  | 'write' // creates, overwrites, appends to, truncates, moves or edits files
  | 'delete' // removes files or directories
  | 'permission' // chmod, chown, ACLs
  | 'disk' // formats, wipes or repartitions a disk or filesystem
  | 'exec-remote' // runs code fetched from the network that nobody has seen
  | 'exec-inline' // runs code given on the command line (interpreters, eval)
  | 'exec-local' // runs a local script or program whose content is not known
  | 'privilege' // gains or grants privileges (setuid, sudoers, root shell, admin groups)
  | 'signal' // stops or signals processes
  | 'package' // installs, upgrades or removes software
  | 'service' // starts, stops, restarts, enables or disables services
  | 'persist' // makes something run later or at every login/boot (cron, systemd, shell rc, scheduled tasks)
  | 'account' // creates, changes or deletes accounts and passwords
  | 'network-upload' // sends local data somewhere (scp, rsync, curl -T/-d @file)
  | 'network-change' // changes remote state over a network API (POST/PUT/DELETE)
  | 'infra-delete' // deletes remote resources: databases, clusters, namespaces, buckets, projects
  | 'infra-change' // changes remote resources in recoverable ways
  | 'vcs' // changes a version-control repository (commit, branch, push, reset)
  | 'container' // starts, stops or removes containers and images
  | 'setting' // changes a user or system setting (defaults write, setx, registry values, firewall rules)
  | 'security' // turns protections off (firewall, SELinux, Defender, SIP)
  | 'power' // shutdown, reboot, kernel changes
  | 'history' // clears or rewrites shell history
  | 'takeover' // hands the machine to someone else (reverse shell, fork bomb)
  | 'unknown'; // a program cmdai does not know: its effects cannot be judged

export type EffectScope = 'one' | 'several' | 'recursive' | 'all';

export type EffectOp = 'delete' | 'overwrite' | 'append' | 'truncate' | 'move' | 'edit' | 'create' | 'chmod' | 'chown' | 'link' | 'extract';

export interface EffectTarget {
  type: 'path' | 'device' | 'host' | 'process' | 'package' | 'service' | 'account' | 'resource' | 'setting' | 'repository' | 'code' | 'program';
  /** For paths: absolute when the working directory and home are known (`/home/dev/project/build`),
   *  otherwise as resolved as possible (`~/x`, `./build`); unknown parts are shown as `$NAME`. */
  value: string;
  /** For paths: what kind of place it is (see paths.ts). */
  pathClass?: PathClass;
  /** For paths: a glob over a directory's contents (`/usr/bin/*`). */
  glob?: boolean;
}

export interface Effect {
  kind: EffectKind;
  /** For file effects: what happens to the target. */
  op?: EffectOp;
  target?: EffectTarget;
  scope: EffectScope;
  /** Runs as root/administrator (sudo, doas, RunAs, ...). */
  elevated: boolean;
  level: RiskLevel;
  /** The rule id of the reason this effect produced. */
  rule: string;
  span: Span;
}

