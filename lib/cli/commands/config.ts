// `cmdai config get [key] | set <key> <value> | unset <key> | path`
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import * as configModule from '../../config';
import { CmdaiError } from '../../errors';
import { looksLikePath, ModelCatalog } from '../../models';
import { loadCliConfig, type GlobalArgs } from '../options';

interface ConfigArgs extends GlobalArgs {
  [option: string]: unknown;
  key?: string;
  value?: string;
}

function fileOf(argv: ConfigArgs): string {
  return argv.config ?? configModule.configFilePath();
}

/**
 * Values that name things on disk or in the catalog are checked against them before saving,
 * and a relative path is saved as the absolute path it means here.
 */
function checkedValue(argv: ConfigArgs, key: string, value: string): string {
  const { canonicalKey } = configModule;
  const canonical = canonicalKey(key);
  if (canonical === 'models.dir' && value.trim() !== '' && !value.startsWith('~')) return path.resolve(value);
  if (canonical !== 'model' || value.trim() === '') return value;
  if (looksLikePath(value)) {
    const full = value.startsWith('~') ? value : path.resolve(value);
    const onDisk = full.startsWith('~') ? path.join(os.homedir(), full.slice(1)) : full;
    if (!fs.existsSync(onDisk)) {
      throw new CmdaiError('USAGE', `Not saved: there is no model file at ${onDisk}.`, { hint: 'Give the path of a .gguf file (or MLX model folder) that exists, or a name from `cmdai model list`.' });
    }
    return full;
  }
  // Custom models from the file count as names too (the file may not exist yet).
  const catalog = ModelCatalog.load(loadCliConfig({ file: argv.config, skipFile: !fs.existsSync(fileOf(argv)) }).models);
  catalog.get(value); // a usage error listing the known names when it is not one
  return value;
}

const configCommandModule: CommandModule<object, ConfigArgs> = {
  command: 'config <action>',
  describe: 'Read or change settings',
  builder: (yargs) =>
    (yargs as Argv<ConfigArgs>)
      .command({
        command: 'path',
        describe: 'Print the config file path',
        handler: (argv: ConfigArgs) => {
          process.stdout.write(fileOf(argv) + '\n');
        },
      })
      .command({
        command: 'get [key]',
        describe: 'Print one effective setting, or all of them with where each comes from',
        handler: (argv: ConfigArgs) => {
          const { getConfigValue, CONFIG_KEYS } = configModule;
          const config = loadCliConfig({ file: argv.config });
          const show = (value: unknown) => (value === undefined ? '(unset)' : Array.isArray(value) ? value.join(', ') : String(value));
          if (argv.key) {
            process.stdout.write(show(getConfigValue(config, argv.key)) + '\n');
            return;
          }
          for (const key of Object.keys(CONFIG_KEYS)) {
            const source = config.sources[key as keyof typeof CONFIG_KEYS] ?? 'default';
            process.stdout.write(`${key} = ${show(getConfigValue(config, key))}  (${source})\n`);
          }
        },
      })
      .command({
        command: 'set <key> <value>',
        describe: 'Check a value and save it in the config file',
        handler: (argv: ConfigArgs) => {
          const { setConfigValue } = configModule;
          const file = fileOf(argv);
          const saved = setConfigValue(file, argv.key!, checkedValue(argv, argv.key!, String(argv.value)));
          process.stdout.write(`${argv.key} = ${Array.isArray(saved) ? saved.join(', ') : saved}  (saved in ${file})\n`);
        },
      })
      .command({
        command: 'unset <key>',
        describe: 'Remove a setting from the config file (the default applies again)',
        handler: (argv: ConfigArgs) => {
          const { unsetConfigValue } = configModule;
          const file = fileOf(argv);
          const removed = unsetConfigValue(file, argv.key!);
          process.stdout.write(removed ? `${argv.key} removed from ${file}\n` : `${argv.key} is not set in ${file}; nothing to remove.\n`);
        },
      })
      .demandCommand(1, 'Say what to do: cmdai config get [key] | set <key> <value> | unset <key> | path'),
  handler: () => {},
};

export default configCommandModule;
