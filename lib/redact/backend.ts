// A remote backend behind a redactor: every message leaves with its secrets replaced by
// placeholders, and the answer comes back with the originals put in again. Only remote backends
// are wrapped; the embedded engine never sends text anywhere, so it gets the text as it is.
import type { BackendStatus, GenerateRequest, GenerateResult, InferenceBackend } from '../backends/types';
import { SecretRedactor, type RedactorOptions } from './redactor';

export interface RedactionOptions extends RedactorOptions {
  /** Told after each request how many distinct secrets it held (never which). */
  onRedacted?: (count: number, backend: string) => void;
}

export function withSecretRedaction(backend: InferenceBackend, options: RedactionOptions = {}): InferenceBackend {
  const redactor = new SecretRedactor(options);
  return {
    get name() {
      return backend.name;
    },
    status(): Promise<BackendStatus> {
      return backend.status();
    },
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const secrets = new Set<string>();
      const messages = request.messages.map((message) => {
        const redacted = redactor.redact(message.content);
        for (const placeholder of redacted.placeholders) secrets.add(placeholder);
        return { ...message, content: redacted.text };
      });
      options.onRedacted?.(secrets.size, backend.name);
      const result = await backend.generate({ ...request, messages });
      return { ...result, text: redactor.restore(result.text, { json: request.jsonSchema !== undefined }) };
    },
    dispose(): Promise<void> {
      return backend.dispose();
    },
  };
}
