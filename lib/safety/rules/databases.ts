// Database clients: the SQL (or Redis/Mongo commands) they are given, from options, heredocs or pipes.
import type { DataSource, SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import type { RiskLevel, Span } from '../types';
import { isDynamic } from '../markers';
import { optionValue, positionals } from '../options';

interface SqlFinding {
  rule: string;
  level: RiskLevel;
  message: string;
}

/** Reads SQL statement by statement, ignoring comments and string contents. */
export function assessSql(sql: string): SqlFinding[] {
  const findings: SqlFinding[] = [];
  const stripped = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
  for (const raw of stripped.split(';')) {
    const s = raw.trim().replace(/\s+/g, ' ');
    if (!s) continue;
    const upper = s.toUpperCase();
    let m: RegExpExecArray | null;
    if ((m = /^DROP\s+(DATABASE|SCHEMA|TABLE|KEYSPACE|USER|ROLE|VIEW|INDEX|COLLECTION|TABLESPACE|MATERIALIZED VIEW|FUNCTION|PROCEDURE|TRIGGER|SEQUENCE|TYPE|EXTENSION|OWNED)\b/.exec(upper))) {
      const what = m[1].toLowerCase();
      // A whole database (or schema/keyspace) goes at once: nothing asks first.
      if (/^(database|schema|keyspace)$/.test(what)) findings.push({ rule: 'db.drop-database', level: 'critical', message: `DROP ${m[1]} permanently deletes the whole ${what} and all its data, without asking.` });
      else findings.push({ rule: 'db.drop', level: 'high', message: `DROP ${m[1]} permanently removes the ${what}${/database|schema|table|keyspace|collection|tablespace/.test(what) ? ' and all its data' : ''}.` });
    } else if (/^TRUNCATE\b/.test(upper)) {
      findings.push({ rule: 'db.truncate', level: 'high', message: 'TRUNCATE deletes every row of the table.' });
    } else if (/^DELETE\b/.test(upper)) {
      if (!/\bWHERE\b/.test(upper) || /\bWHERE\s+(1\s*=\s*1|TRUE|1)\s*$/.test(upper)) findings.push({ rule: 'db.delete-all', level: 'high', message: 'DELETE without a WHERE clause deletes every row of the table.' });
      else findings.push({ rule: 'db.delete', level: 'moderate', message: 'DELETE removes the matching rows.' });
    } else if (/^UPDATE\b/.test(upper)) {
      if (!/\bWHERE\b/.test(upper) || /\bWHERE\s+(1\s*=\s*1|TRUE|1)\s*$/.test(upper)) findings.push({ rule: 'db.update-all', level: 'high', message: 'UPDATE without a WHERE clause overwrites every row of the table.' });
      else findings.push({ rule: 'db.update', level: 'moderate', message: 'UPDATE changes the matching rows.' });
    } else if (/^ALTER\b/.test(upper)) {
      if (/\bDROP\b/.test(upper)) findings.push({ rule: 'db.alter-drop', level: 'high', message: 'ALTER ... DROP removes a column, constraint or partition and its data.' });
      else if (/\b(SUPERUSER|CREATEROLE|BYPASSRLS)\b/.test(upper) && !/\bNO(SUPERUSER|CREATEROLE|BYPASSRLS)\b/.test(upper)) findings.push({ rule: 'db.grant-admin', level: 'high', message: 'Grants database superuser powers.' });
      else findings.push({ rule: 'db.alter', level: 'moderate', message: 'ALTER changes the database structure.' });
    } else if (/^GRANT\b/.test(upper)) {
      // Everything on every database, or the right to grant further, is an administrator grant.
      const broad = (/\bALL\b/.test(upper) && /\*\.\*|\bALL (TABLES|DATABASES|SCHEMAS)\b|\bON DATABASE\b/.test(upper)) || /\bSUPERUSER\b|\bWITH (GRANT|ADMIN) OPTION\b|\bDBA\b|\bSYSADMIN\b/.test(upper);
      findings.push({ rule: broad ? 'db.grant-admin' : 'db.grant', level: broad ? 'high' : 'moderate', message: broad ? 'Grants broad database privileges.' : 'Grants database privileges.' });
    } else if (/^(CREATE|INSERT|REPLACE|MERGE|UPSERT|REVOKE|RENAME|REINDEX|VACUUM|CLUSTER|LOCK)\b/.test(upper)) {
      if (/^CREATE\s+(USER|ROLE)\b/.test(upper) && /\bSUPERUSER\b/.test(upper)) findings.push({ rule: 'db.grant-admin', level: 'high', message: 'Creates a database superuser.' });
      else findings.push({ rule: 'db.write', level: 'moderate', message: `${upper.split(' ')[0]} changes the database.` });
    }
    if (/\bCOPY\b[\s\S]*\b(TO|FROM)\s+PROGRAM\b/.test(upper) || /\bXP_CMDSHELL\b/.test(upper) || /\bINTO\s+(OUT|DUMP)FILE\b/.test(upper)) {
      findings.push({ rule: 'db.shell-escape', level: 'high', message: 'The SQL runs a shell program or writes a file on the database server.' });
    }
  }
  return findings;
}

function reportSql(analysis: Analysis, sql: string, span: Span, tool: string): void {
  for (const f of assessSql(sql)) {
    if (f.level === 'critical') analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: true, target: { type: 'resource', value: 'database' } }, `${tool}: ${f.message}`, span, f.rule);
    else analysis.report(f.rule, f.level, `${tool}: ${f.message}`, span);
  }
}

