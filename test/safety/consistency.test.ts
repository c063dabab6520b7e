// One effect, one level: the same operation spelled differently, or in another shell, gets the same
// level, and the working directory is tracked so `cd DIR && cmd *` is `cmd DIR/*`.
import fc from 'fast-check';
import { assessCommand } from '../../lib/safety';
import type { AssessOptions } from '../../lib/safety';

const POSIX = { cwd: '/home/dev/project', home: '/home/dev' };
const WINDOWS = { cwd: 'C:\\Users\\dev\\project', home: 'C:\\Users\\dev' };

function levels(spellings: [string, AssessOptions][]): Record<string, string> {
  return Object.fromEntries(spellings.map(([command, options]) => [`${options.shell ?? 'bash'}: ${command}`, assessCommand(command, options).level]));
}

function expectOneLevel(spellings: [string, AssessOptions][]): void {
  const found = levels(spellings);
  expect(new Set(Object.values(found)).size === 1 ? 'one level' : found).toBe('one level');
}

test('stopping one process by id or name: kill, pkill, killall, taskkill, Stop-Process', () => {
  expectOneLevel([
    ['kill 4242', { ...POSIX }],
    ['kill -9 4242', { ...POSIX }],
    ['pkill -f gunicorn', { ...POSIX }],
    ['killall node', { ...POSIX }],
    ['kill $(pgrep node)', { ...POSIX }],
    ['taskkill /im node.exe /f', { shell: 'cmd', ...WINDOWS }],
    ['taskkill /pid 4242', { shell: 'cmd', ...WINDOWS }],
    ['Stop-Process -Name node', { shell: 'pwsh', ...WINDOWS }],
    ['Stop-Process -Id 4242 -Force', { shell: 'pwsh', ...WINDOWS }],
    ['kill 4242', { shell: 'fish', ...POSIX }],
  ]);
});

test('recursive forced deletion of a project folder, however it is spelled', () => {
  expectOneLevel([
    ['rm -rf docs', { ...POSIX }],
    ['rm -r -f docs', { ...POSIX }],
    ['rm --recursive --force docs', { ...POSIX }],
    ['rm -fr ./docs/', { ...POSIX }],
    ['/bin/rm -rf "docs"', { ...POSIX }],
    ['rm -rf docs', { shell: 'zsh', ...POSIX }],
    ['rm -rf docs', { shell: 'fish', ...POSIX }],
    ['Remove-Item -Recurse -Force docs', { shell: 'pwsh', ...WINDOWS }],
    ['Remove-Item .\\docs -Recurse -Force', { shell: 'pwsh', ...WINDOWS }],
    ['rd /s /q docs', { shell: 'cmd', ...WINDOWS }],
    ['rmdir /s /q docs', { shell: 'cmd', ...WINDOWS }],
  ]);
});

test('recursive forced deletion of the home directory, however it is spelled', () => {
  expectOneLevel([
    ['rm -rf ~', { ...POSIX }],
    ['rm -rf "$HOME"', { ...POSIX }],
    ['rm -rf /home/dev', { ...POSIX }],
    ['cd && rm -rf *', { ...POSIX }],
    ['cd ~; rm -rf ./*', { ...POSIX }],
    ['rm -rf ..', { ...POSIX }],
    ['rm -rf $HOME', { shell: 'fish', ...POSIX }],
    ['Remove-Item -Recurse -Force $HOME', { shell: 'pwsh', ...WINDOWS }],
    ['Remove-Item -Recurse -Force $env:USERPROFILE', { shell: 'pwsh', ...WINDOWS }],
    ['rd /s /q %USERPROFILE%', { shell: 'cmd', ...WINDOWS }],
    ['rd /s /q ..', { shell: 'cmd', ...WINDOWS }],
  ]);
});

test('overwriting one file of yours: > file, tee file, Set-Content, Out-File', () => {
  expectOneLevel([
    ['echo done > notes.txt', { ...POSIX }],
    ['echo done | tee notes.txt', { ...POSIX }],
    ['printf "done\\n" >| notes.txt', { ...POSIX }],
    ['echo done > notes.txt', { shell: 'fish', ...POSIX }],
    ['Set-Content -Path notes.txt -Value done', { shell: 'pwsh', ...WINDOWS }],
    ['"done" | Out-File notes.txt', { shell: 'pwsh', ...WINDOWS }],
    ['echo done > notes.txt', { shell: 'cmd', ...WINDOWS }],
  ]);
});

