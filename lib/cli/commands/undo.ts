// `cmdai undo`: puts back the last set of files cmdai moved to the trash instead of deleting them.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-codes';
import type { GlobalArgs } from '../options';

const undoCommandModule: CommandModule<object, GlobalArgs> = {
  command: 'undo',
  describe: 'Restore the files cmdai last moved to the trash',
  builder: (yargs) => yargs as unknown as Argv<GlobalArgs>,
  handler: () => {
    const { restoreLastTrashed } = require('../../trash') as typeof import('../../trash');
    const record = restoreLastTrashed();
    const n = record.items.length;
    process.stdout.write(`Restored ${n} ${n === 1 ? 'item' : 'items'} trashed instead of \`${record.command}\`:\n`);
    for (const item of record.items) process.stdout.write(`  ${item.original}\n`);
    process.exitCode = EXIT.OK;
  },
};

export default undoCommandModule;