function fromSource(analysis: Analysis, source: DataSource | undefined, tool: string, judge: (text: string, span: Span) => void): void {
  if (!source) return;
  if (source.kind === 'text') judge(source.text, source.span);
  else if (source.kind === 'network') analysis.report('net.pipe-to-interpreter', 'high', `${tool} runs statements downloaded by ${source.tool} without showing them first.`, source.span);
}

function fromWord(analysis: Analysis, word: Word | undefined, judge: (text: string, span: Span) => void): boolean {
  if (!word) return false;
  if (!isDynamic(word.value)) judge(word.value, word.span);
  return true;
}

export function judgeSqlClient(cmd: SimpleCommand, analysis: Analysis): void {
  const tool = cmd.name;
  const sqlJudge = (text: string, span: Span): void => reportSql(analysis, text, span, tool);
  let inline: Word | undefined;
  switch (tool) {
    case 'psql':
      inline = optionValue(cmd.args, 'c', ['--command']);
      break;
    case 'mysql':
    case 'mariadb':
      inline = optionValue(cmd.args, 'e', ['--execute']);
      break;
    case 'sqlite3':
    case 'duckdb': {
      const pos = positionals(cmd.args, { short: '', long: ['-cmd', '-separator', '-newline', '-nullvalue'] });
      inline = pos[1];
      break;
    }
    case 'cqlsh':
    case 'snowsql':
      inline = optionValue(cmd.args, 'e', ['--execute']) ?? optionValue(cmd.args, 'q', ['--query']);
      break;
    case 'clickhouse-client':
    case 'clickhouse':
      inline = optionValue(cmd.args, 'q', ['--query']);
      break;
    case 'sqlcmd':
    case 'osql':
      inline = optionValue(cmd.args, 'Q', []) ?? optionValue(cmd.args, 'q', []);
      break;
    case 'bq':
      if (cmd.args.some((w) => w.value === 'query')) inline = positionals(cmd.args, {}).filter((w) => w.value !== 'query').pop();
      break;
  }
  if (!fromWord(analysis, inline, sqlJudge)) fromSource(analysis, cmd.stdin, tool, sqlJudge);
  // A SQL script from a file (`psql -f x.sql`, `sqlcmd -i x.sql`, `mysql < x.sql`): statements nobody here has read.
  const script = optionValue(cmd.args, tool === 'sqlcmd' || tool === 'osql' ? 'i' : 'f', ['--file', '--input-file']);
  if (!inline && (script || cmd.stdin?.kind === 'file')) analysis.effect({ kind: 'exec-local', target: { type: 'code', value: script?.value ?? 'SQL script' } }, `${tool} runs the SQL statements in "${script?.value ?? 'a file'}" against the database; they were not inspected.`, script?.span ?? cmd.span, 'db.script');
}

const REDIS_DESTRUCTIVE = /^(flushall|flushdb|swapdb|shutdown|debug|script flush|function flush|cluster reset|replicaof|slaveof)$/;

