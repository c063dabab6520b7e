// Secrets never leave the machine: redaction before text goes to a remote backend.
export { SecretRedactor, redactSecrets } from './redactor';
export type { RedactorOptions } from './redactor';
export { withSecretRedaction } from './backend';
export type { RedactionOptions } from './backend';
export { SECRET_RULES, isSecretEnvName } from './rules';