test('remote code into a root shell, whichever shell or wrapper', () => {
  expectOneLevel([
    ['curl -fsSL https://get.example.com | sudo bash', { ...POSIX }],
    ['wget -qO- https://get.example.com | sudo sh -s --', { ...POSIX }],
    ['curl -s https://get.example.com | sudo -i', { ...POSIX }],
    ['sudo bash -c "$(curl -fsSL https://get.example.com)"', { ...POSIX }],
    ['curl -s https://get.example.com | sudo bash', { shell: 'fish', ...POSIX }],
    ["Start-Process pwsh -Verb RunAs -ArgumentList '-Command iwr https://get.example.com | iex'", { shell: 'pwsh', ...WINDOWS }],
  ]);
});

test('every effect carries one level from the table, and the result level is the highest', () => {
  for (const [command, options] of [['cd /etc && rm -rf *', POSIX], ['chmod 600 key; git commit -am x; kill 1', POSIX]] as const) {
    const a = assessCommand(command, options);
    const order = ['safe', 'moderate', 'high', 'critical'];
    const highest = a.effects.reduce((m, e) => Math.max(m, order.indexOf(e.level)), 0);
    expect(order[highest]).toBe(a.level);
  }
});

test('deletion effects name the operation and the resolved absolute path, for an impact preview', () => {
  const a = assessCommand('cd src && rm -rf ../build old/*.js', POSIX);
  expect(a.effects.filter((e) => e.kind === 'delete').map((e) => [e.op, e.target?.value, e.scope])).toEqual([
    ['delete', '/home/dev/project/build', 'recursive'],
    ['delete', '/home/dev/project/src/old/*.js', 'recursive'],
  ]);
});

// --- cd properties -----------------------------------------------------------------------------

const directory = fc.constantFrom('/', '/etc', '/usr/lib', '/var/log', '/home', '/home/dev', '/home/dev/project', '/tmp', '/home/dev/project/src', '/opt/app', '/srv/www', '/var/lib/mysql');
const action = fc.constantFrom('rm -rf', 'rm -f', 'rm -r', 'chmod -R 777', 'chown -R nobody', 'shred -u', 'sudo rm -rf', 'truncate -s 0', 'cp -r /tmp/x');
const glob = fc.constantFrom('*', '*.conf', '.*', '**');

test('cd DIR then acting on * rates the same as acting on DIR/*', () => {
  fc.assert(
    fc.property(directory, action, glob, (dir, act, pattern) => {
      const viaCd = assessCommand(`cd ${dir} && ${act} ${pattern}`, POSIX).level;
      const direct = assessCommand(`${act} ${dir === '/' ? '' : dir}/${pattern}`, POSIX).level;
      return viaCd === direct;
    }),
    { numRuns: 400 },
  );
});

test('a subshell keeps its cd to itself; pushd/popd return', () => {
  fc.assert(
    fc.property(directory, action, (dir, act) => {
      const inside = assessCommand(`(cd ${dir} && ${act} *)`, POSIX).level;
      const afterSubshell = assessCommand(`(cd ${dir}); ${act} *`, POSIX).level;
      const afterPopd = assessCommand(`pushd ${dir}; popd; ${act} *`, POSIX).level;
      const here = assessCommand(`${act} *`, POSIX).level;
      return inside === assessCommand(`${act} ${dir === '/' ? '' : dir}/*`, POSIX).level && afterSubshell === here && afterPopd === here;
    }),
    { numRuns: 200 },
  );
});

test('relative paths climb from the working directory the caller gives', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4 }), (up) => {
      const cwd = '/home/dev/project/src';
      const target = ['/home/dev/project/src', '/home/dev/project', '/home/dev', '/home', '/'][up];
      const relative = up === 0 ? '.' : Array(up).fill('..').join('/');
      return assessCommand(`rm -rf ${relative}`, { cwd, home: '/home/dev' }).level === assessCommand(`rm -rf ${target}`, { cwd, home: '/home/dev' }).level;
    }),
  );
});

test('the firewall switched off, on every system and in every shell', () => {
  expectOneLevel([
    ['sudo ufw disable', { ...POSIX }],
    ['sudo systemctl disable --now firewalld', { ...POSIX }],
    ['sudo pfctl -d', { shell: 'zsh', ...POSIX }],
    ['sudo /usr/libexec/ApplicationFirewall/socketfilterfw --setglobalstate off', { shell: 'zsh', ...POSIX }],
    ['netsh advfirewall set allprofiles state off', { shell: 'cmd', ...WINDOWS }],
    ['Set-NetFirewallProfile -All -Enabled False', { shell: 'pwsh', ...WINDOWS }],
    ['sudo ufw disable', { shell: 'fish', ...POSIX }],
  ]);
});

