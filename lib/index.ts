// The public API of the `cmdai` package.
export { generateCommand, reviseCommand, explainCommand, checkRequest, DEFAULT_MAX_TOKENS } from './generate';
export type {
  CommandResult,
  CommandAlternative,
  CommandTimings,
  CommandExplanation,
  GenerateCommandOptions,
  RiskAssessment,
  RiskLevel,
} from './generate';
export { assessCommand } from './safety';
export type { Assessment, AssessOptions, RiskReason, SafetyDecision, SafetyRules, Span } from './safety';
export { createBackend, createEmbeddedBackend } from './backends';
export type { CreateBackendOptions, EmbeddedBackend, EmbeddedBackendOptions } from './backends';
export type { InferenceBackend, GenerateRequest, GenerateResult, GenerateTimings, BackendStatus, ChatMessage } from './backends/types';
export { loadConfig, configFilePath, setConfigValue } from './config';
export type { CmdaiConfig, BackendName, ShellName, SafetyPolicy } from './config';
export { detectEnvironment } from './prompt';
export type { Environment } from './prompt';
export { CmdaiError, BackendUnavailableError } from './errors';
export type { ErrorCode } from './errors';
export type { ImpactPreview, ImpactOperation, PreviewOptions } from './impact';
export type { PipedContext } from './context';

/** What a command would delete, overwrite, move, truncate, edit or re-permission here, counted without running it (loaded on first use). */
export function previewImpact(command: string, options?: import('./impact').PreviewOptions): Promise<import('./impact').ImpactPreview | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- start-up: previewImpact loads its module on first call
  return (require('./impact') as typeof import('./impact')).previewImpact(command, options);
}
