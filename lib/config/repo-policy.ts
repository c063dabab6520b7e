// A repository's `.cmdai.toml`: the project may add deny rules and raise the safety policy, never
// loosen anything. A cloned repository is someone else's code, so whatever in the file would
// relax a rule (allow rules, a looser policy) or reach beyond safety (backends, endpoints, keys)
// is ignored, with a note saying so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CmdaiError } from '../errors';
import { parseTomlTable } from './toml';
import { SAFETY_POLICIES, type SafetyPolicy } from './keys';

export const REPO_POLICY_FILE = '.cmdai.toml';

export interface RepoPolicy {
  /** The file that applies. */
  file: string;
  /** Deny rules the repository adds. */
  deny: string[];
  /** The policy the repository asks for (applied only when stricter than the user's). */
  policy?: SafetyPolicy;
  /** Lines saying what in the file was ignored, and why. */
  notes: string[];
}

const STRICTNESS: Record<SafetyPolicy, number> = { permissive: 0, moderate: 1, strict: 2 };

/** The stricter of two policies. */
export function stricterPolicy(a: SafetyPolicy, b: SafetyPolicy): SafetyPolicy {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b;
}

/**
 * The nearest `.cmdai.toml` from `cwd` upwards. The walk stops at the repository root (a folder
 * holding `.git`), at `home`, or at the filesystem root, each checked itself before stopping.
 */
export function findRepoPolicyFile(cwd: string, home?: string): string | undefined {
  const stopAtHome = home ? path.resolve(home) : undefined;
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, REPO_POLICY_FILE);
    if (isFile(candidate)) return candidate;
    if (fs.existsSync(path.join(dir, '.git')) || dir === stopAtHome || path.dirname(dir) === dir) return undefined;
  }
}

/** Reads and checks a repository policy file; a file that cannot be read as TOML is an error (fail closed). */
export function readRepoPolicy(file: string): RepoPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CmdaiError('CONFIG', `Cannot read the repository policy ${file}: ${(err as Error).message}`, {
      hint: 'Make it readable, or remove it if it is not meant to be there.',
    });
  }
  const doc = parseTomlTable(
    text,
    file,
    "This repository's cmdai policy could not be read, so cmdai will not guess its rules; fix the file or ask the repository's maintainers.",
  );

  const policy: RepoPolicy = { file, deny: [], notes: [] };
  const fail = (message: string): never => {
    throw new CmdaiError('CONFIG', `${file}: ${message}`, { hint: 'A repository policy may set [safety] policy (strict, moderate, permissive) and deny (a list of command patterns).' });
  };
  const ignored: string[] = [];
  const takePolicy = (value: unknown) => {
    if (typeof value !== 'string' || !SAFETY_POLICIES.includes(value as SafetyPolicy)) fail(`"policy" must be one of ${SAFETY_POLICIES.join(', ')}.`);
    policy.policy = value as SafetyPolicy;
  };

  for (const [key, value] of Object.entries(doc)) {
    if (key === 'safety' && typeof value === 'string') {
      takePolicy(value);
    } else if (key === 'safety' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [sub, subValue] of Object.entries(value as Record<string, unknown>)) {
        if (sub === 'policy') takePolicy(subValue);
        else if (sub === 'deny') {
          if (!Array.isArray(subValue) || !subValue.every((rule) => typeof rule === 'string' && rule.trim() !== '')) fail('"deny" must be a list of non-empty strings.');
          policy.deny.push(...(subValue as string[]));
        } else if (sub === 'allow') {
          policy.notes.push(`${file}: "allow" ignored: a repository can add deny rules, never allow rules.`);
        } else ignored.push(`safety.${sub}`);
      }
    } else {
      ignored.push(key);
    }
  }
  if (ignored.length > 0) policy.notes.push(`${file}: ${ignored.map((k) => `"${k}"`).join(', ')} ignored: a repository policy may only set [safety] policy and deny.`);
  return policy;
}

/**
 * The repository policy that applies in `cwd`, with notes about what of it is ignored given the
 * user's own policy; undefined when there is no `.cmdai.toml` on the way up.
 */
export function repoPolicyFor(cwd: string, userPolicy: SafetyPolicy, home?: string): RepoPolicy | undefined {
  const file = findRepoPolicyFile(cwd, home);
  if (!file) return undefined;
  const policy = readRepoPolicy(file);
  if (policy.policy && STRICTNESS[policy.policy] < STRICTNESS[userPolicy]) {
    policy.notes.push(`${file}: policy = "${policy.policy}" ignored: a repository can only make the policy stricter (it stays ${userPolicy}).`);
    policy.policy = undefined;
  } else if (policy.policy === userPolicy) {
    policy.policy = undefined;
  }
  return policy;
}

/** The safety settings with a repository policy on top: deny rules added, the policy raised. */
export function applyRepoPolicy<T extends { safety: { policy: SafetyPolicy; allow: string[]; deny: string[] } }>(config: T, policy: RepoPolicy | undefined): T {
  if (!policy) return config;
  return {
    ...config,
    safety: {
      ...config.safety,
      policy: policy.policy ? stricterPolicy(config.safety.policy, policy.policy) : config.safety.policy,
      deny: [...config.safety.deny, ...policy.deny.filter((rule) => !config.safety.deny.includes(rule))],
    },
  };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