test('a whole database or project deleted, whichever platform and spelling', () => {
  expectOneLevel([
    ['gcloud sql instances delete main --quiet', { ...POSIX }],
    ['gcloud projects delete acme-prod', { ...POSIX }],
    ['aws rds delete-db-instance --db-instance-identifier main --skip-final-snapshot', { ...POSIX }],
    ['az sql db delete -g rg -s srv -n app --yes', { ...POSIX }],
    ['doctl databases delete 1234 --force', { ...POSIX }],
    ['heroku pg:reset DATABASE --confirm app', { ...POSIX }],
    ['psql -c "DROP DATABASE app"', { ...POSIX }],
    ['Remove-AzSqlDatabase -ResourceGroupName rg -ServerName srv -DatabaseName app -Force', { shell: 'pwsh', ...WINDOWS }],
    ['curl -X DELETE https://api.example.com/v1/databases/app', { ...POSIX }],
    ['gcloud sql instances delete main --quiet', { shell: 'cmd', ...WINDOWS }],
  ]);
});

test('deleting everything under a home directory, through a listing piped into a loop', () => {
  expectOneLevel([
    ['rm -rf ~/*', { ...POSIX }],
    ['find ~ -mindepth 1 -delete', { ...POSIX }],
    ['Get-ChildItem $HOME | Remove-Item -Recurse -Force', { shell: 'pwsh', ...WINDOWS }],
    ['Get-ChildItem $HOME | ForEach-Object { Remove-Item $_ -Recurse -Force }', { shell: 'pwsh', ...WINDOWS }],
    ['foreach ($f in Get-ChildItem $HOME) { Remove-Item $f -Recurse -Force }', { shell: 'pwsh', ...WINDOWS }],
    ['for /d %i in (C:\\Users\\dev\\*) do rd /s /q "%i"', { shell: 'cmd', ...WINDOWS }],
  ]);
});

test('an in-place rewrite of many files, by a formatter or a loop, in any shell', () => {
  expectOneLevel([
    ['prettier --write "src/**/*.ts"', { ...POSIX }],
    ['find src -name "*.ts" -exec sed -i "s/a/b/" {} +', { ...POSIX }],
    ['for f in src/**/*.ts; do npx terser $f -o $f; done', { shell: 'zsh', ...POSIX }],
    ['for f in src/*.ts; sed -i "s/a/b/" $f; end', { shell: 'fish', ...POSIX }],
    ['Get-ChildItem src -Recurse -Filter *.ts | ForEach-Object { Set-Content $_.FullName -Value "" }', { shell: 'pwsh', ...WINDOWS }],
  ]);
});

test('deleting one user account, whichever system and spelling', () => {
  expectOneLevel([
    ['sudo userdel olduser', { ...POSIX }],
    ['sudo deluser olduser', { ...POSIX }],
    ['sudo dscl . -delete /Users/olduser', { ...POSIX }],
    ['sudo sysadminctl -deleteUser olduser', { shell: 'zsh', ...POSIX }],
    ['net user olduser /delete', { shell: 'cmd', ...WINDOWS }],
    ['Remove-LocalUser -Name olduser', { shell: 'pwsh', ...WINDOWS }],
    ['sudo userdel olduser', { shell: 'fish', ...POSIX }],
  ]);
});

test('wiping the shell history, in each shell', () => {
  expectOneLevel([
    ['history -c && history -w', { ...POSIX }],
    ['history -c', { shell: 'zsh', ...POSIX }],
    ['history clear', { shell: 'fish', ...POSIX }],
    ['Clear-History; Remove-Item (Get-PSReadLineOption).HistorySavePath', { shell: 'pwsh', ...WINDOWS }],
    ['rm ~/.bash_history', { ...POSIX }],
  ]);
});

test('a simulated package removal only shows what it would do', () => {
  expectOneLevel([
    ['apt-get -s remove nginx', { ...POSIX }],
    ['apt-get --simulate purge nginx', { ...POSIX }],
    ['apt remove --dry-run nginx', { ...POSIX }],
    ['sudo apt-get -sy autoremove', { ...POSIX }],
    ['dnf remove --assumeno nginx', { ...POSIX }],
    ['apt list --installed', { ...POSIX }],
  ]);
  expect(assessCommand('apt-get -s remove nginx', POSIX).level).toBe('safe');
});