export function judgeRedis(cmd: SimpleCommand, analysis: Analysis): void {
  const pos = positionals(cmd.args, { short: 'hpasnurcdiR', long: ['--user', '--pass', '--tls', '--cacert', '--cert', '--key', '--pattern', '--eval'] });
  const check = (words: string[], span: Span): void => {
    const verb = words[0]?.toLowerCase();
    if (!verb) return;
    const two = words.slice(0, 2).join(' ').toLowerCase();
    if (verb === 'flushall' || verb === 'flushdb') {
      analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: true, target: { type: 'resource', value: verb === 'flushall' ? 'every Redis database' : 'the Redis database' } }, `redis-cli ${verb.toUpperCase()} deletes every key ${verb === 'flushall' ? 'of every database' : 'of the database'} at once, without asking.`, span, 'db.redis-flush');
    } else if (REDIS_DESTRUCTIVE.test(verb) || REDIS_DESTRUCTIVE.test(two)) {
      analysis.report('db.redis-flush', 'high', `redis-cli ${words.slice(0, 2).join(' ')}: ${/flush/.test(verb) ? 'deletes every key' : 'disrupts or reconfigures the server'}.`, span);
    } else if (verb === 'config' && words[1]?.toLowerCase() === 'set') {
      analysis.report('db.redis-config', 'high', 'redis-cli CONFIG SET changes the server configuration (a common way to write files on the server).', span);
    } else if (/^(del|unlink)$/.test(verb) && words.slice(1).some((w) => /\uE000|\*/.test(w))) {
      // Keys fed by xargs or a pattern: every key another command listed.
      analysis.report('db.redis-delete-many', 'high', `redis-cli ${verb.toUpperCase()} deletes every key it is given by another command.`, span);
    } else if (/^(del|unlink|expire|rename|set|hset|lpush|rpush|sadd|zadd|hdel|lpop|rpop|srem|zrem)$/.test(verb)) {
      analysis.report('db.redis-write', 'moderate', `redis-cli ${verb.toUpperCase()} changes data.`, span);
    }
  };
  if (pos.length) {
    check(pos.map((w) => w.value), { start: pos[0].span.start, end: pos[pos.length - 1].span.end });
    return;
  }
  if (cmd.stdin?.kind === 'text') for (const line of cmd.stdin.text.split('\n')) check(line.trim().split(/\s+/), cmd.stdin.span);
}

const MONGO_DESTRUCTIVE: [RegExp, RiskLevel, string][] = [
  [/\.dropDatabase\s*\(/, 'high', 'drops the whole database'],
  [/\.drop\s*\(\s*\)/, 'high', 'drops a collection and its documents'],
  [/\.(deleteMany|remove)\s*\(\s*(\{\s*\})?\s*\)/, 'high', 'deletes every document in a collection'],
  [/\.dropUser\s*\(|\.dropAllUsers\s*\(|\.dropIndexes\s*\(/, 'high', 'removes users or indexes'],
  [/\.(deleteMany|deleteOne|remove|findOneAndDelete)\s*\(/, 'moderate', 'deletes documents'],
  [/\.(updateMany|replaceOne|updateOne|insertMany|insertOne|insert|update)\s*\(/, 'moderate', 'changes documents'],
];

export function judgeMongo(cmd: SimpleCommand, analysis: Analysis): void {
  const judge = (code: string, span: Span): void => {
    if (/\.dropDatabase\s*\(/.test(code)) {
      analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: true, target: { type: 'resource', value: 'database' } }, `${cmd.name}: the script drops the whole database, without asking.`, span, 'db.mongo-drop-database');
      return;
    }
    for (const [re, level, what] of MONGO_DESTRUCTIVE) {
      if (re.test(code)) {
        analysis.report(level === 'high' ? 'db.mongo-drop' : 'db.mongo-write', level, `${cmd.name}: the script ${what}.`, span);
        return;
      }
    }
  };
  const inline = optionValue(cmd.args, null, ['--eval']);
  if (!fromWord(analysis, inline, judge)) fromSource(analysis, cmd.stdin, cmd.name, judge);
}

export function judgeDbAdmin(cmd: SimpleCommand, analysis: Analysis): void {
  if (cmd.args.some((w) => /^(--help|-\?|--version|-V)$/.test(foldLookalikes(w.value)))) return;
  if (cmd.name === 'mysqladmin') {
    const verb = positionals(cmd.args, { short: 'uhpPS' }).map((w) => w.value.toLowerCase());
    if (verb.includes('drop')) analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: cmd.args.some((w) => /^(-f|--force)$/.test(w.value)), target: { type: 'resource', value: 'database' } }, 'mysqladmin drop deletes a whole database.', cmd.span, 'db.drop-database');
    else if (verb.includes('shutdown')) analysis.report('db.shutdown', 'moderate', 'Shuts down the database server.', cmd.span);
    return;
  }
  if (cmd.name === 'pg_restore' || cmd.name === 'pg_dropcluster') {
    if (cmd.name === 'pg_dropcluster' || cmd.args.some((w) => /^(-c|--clean)$/.test(w.value))) analysis.report('db.drop', 'high', `${cmd.name} drops database objects before restoring or deletes a cluster.`, cmd.span);
    return;
  }
  if (cmd.name === 'dropdb') {
    const asks = cmd.args.some((w) => /^(-i|--interactive)$/.test(w.value));
    analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: !asks, target: { type: 'resource', value: 'database' } }, 'dropdb deletes a whole database and all its data.', cmd.span, 'db.drop-database');
    return;
  }
  analysis.report('db.drop', 'high', `${cmd.name} deletes a database or role.`, cmd.span);
}

/** SQL written straight into the shell, e.g. `DROP TABLE users;`. */
export function judgeBareSql(cmd: SimpleCommand, analysis: Analysis): void {
  reportSql(analysis, cmd.source ?? '', cmd.span, 'SQL');
}
