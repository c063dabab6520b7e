// The public shapes of a safety assessment. Kept free of imports so `cmdai check` loads little.

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
}
