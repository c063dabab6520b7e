// A light reading of python/perl/ruby/node/php one-liners and heredocs: the calls that run shell
// commands (their literal commands are assessed as shell), delete files, write files, or open a
// reverse shell. It reads calls and string literals, not whole programs; strings that are only
// printed are data, not actions.
import type { Analysis } from '../judging';
import type { Span } from '../types';
import { describePathClass } from '../paths';
import { judgeWriteTarget } from './filesystem';
import { decodeBase64 } from './data-flow';

export type InlineLanguage = 'python' | 'perl' | 'ruby' | 'node' | 'php';

const SHELL_CALLS: Record<InlineLanguage, RegExp> = {
  python: /(?:\b(?:os|subprocess|commands|pty|sh)|__import__\(\s*['"](?:os|subprocess|pty|commands)['"]\s*\))\.(?:system|popen[234]?|spawn[lv]p?e?|exec[lv]p?e?|run|call|check_call|check_output|Popen|getoutput|getstatusoutput|spawn)\s*\(|(?<![.\w])(?:system|popen|check_output|check_call|getoutput)\s*\(/g,
  perl: /\b(?:system|exec)\b\s*\(?|\bqx\s*[({[<'"/|!]|`/g,
  ruby: /\b(?:system|exec|spawn|IO\.popen|Open3\.(?:capture2e?|capture3|popen2e?|popen3|pipeline\w*)|Kernel\.(?:system|exec|spawn))\s*\(?|%x\s*[({[<|!]|`/g,
  node: /\b(?:execSync|exec|spawnSync|spawn|execFileSync|execFile|fork)\s*\(|\$`|Bun\.spawn(?:Sync)?\s*\(|Deno\.run\s*\(|new\s+Deno\.Command\s*\(/g,
  php: /\b(?:system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec)\s*\(|`/g,
};

const RECURSIVE_DELETE: Record<InlineLanguage, RegExp> = {
  python: /\b(?:shutil\.rmtree|rmtree|os\.removedirs)\s*\(/g,
  perl: /\b(?:rmtree|remove_tree)\s*\(?/g,
  ruby: /\b(?:FileUtils\.(?:rm_rf|rm_r|remove_dir|remove_entry(?:_secure)?|rmtree)|rm_rf|rm_r)\s*\(?/g,
  node: /\b(?:(?:fs|fsp|fsExtra|fse|promises)\.(?:rmSync|rm|remove|removeSync|emptyDir|emptyDirSync)|rimraf(?:\.sync)?|rmSync)\s*\(|\brmdirSync\s*\([^)]*recursive/g,
  php: /\b(?:rmdir_recursive|deltree)\s*\(/g,
};

const FILE_DELETE: Record<InlineLanguage, RegExp> = {
  python: /\b(?:os\.(?:remove|unlink|rmdir)|\.unlink|\.rmdir)\s*\(/g,
  perl: /\bunlink\b\s*\(?/g,
  ruby: /\b(?:File\.(?:delete|unlink)|FileUtils\.(?:rm|rm_f|remove|rmdir))\s*\(?/g,
  node: /\b(?:unlinkSync|unlink|rmdirSync|rmdir)\s*\(/g,
  php: /\b(?:unlink|rmdir)\s*\(/g,
};

const FILE_WRITE: Record<InlineLanguage, RegExp> = {
  python: /\bopen\s*\(\s*(['"])([^'"]+)\1\s*,\s*(['"])[^'"]*[wa+][^'"]*\3/g,
  perl: /\bopen\s*\(?\s*[\w$]*\s*,?\s*(['"])\s*(?:>>?|\+<)\s*\1?\s*,?\s*(['"]?)([^'"]+)/g,
  ruby: /\bFile\.(?:write|open)\s*\(\s*(['"])([^'"]+)\1(?:\s*,\s*(['"])[^'"]*[wa+])?/g,
  node: /\b(?:writeFileSync|writeFile|appendFileSync|appendFile|createWriteStream)\s*\(\s*(['"`])([^'"`]+)\1/g,
  php: /\bfile_put_contents\s*\(\s*(['"])([^'"]+)\1/g,
};

const REVERSE_SHELL: Record<InlineLanguage, [RegExp, RegExp]> = {
  python: [/\bsocket\b/, /\b(?:subprocess|pty\.spawn|os\.dup2|os\.exec|\/bin\/(?:ba)?sh)\b/],
  perl: [/\b(?:socket|IO::Socket)\b/, /\b(?:exec|system|open\s*\(\s*STD(?:IN|OUT|ERR))\b|\/bin\/(?:ba)?sh/],
  ruby: [/\bTCPSocket\b|\bSocket\b/, /\b(?:exec|spawn|IO\.popen|system)\b|\/bin\/(?:ba)?sh/],
  node: [/\bnet\.(?:Socket|connect|createConnection)\b|require\(\s*['"]net['"]\s*\)/, /\b(?:spawn|exec)\b|\/bin\/(?:ba)?sh|cmd\.exe/],
  php: [/\bfsockopen\b|\bsocket_create\b|\bstream_socket_client\b/, /\b(?:exec|proc_open|shell_exec|system|passthru|popen)\b|\/bin\/(?:ba)?sh/],
};

/** Calls that fetch text from the network, in any of the languages. */
const FETCHES = /\b(?:urlopen|urllib\.request|urlretrieve|requests\.(?:get|post)|httpx\.(?:get|post)|file_get_contents\s*\(\s*["'](?:https?|ftp):|curl_exec|URI\.open|open-uri|Net::HTTP|LWP|HTTP::Tiny|https?\.get|fetch\s*\(|axios|WebClient|DownloadString|(?:include|require)(?:_once)?\s*\(?\s*["'](?:https?|ftp):)|\bget\s*\(\s*["']https?:/;

const FORK_LOOP: Record<InlineLanguage, RegExp> = {
  python: /while\s+(?:True|1)\s*:[\s\S]*\bos\.fork\s*\(/,
  perl: /\bfork\s+while\s+fork\b|while\s*\(\s*1\s*\)\s*\{\s*fork|\bfork\s+while\s+1\b/,
  ruby: /\bloop\s*(?:do|\{)\s*fork\b|while\s+true[\s\S]*\bfork\b/,
  node: /while\s*\(\s*(?:true|1)\s*\)\s*\{[^}]*\bfork\s*\(/,
  php: /while\s*\(\s*(?:true|1)\s*\)\s*\{?[^}]*\bpcntl_fork\s*\(/,
};

export function assessInlineCode(code: string, language: InlineLanguage, analysis: Analysis, carrier: Span): void {
  const name = language === 'node' ? 'JavaScript' : language[0].toUpperCase() + language.slice(1);
  const [hasSocket, hasExec] = REVERSE_SHELL[language];
  if (hasSocket.test(code) && hasExec.test(code)) {
    analysis.report('net.reverse-shell', 'critical', `The ${name} code connects to the network and hands it a shell or process: a reverse shell giving a remote host control of this machine.`, carrier);
  }
  if (FORK_LOOP[language].test(code)) {
    analysis.report('sys.fork-bomb', 'critical', `The ${name} code forks processes in an endless loop (a fork bomb).`, carrier);
  }
  for (const call of matches(SHELL_CALLS[language], code)) {
    const command = shellCommandAt(code, call.index, call.text, language);
    if (command === undefined) {
      analysis.report('code.shell-dynamic', 'moderate', `The ${name} code runs a shell command built at run time (${call.text.trim().replace(/\($/, '')}).`, carrier);
    } else if (command.trim()) {
      analysis.analyseNested(command, 'posix', carrier);
    }
  }
  for (const call of matches(RECURSIVE_DELETE[language], code)) {
    const target = firstStringArg(code, call.index + call.text.length);
    const where = target !== undefined ? analysis.classify(target) : undefined;
    const critical = where && (where.cls === 'root' || where.cls === 'home' || where.cls === 'system-top' || where.cls === 'system-file-critical');
    analysis.report(
      'code.recursive-delete',
      critical ? 'critical' : 'high',
      `The ${name} code deletes a directory tree${target !== undefined ? ` ("${target}", ${describePathClass(where!.cls)})` : ''}; deleted files cannot be recovered.`,
      carrier,
    );
  }
  // exec/eval of decoded text hides what runs; of other computed text, it is at least unseen.
  const evaluates = /\b(?:exec|eval|Function|instance_eval|class_eval|create_function|assert)\s*\(/.test(code);
  // Literal base64 handed to a decoder is decoded and read too.
  for (const m of code.matchAll(/(?:b64decode|decodebytes|base64_decode|decode_base64|atob|Buffer\.from)\s*\(\s*b?(['"`])([A-Za-z0-9+/=_-]{8,})\1/g)) {
    const decoded = decodeBase64(m[2]);
    if (decoded !== undefined && decoded.trim()) {
      assessInlineCode(decoded, language, analysis, carrier);
      if (/^\s*(rm|curl|wget|bash|sh|chmod|dd|mkfs)\b/.test(decoded)) analysis.analyseNested(decoded, 'posix', carrier);
    }
  }
  if ((evaluates || /\b(?:include|require)(?:_once)?\s*\(?\s*["'](?:https?|ftp):/.test(code)) && FETCHES.test(code)) {
    analysis.effect({ kind: 'exec-remote', target: { type: 'code', value: name } }, `The ${name} code downloads code and runs it (eval/exec) without showing it first; whoever controls that server controls this machine.`, carrier, 'net.run-remote');
  } else if (evaluates && /\b(?:b64decode|base64|atob|decodebytes|unpack\s*\(\s*["']m|decode\s*\(\s*["'](?:base64|hex|rot13)|fromCharCode|gzinflate|str_rot13|unhexlify|zlib)/i.test(code)) {
    analysis.report('code.obfuscated', 'high', `The ${name} code decodes text and runs it as code; what it does is hidden.`, carrier);
  } else if (evaluates && /\b(?:exec|eval)\s*\(\s*(?!["'`])/.test(code)) {
    analysis.report('code.dynamic', 'moderate', `The ${name} code runs code it builds at run time (eval/exec).`, carrier);
  }
  // Client libraries name their destructive calls plainly: deleteIndex(), dropDatabase(), destroy_all.
  const api = /\.(delete[A-Z_]\w*|drop[A-Z_]\w*|destroy(?:_all|All)?|purge\w*|truncate\w*|clear[A-Z]\w*|wipe\w*|flush(?:all|db|All|DB)\w*|delete_all|remove_all)\s*(\(|\b)/.exec(code);
  if (api) {
    analysis.report('code.destructive-api', 'high', `The ${name} code calls ${api[1]}(), which deletes or wipes data.`, carrier);
  }
  for (const call of matches(FILE_DELETE[language], code)) {
    const target = firstStringArg(code, call.index + call.text.length);
    const where = target !== undefined ? analysis.classify(target) : undefined;
    if (where && (where.cls === 'root' || where.cls === 'home' || where.cls === 'system-top' || where.cls === 'system-file-critical' || where.cls === 'device-disk')) {
      analysis.report('code.delete-critical', 'critical', `The ${name} code deletes "${target}" (${describePathClass(where.cls)}).`, carrier);
    } else if (where && where.cls === 'system') {
      analysis.report('code.delete-system', 'high', `The ${name} code deletes "${target}" (${describePathClass(where.cls)}).`, carrier);
    } else {
      analysis.report('code.delete', 'moderate', `The ${name} code deletes files${target !== undefined ? ` ("${target}")` : ''}.`, carrier);
    }
  }
  // A tree walker with a delete inside it deletes through the whole tree.
  if (/\b(File::Find|find\s*\(\s*(?:sub\b|\\&)|finddepth\s*\(|os\.walk|rglob|Find\.find|readdirSync\([^)]*recursive|RecursiveDirectoryIterator|glob\(\s*['"][^'"]*\*\*)/.test(code) && matches(FILE_DELETE[language], code).length) {
    analysis.effect({ kind: 'delete', op: 'delete', scope: 'recursive', force: true, target: { type: 'path', value: 'files found by the code' } }, `The ${name} code walks a directory tree and deletes what it finds.`, carrier, 'code.recursive-delete');
  }
  // Renames and moves change files like mv.
  if (/\b(File\.rename|os\.rename|os\.replace|shutil\.move|renameSync|fs\.rename|rename\s*\(|FileUtils\.(mv|move))\b/.test(code)) {
    analysis.effect({ kind: 'write', op: 'move', target: { type: 'path', value: 'files named by the code' } }, `The ${name} code renames or moves files.`, carrier, 'code.move');
  }
  // Copies write their destination like cp (and may overwrite it); writes through a path object too.
  if (/\b(?:shutil\.(?:copy|copy2|copyfile|copytree)|copytree|copyfile|copyFileSync|copyFile|fs\.cpSync|fs\.cp|cpSync|FileUtils\.(?:cp|cp_r|copy|copy_entry|install)|File::Copy::copy|fcopy)\s*\(|\.write_(?:text|bytes)\s*\(|(?<![.\w$>])copy\s*\(\s*['"]/.test(code)) {
    analysis.effect({ kind: 'write', op: 'overwrite', target: { type: 'path', value: 'files named by the code' } }, `The ${name} code copies or writes files (an existing destination is overwritten).`, carrier, 'code.copy');
  }
  for (const m of code.matchAll(FILE_WRITE[language])) {
    const path = (language === 'perl' ? m[3] : m[2])?.trim();
    if (!path) continue;
    judgeWriteTarget(analysis, analysis.classify(path), path, { value: path, span: carrier, glob: false }, `The ${name} code writes to`, 'overwrite');
  }
}

function matches(re: RegExp, code: string): { index: number; text: string }[] {
  re.lastIndex = 0;
  const out: { index: number; text: string }[] = [];
  for (const m of code.matchAll(re)) out.push({ index: m.index ?? 0, text: m[0] });
  return out;
}

/** The shell command text at a call site, or undefined when it is not a literal. */
function shellCommandAt(code: string, index: number, matched: string, language: InlineLanguage): string | undefined {
  const after = index + matched.length;
  if (matched === '`' || matched === '$`') {
    const end = code.indexOf('`', after);
    return end < 0 ? undefined : code.slice(after, end);
  }
  const quoteLike = /(?:qx|%x)\s*([({[<'"/|!])$/.exec(matched);
  if (quoteLike) {
    const open = quoteLike[1];
    const close = ({ '(': ')', '{': '}', '[': ']', '<': '>' } as Record<string, string>)[open] ?? open;
    const end = code.indexOf(close, after);
    return end < 0 ? undefined : code.slice(after, end);
  }
  const arg = literalAt(code, after);
  if (!arg) return undefined;
  if (Array.isArray(arg)) return arg.map(shellQuote).join(' ');
  // Node's spawn('rm', ['-rf', '/']) and Python's os.execvp('rm', [...]) put the program first.
  const list = /^\s*,\s*/.exec(code.slice(arg.end));
  if (list && language !== 'python') {
    const rest = literalAt(code, arg.end + list[0].length);
    if (rest && Array.isArray(rest)) return [arg.value, ...rest].map(shellQuote).join(' ');
  }
  return arg.value;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function firstStringArg(code: string, at: number): string | undefined {
  const place = wellKnownPlace(firstArgText(code, at));
  if (place !== undefined) return place;
  // Look through wrappers such as glob("/etc/*") or Path("/x").
  const wrapper = /^\s*\(?\s*(?:[A-Za-z_][\w.]*\s*\(\s*)*/.exec(code.slice(at));
  const arg = literalAt(code, at + (wrapper ? wrapper[0].length : 0));
  if (!arg) return undefined;
  return Array.isArray(arg) ? arg[0] : arg.value;
}

/** The text of the first argument of a call whose `(` is at or after `at`, up to `,` or `)` at depth 0. */
function firstArgText(code: string, at: number): string {
  let i = at;
  while (i < code.length && /\s/.test(code[i])) i++;
  if (code[i] === '(') i++;
  let depth = 0;
  const start = i;
  for (; i < code.length && i - start < 200; i++) {
    const c = code[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if ((c === ',' || c === ';') && depth === 0) break;
  }
  return code.slice(start, i).trim();
}

/** Expressions every language spells for the home directory or the filesystem root. */
function wellKnownPlace(arg: string): string | undefined {
  const a = arg.replace(/\s+/g, '');
  if (/^(process\.env\.USERPROFILE|process\.env\[['"]USERPROFILE['"]\]|os\.environ\[['"]USERPROFILE['"]\]|\$ENV\{['"]?(HOME|USERPROFILE)['"]?\}|os\.homedir\(\)|require\(['"](node:)?os['"]\)\.homedir\(\)|homedir\(\)|process\.env\.HOME|process\.env\[['"]HOME['"]\]|Deno\.env\.get\(['"]HOME['"]\)|os\.path\.expanduser\(['"]~['"]\)|(pathlib\.)?Path\.home\(\)|(pathlib\.)?Path\(['"]~['"]\)\.expanduser\(\)|os\.environ\[['"]HOME['"]\]|os\.environ\.get\(['"]HOME['"]\)|os\.getenv\(['"]HOME['"]\)|Dir\.home|ENV\[['"]HOME['"]\]|File\.expand_path\(['"]~['"]\)|getenv\(['"]HOME['"]\)|\$_SERVER\[['"]HOME['"]\]|\$HOME|File::HomeDir->my_home|\(getpwuid\(\$<\)\)\[7\])$/.test(a)) return '~';
  return undefined;
}

type Literal = ({ value: string; end: number } & { length?: undefined }) | (string[] & { end?: number });

/** A string literal or a list of string literals starting at `at` (after optional `(`, spaces). */
function literalAt(code: string, at: number): Literal | undefined {
  let i = at;
  while (i < code.length && /[\s(]/.test(code[i])) i++;
  if (code[i] === '[') {
    const items: string[] = [];
    i++;
    for (;;) {
      while (i < code.length && /[\s,]/.test(code[i])) i++;
      if (code[i] === ']') return items;
      const s = stringAt(code, i);
      if (!s) return undefined;
      items.push(s.value);
      i = s.end;
    }
  }
  return stringAt(code, i);
}

function stringAt(code: string, at: number): { value: string; end: number } | undefined {
  let i = at;
  while (i < code.length && /[rRbBuUfF]/.test(code[i]) && i - at < 2) i++;
  const q = code[i];
  if (q !== '"' && q !== "'" && q !== '`') return undefined;
  const triple = code.startsWith(q.repeat(3), i);
  const delim = triple ? q.repeat(3) : q;
  let value = '';
  let j = i + delim.length;
  while (j < code.length) {
    if (code.startsWith(delim, j)) return { value, end: j + delim.length };
    const c = code[j];
    if (c === '\\' && j + 1 < code.length) {
      const n = code[j + 1];
      value += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      j += 2;
      continue;
    }
    if ((q === '"' || q === '`') && (c === '$' && code[j + 1] === '{' || c === '#' && code[j + 1] === '{' || c === '{' && /[fF]/.test(code.slice(at, i)))) {
      return undefined; // interpolation: the text is built at run time
    }
    value += c;
    j++;
  }
  return undefined;
}
