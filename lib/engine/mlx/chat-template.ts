// The chat template from tokenizer_config.json, rendered with @huggingface/jinja: the same
// Jinja dialect the template was written for in transformers.
import type * as Jinja from '@huggingface/jinja' with { 'resolution-mode': 'import' };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is ESM-first; its CommonJS build is loaded, typed from the ESM types
const { Template } = require('@huggingface/jinja') as typeof Jinja;
type Template = InstanceType<typeof Template>;
import { CmdaiError } from '../../errors';
import type { ChatMessage } from '../types';
import type { TokenizerConfigJson } from './tokenizer';

function templateSource(config: TokenizerConfigJson): string | null {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  // Newer configs hold several named templates; "default" is the chat one.
  if (Array.isArray(t)) return t.find((x) => x.name === 'default')?.template ?? t[0]?.template ?? null;
  return null;
}

function specialText(t: TokenizerConfigJson['bos_token']): string {
  if (!t) return '';
  return typeof t === 'string' ? t : t.content;
}

export class ChatTemplate {
  private constructor(
    readonly source: string,
    private readonly template: Template,
    private readonly config: TokenizerConfigJson,
  ) {}

  /** Null when the model has no chat template. */
  static fromConfig(config: TokenizerConfigJson, file: string): ChatTemplate | null {
    const source = templateSource(config);
    if (!source) return null;
    try {
      return new ChatTemplate(source, new Template(source), config);
    } catch (err) {
      throw new CmdaiError('MODEL_INVALID', `The chat template in ${file} does not parse: ${(err as Error).message}`, {
        hint: 'Fix chat_template in tokenizer_config.json or download the model folder again.',
      });
    }
  }

  render(messages: ChatMessage[], addAssistant: boolean): string {
    try {
      return this.template.render({
        messages,
        add_generation_prompt: addAssistant,
        bos_token: specialText(this.config.bos_token),
        eos_token: specialText(this.config.eos_token),
      });
    } catch (err) {
      throw new CmdaiError('GENERATION', `The model's chat template failed on these messages: ${(err as Error).message}`);
    }
  }
}
