// Piped input as untrusted context: bounded, delimited, labelled as data.
export { boundContext, readContext, contextBlock, contextMarkers, ContextCollector, DEFAULT_CONTEXT_TOKENS, CHARS_PER_TOKEN } from './bound';
export type { PipedContext, ContextLimits } from './bound';
