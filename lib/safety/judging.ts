// What judges and walkers may ask of the assessment in progress. Judges depend on this interface,
// not on the class that implements it (analysis.ts), so no import runs back up from the rules.
import type { RiskLevel, Span } from './types';
import type { ShellDialect, SimpleCommand } from './command';
import type { Effect, EffectFacts } from './effects';
import type { ClassifiedPath } from './paths';

export interface Analysis {
  /** A finding with a level decided by the rule itself. */
  report(rule: string, level: RiskLevel, message: string, span: Span, effect?: Omit<Effect, 'level' | 'rule' | 'span'>): void;
  /** A finding whose level comes from the effects table (effects.ts). Returns the effect. */
  effect(facts: EffectFacts, message: string, span: Span, rule?: string): Effect;
  analyseNested(text: string, dialect: ShellDialect, carrier: Span): void;
  judge(raw: SimpleCommand): SimpleCommand;
  markDownloaded(path: string): void;
  judgeRunOfDownload(file: { value: string; span: Span }): boolean;
  scriptWrittenAt(path: string): string | undefined;
  /** A path as the command will see it: against the tracked working directory and home. */
  resolve(path: string): string;
  classify(path: string): ClassifiedPath;
  /** `cd`/`pushd`/`popd`/`Set-Location`: the working directory for the commands that follow. */
  changeDirectory(target: string | undefined, how?: 'cd' | 'pushd' | 'popd'): void;
  /** Subshells keep their own working directory: save before, restore after. */
  saveDirectory(): unknown;
  restoreDirectory(saved: unknown): void;
  /** Programs copied earlier in the command (`cp /bin/bash /tmp/x`): the copy is the same program. */
  rememberCopy(to: string, from: string): void;
  copiedProgram(path: string): string | undefined;
  /** Accounts created earlier in the command (`net user x /add`, `useradd x`). */
  rememberAccount(name: string): void;
  accountCreatedHere(name: string): boolean;
  /** Judge code that runs as administrator/root (Start-Process -Verb RunAs). */
  runElevated(fn: () => void): void;
  /** Judge code run inside a container: paths reach the host only through its bind mounts. */
  runInContainer(mounts: { src: string; dst: string }[], workdir: string, fn: () => void, passthrough?: boolean): void;
  /** Whether the command being judged runs elevated (sudo, doas, RunAs...). */
  readonly elevated: boolean;
  /** Whether the command being judged has reported any finding or effect. */
  readonly findingsSinceJudge: number;
}
