// `cmdai config get [key] | set <key> <value> | path`
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../options';

interface ConfigArgs extends GlobalArgs {
  [option: string]: unknown;
  key?: string;
  value?: string;
}

function loadFileConfig(argv: ConfigArgs) {
  const { loadConfig } = require('../../config') as typeof import('../../config');
  return loadConfig({ file: argv.config });
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
          const { configFilePath } = require('../../config') as typeof import('../../config');
          process.stdout.write((argv.config ?? configFilePath()) + '\n');
        },
      })
      .command({
        command: 'get [key]',
        describe: 'Print one effective setting, or all of them',
        handler: (argv: ConfigArgs) => {
          const { getConfigValue, CONFIG_KEYS } = require('../../config') as typeof import('../../config');
          const config = loadFileConfig(argv);
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
          const { setConfigValue, configFilePath } = require('../../config') as typeof import('../../config');
          const file = argv.config ?? configFilePath();
          const saved = setConfigValue(file, argv.key!, String(argv.value));
          process.stdout.write(`${argv.key} = ${Array.isArray(saved) ? saved.join(', ') : saved}  (saved in ${file})\n`);
        },
      })
      .demandCommand(1, 'Say what to do: cmdai config get [key] | set <key> <value> | path'),
  handler: () => {},
};

export default configCommandModule;
