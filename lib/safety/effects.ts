// The effects model: what a command does, independent of how it is spelled or which shell runs it.
// Judges turn each simple command into effects; `levelOf` is the one table from effects to levels.
import type { Effect, EffectKind, EffectOp, EffectScope, EffectTarget, RiskLevel } from './types';
import type { PathClass } from './paths';

export type { Effect, EffectKind, EffectOp, EffectScope, EffectTarget };

/** What a judge knows about an effect before the table gives it a level. */
export interface EffectFacts {
  kind: EffectKind;
  op?: EffectOp;
  target?: EffectTarget;
  scope?: EffectScope;
  elevated?: boolean;
  /** Deletion without asking (`-f`, `-Force`, `/q`). */
  force?: boolean;
  /** No confirmation will be asked (`--force`, `-auto-approve`, `--quiet`, `-y`). */
  unconfirmed?: boolean;
  /** The whole of something broad: a database, cluster, namespace, bucket, project, account. */
  whole?: boolean;
  /** The target is regenerable (node_modules, build output, caches). */
  regenerable?: boolean;
  /** The program is a shell, so the effect hands it a root shell, etc. */
  severity?: 'low' | 'normal' | 'severe';
}

const CRITICAL_PLACES = new Set<PathClass>(['root', 'home', 'system-top', 'system-file-critical', 'device-disk']);
const SYSTEM_PLACES = new Set<PathClass>(['system', 'kernel-param', 'auth-file', 'device-other']);

/** The one table from effects to levels. The same facts give the same level however the command
 *  was spelled and whichever shell runs it. */
export function levelOf(e: EffectFacts): RiskLevel {
  const cls = e.target?.pathClass;
  switch (e.kind) {
    case 'read':
      return 'safe';
    case 'delete': {
      const wide = e.scope === 'recursive' || e.scope === 'all';
      if (cls && CRITICAL_PLACES.has(cls)) {
        // `rm -f /usr/bin/*`: everything directly in a system directory or a home is as bad as the tree.
        if (wide || cls === 'system-file-critical' || cls === 'device-disk' || e.target?.glob) return 'critical';
        return 'high';
      }
      // A directory inside a system location (not its logs or caches) is part of the system.
      if (cls === 'system' && wide && e.severity !== 'low') return 'critical';
      if (cls && SYSTEM_PLACES.has(cls)) return 'high';
      if (e.severity === 'normal' || e.severity === 'severe') return 'high'; // keys, credentials, history, backups
      if (cls === 'temp') return 'moderate';
      // Regenerable output (node_modules, build, caches) is moderate when rm would still ask about
      // protected files; `-f` on a folder is rated like any folder (dcg's labels agree).
      if (e.regenerable && !e.force) return 'moderate';
      if (e.scope === 'several' && e.force) return 'high';
      if (cls === 'dynamic') return wide && e.force ? 'high' : 'moderate';
      if (wide) return e.force || e.scope === 'all' ? 'high' : 'moderate';
      // Many files at once without asking (a glob, find's results).
      if (e.scope === 'several' && e.force) return 'high';
      return 'moderate';
    }
    case 'write': {
      if (cls === 'device-disk' || cls === 'kernel-trigger') return 'critical';
      if (cls === 'system-file-critical') {
        // Appending a line (a hosts entry, a profile line) is recoverable; replacing the file is not.
        if ((e.op === 'append' || e.op === 'edit' || e.op === 'link' || e.op === 'create') && e.severity !== 'severe') return 'high';
        return 'critical';
      }
      if (e.op === 'move' && cls && CRITICAL_PLACES.has(cls)) return 'critical';
      if (e.severity === 'severe') return 'critical';
      if (cls && (CRITICAL_PLACES.has(cls) || SYSTEM_PLACES.has(cls))) return e.op === 'link' ? 'moderate' : 'high';
      // In-place rewrites of many files at once; destroying a file's contents (history, keys, random data).
      if (e.scope === 'recursive' || e.scope === 'all' || (e.scope === 'several' && e.op !== 'append' && e.op !== 'create')) return 'high';
      if (e.severity === 'normal') return 'high';
      if (cls === 'device-harmless') return 'safe';
      return 'moderate';
    }
    case 'permission': {
      const wide = e.scope === 'recursive' || e.scope === 'all';
      if (e.severity === 'severe') return 'critical'; // setuid shell, world-writable credentials
      if (wide && cls && (cls === 'root' || cls === 'system-top' || cls === 'system-file-critical' || cls === 'device-disk')) return 'critical';
      if (cls && (CRITICAL_PLACES.has(cls) || SYSTEM_PLACES.has(cls))) return 'high';
      if (wide && e.severity === 'normal') return 'high'; // recursive 777
      return 'moderate';
    }
    case 'disk':
      return e.severity === 'low' ? 'high' : 'critical';
    case 'exec-remote':
      return e.elevated || e.severity === 'severe' ? 'critical' : 'high';
    case 'exec-inline':
    case 'exec-local':
      return e.severity === 'severe' ? 'high' : 'moderate';
    case 'privilege':
      return e.severity === 'severe' ? 'critical' : e.severity === 'low' ? 'moderate' : 'high';
    case 'signal':
      return e.scope === 'all' ? 'critical' : e.scope === 'several' ? 'high' : 'moderate';
    case 'package':
      return e.severity === 'severe' ? 'high' : 'moderate';
    case 'service':
      return e.severity === 'severe' ? 'high' : 'moderate';
    case 'persist':
      return e.severity === 'severe' ? 'critical' : e.severity === 'normal' ? 'high' : 'moderate';
    case 'account':
      return e.severity === 'severe' ? 'critical' : e.severity === 'normal' ? 'high' : 'moderate';
    case 'network-upload':
    case 'network-change':
      return e.severity === 'severe' ? 'high' : 'moderate';
    case 'infra-delete':
      // A CLI's own y/N prompt does not count as confirmation (see whole-resources.ts); local,
      // throwaway resources (severity low) are bounded.
      return e.whole && e.severity !== 'low' ? 'critical' : 'high';
    case 'infra-change':
    case 'vcs':
    case 'container':
    case 'setting':
      return e.severity === 'severe' ? 'high' : 'moderate';
    case 'security':
      return e.severity === 'severe' ? 'critical' : 'high';
    case 'power':
      return e.severity === 'severe' ? 'critical' : 'high';
    case 'history':
      return 'high';
    case 'takeover':
      return 'critical';
    case 'unknown':
      return 'moderate';
  }
}