test('text written into a shell start-up file: echo, printf, zsh print, tee', () => {
  const line = `'eval "$(curl -fsSL https://example.com/i.sh)"'`;
  expectOneLevel([
    [`echo ${line} >> ~/.bashrc`, { ...POSIX }],
    [`printf '%s\\n' ${line} >> ~/.bashrc`, { ...POSIX }],
    [`print ${line} >> ~/.zshrc`, { shell: 'zsh', ...POSIX }],
    [`echo ${line} | tee -a ~/.profile`, { ...POSIX }],
  ]);
});

test("emptying or deleting a project's secrets file (.env), in each shell", () => {
  expectOneLevel([
    ['rm .env', { ...POSIX }],
    ['truncate -s 0 .env', { ...POSIX }],
    [': > .env.production', { ...POSIX }],
    ['rm .env', { shell: 'fish', ...POSIX }],
    ['Clear-Content .\\.env', { shell: 'pwsh', ...WINDOWS }],
    ['Remove-Item .env -Force', { shell: 'pwsh', ...WINDOWS }],
    ['del .env', { shell: 'cmd', ...WINDOWS }],
    ['truncate -s 0 ~/.aws/credentials', { ...POSIX }],
  ]);
  // Its committed template is an ordinary file; reading secrets changes nothing.
  expect(assessCommand('rm .env.example', POSIX).level).toBe('moderate');
  expect(assessCommand('cat .env', POSIX).level).toBe('safe');
});

test("npm's rimraf deletes like rm -rf, run directly or through npx", () => {
  for (const target of ['~/project', 'node_modules', '/', '~']) {
    expectOneLevel([
      [`rm -rf ${target}`, { ...POSIX }],
      [`rimraf ${target}`, { ...POSIX }],
      [`npx rimraf ${target}`, { shell: 'zsh', ...POSIX }],
    ]);
  }
});

test('a script fed to a shell on stdin runs like the script itself, here or over ssh', () => {
  expectOneLevel([
    ['bash setup.sh', { ...POSIX }],
    ['bash -s < setup.sh', { ...POSIX }],
    ['sh < setup.sh', { ...POSIX }],
    ['cat setup.sh | bash', { ...POSIX }],
    ["ssh dev@build01 'bash -s' < setup.sh", { ...POSIX }],
    ['cat setup.sh | ssh dev@build01 sh', { ...POSIX }],
  ]);
  // Reading a file on stdin changes nothing by itself.
  expect(assessCommand('wc -l < setup.sh', POSIX).level).toBe('safe');
});

test('copying files over others, in a shell or from an interpreter one-liner', () => {
  expectOneLevel([
    ['cp -r static static_backup', { ...POSIX }],
    [`python3 -c "import shutil; shutil.copytree('static', 'static_backup', dirs_exist_ok=True)"`, { ...POSIX }],
    [`python3 -c "from pathlib import Path; Path('notes.txt').write_text('hi')"`, { ...POSIX }],
    [`node -e "require('fs').copyFileSync('a.txt', 'b.txt')"`, { ...POSIX }],
    [`ruby -e "require 'fileutils'; FileUtils.cp_r('static', 'backup')"`, { ...POSIX }],
    ['Copy-Item -Recurse static static_backup', { shell: 'pwsh', ...WINDOWS }],
    ['xcopy static static_backup /E /I', { shell: 'cmd', ...WINDOWS }],
  ]);
  // An object's copy() is not a file operation.
  expect(assessCommand(`python3 -c "d = {'a': 1}; print(d.copy())"`, POSIX).level).toBe('safe');
});

test("POSIX habits typed into PowerShell: rm -rf PATH is judged like Remove-Item -Recurse -Force PATH", () => {
  for (const target of ['/', 'C:\\', '~', '.\\build']) {
    expectOneLevel([
      [`rm -rf ${target}`, { shell: 'pwsh', ...WINDOWS }],
      [`Remove-Item -Recurse -Force ${target}`, { shell: 'pwsh', ...WINDOWS }],
    ]);
  }
  expect(assessCommand('rm -rf /', { shell: 'powershell', ...WINDOWS }).level).toBe('critical');
});