/** Effects of findings made by rules that report a level directly, by rule-id family. */
export function kindOfRule(rule: string): EffectKind {
  const [family, name = ''] = rule.split('.');
  if (family === 'effect') return (name.split('-')[0] === 'exec' || name.startsWith('network') || name.startsWith('infra') ? name : name.split('-')[0]) as EffectKind;
  if (family === 'fs') return /^(rm|rmdir|find-delete|shred|mv-to-null)/.test(name) ? 'delete' : 'write';
  if (family === 'disk') return 'disk';
  if (family === 'perm') return 'permission';
  if (family === 'priv') return 'privilege';
  if (family === 'user') return name === 'allow' || name === 'deny' ? 'read' : 'account';
  if (family === 'net') return /reverse|bind/.test(name) ? 'takeover' : /pipe|run|download|remote|obfusc/.test(name) ? 'exec-remote' : 'network-change';
  if (family === 'git') return 'vcs';
  if (family === 'db' || family === 'sql' || family === 'redis' || family === 'mongo') return 'infra-delete';
  if (family === 'docker' || family === 'container') return 'container';
  if (family === 'sys') return /fork|kill-all/.test(name) ? 'takeover' : /kill/.test(name) ? 'signal' : /service/.test(name) ? 'service' : /cron|persist/.test(name) ? 'persist' : /history/.test(name) ? 'history' : /firewall|security/.test(name) ? 'security' : 'power';
  if (family === 'shell' || family === 'inline' || family === 'code') return 'exec-inline';
  if (family === 'win') return /registry|policy|defender/.test(name) ? 'setting' : 'write';
  if (family === 'cmd') return 'unknown';
  return 'infra-change';
}
