// Deleting a whole database, cluster, namespace, bucket, project, account, registry or stack at once
// is critical. Platform CLIs share a grammar: `tool [service...] [noun] verb [name] [--flags]`
// (gcloud, az, doctl, openstack), `tool verb-noun` (aws `delete-db-instance`), `tool noun:verb`
// (heroku `apps:destroy`) or `tool verb noun` (eksctl `delete cluster`). The knowledge here is which
// nouns name whole resources (some only under a data service: `sql instances`, `storage container`)
// and which verbs delete them; tool names only matter for the few that own a special grammar.
//
// A CLI's own y/N prompt does not lower the level: it is answered by habit, by `yes |`, by `--quiet`
// in a script, and cmdai's confirmation is the one a user reads before deciding. The prompt is still
// named in the message. Throwaway local clusters (kind, minikube, k3d) are high.
import type { SimpleCommand } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { displayText, isDynamic } from '../markers';

/** Nouns that name a resource holding everything below it, whatever service they belong to. */
const WHOLE = /^(projects?|clusters?|db-clusters?|dbclusters?|namespaces?|ns|databases?|dbs?|db-instances?|dbinstances?|schemas?|keyspaces?|datasets?|buckets?|subscriptions?|organi[sz]ations?|orgs?|resource-groups?|resourcegroups?|stacks?|apps?|applications?|repos?|repositor(y|ies)|registry|registries|acr|ecr|vaults?|key-?vaults?|backup-vaults?|recovery-vaults?|workspaces?|environments?|tenants?|accounts?|storage-accounts?|replication-groups?|cache-clusters?|serverless-caches?|file-?systems?|user-pools?|identity-pools?|hosted-zones?|managed-zones?|dns-zones?|zones?|indices|search-services?|aks|eks|gke|kubernetes|k8s|cosmosdb|cosmos|sql-servers?|firestore|spanner|bigtable|alloydb|docdb|documentdb|rds|redshift|neptune|elasticache|memorystore|opensearch|elasticsearch|postgres|postgresql|pg|mysql|mariadb|mongodb|mongo|redis|d1|kv-namespaces?|hyperdrive|vectorize|dbaas|rdb|vhosts?|virtual-hosts?)$/;
/** Nouns that are whole only inside a data service: `sql instances`, `storage container`, `dynamodb table`. */
const WHOLE_IN_DATA_SERVICE = /^(instances?|servers?|flexible-servers?|single-servers?|managed-instances?|tables?|global-tables?|containers?|shares?|file-shares?|domains?|caches?|pools?|elastic-pools?)$/;
/** Words naming a data service, which make the nouns above whole. */
const DATA_SERVICE = /^(rdb|dbaas|relational|sql|spanner|redis|bigtable|cbt|memcache|memorystore|alloydb|filestore|postgres|postgresql|pg|mysql|mariadb|cosmosdb|cosmos|mongo|mongodb|elasticache|docdb|documentdb|rds|neptune|redshift|dynamodb|opensearch|es|elasticsearch|kafka|msk|db|database|databases|storage|sql-server|sqlserver|keyspaces|timestream|qldb|memorydb|dax|firestore|datastore|search|efs|fsx|s3|s3api|gcs|blob|file|files|share|azurefiles|backup|influxdb|clickhouse|turso|neon|planetscale|upstash|atlas|d1|r2|kv)$/;
/** Verbs that delete what they name. `reset`, `wipe`, `flush` and `truncate` empty a database. */
const DELETE = /^(delete|destroy|drop|rb|remove|rm|purge|wipe|nuke|terminate|erase|deprovision|decommission|obliterate|delete-all|deleteall|remove-all)$/;
const EMPTIES = /^(reset|wipe|flush|flushall|truncate|clear|purge|empty|recreate)$/;
/** Verbs that close an account or cancel a subscription. */
const CLOSES = /^(close|cancel|deactivate|disable|leave)$/;
/** Clouds whose own accounts and subscriptions can be closed from their CLI. */
const CLOUD_ACCOUNTS = new Set(['aws', 'az', 'gcloud', 'oci', 'ibmcloud', 'aliyun', 'doctl', 'linode-cli', 'hcloud', 'scw', 'vultr-cli']);
/** Tools whose subcommands come in a fixed order the generic reading does not cover. */
const STACK_DESTROYERS = new Set(['terraform', 'tofu', 'terragrunt', 'pulumi', 'cdk', 'cdktf', 'serverless', 'sls', 'sst', 'copilot', 'amplify', 'sam', 'azd', 'cdk8s']);
/** Local, throwaway clusters and machines: losing one is bounded. */
const LOCAL_TOOLS = new Set(['kind', 'minikube', 'k3d', 'multipass', 'vagrant', 'colima', 'limactl', 'lima', 'orb', 'orbctl', 'docker-machine']);
/** Tools that confirm before deleting unless told not to (named in the message only). */
const ASKS = new Set(['gcloud', 'az', 'doctl', 'heroku', 'fly', 'flyctl', 'vercel', 'netlify', 'firebase', 'supabase', 'gh', 'glab', 'atlas', 'mongocli', 'confluent', 'pscale', 'turso', 'bq', 'velero', 'argocd', 'civo', 'railway', 'render', 'wrangler', 'dropdb', 'mysqladmin', ...STACK_DESTROYERS]);
/** Options that skip a confirmation prompt. */
const NO_PROMPT = /^(--?force|-f|--yes|-y|--quiet|-q|-{1,2}auto-approve(=true)?|--confirm(=.*)?|--no-prompt|--non-interactive|--skip-confirm\w*|--assume-?yes|--no-confirm\w*|--noinput|--no-input|--force-delete\w*|--purge|-{1,2}require-approval=never|--skip-final-snapshot|--skip-final-cluster-snapshot|--no-wait)$/i;
/** Programs of the package, container and VCS families: they have their own judges. */
const NOT_PLATFORMS = /^(git|docker|podman|nerdctl|buildah|apt|apt-get|aptitude|dnf|yum|zypper|apk|pacman|yay|paru|brew|port|snap|flatpak|pip|pip3|pipx|npm|pnpm|yarn|bun|cargo|gem|conda|mamba|composer|go|nix|nix-env|rustup|nvm|sdk|asdf|mise|man|info|tldr|help|which|whatis|apropos|echo|printf|grep|rg|ag|cat|less|more|head|tail|vim|vi|nvim|nano|emacs|code|rm|find|systemctl|service|launchctl|crontab|tmutil|defaults|reg|schtasks|sc|net|netsh|winget|choco|scoop|vboxmanage|virsh|lxc|incus|ssh-keygen|gpg|security|keychain|tmux|screen|kill|pkill|killall|poetry|pipenv|pyenv|uv|virtualenv|hatch|pdm|tox|nox|rbenv|nodenv|volta|fnm|ip|nmcli|firewall-cmd|ufw|iptables|nft|mysql|psql|sqlite3|mongo|mongosh|redis-cli|ansible-galaxy|ansible-vault|code|direnv|ollama)$/;

/** Whether the whole-resource reading applies to this program. */
export function appliesTo(cmd: SimpleCommand, _known: boolean): boolean {
  return !NOT_PLATFORMS.test(cmd.name);
}

export function judgeWholeDeletion(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => foldLookalikes(w.value));
  const lower = values.map((v) => v.toLowerCase());
  if (lower.some((v) => /^--?(dry-?run|dryrun|what-?if|plan|preview)(=(true|client|server))?$/.test(v))) return;
  const words = leadingWords(values).slice(0, 8);
  const found = wholeResourceDeleted(cmd, words, lower);
  if (!found) return;
  const unconfirmed = found.neverAsks || lower.some((v) => NO_PROMPT.test(v)) || !ASKS.has(cmd.name) || promptsAnswered(cmd);
  const local = LOCAL_TOOLS.has(cmd.name);
  const what = displayText(found.what);
  analysis.effect(
    { kind: 'infra-delete', whole: true, unconfirmed, severity: local ? 'low' : undefined, target: { type: 'resource', value: what } },
    local
      ? `${cmd.name} deletes the local ${found.noun} "${what}" and everything in it.`
      : `${cmd.name} deletes a whole ${found.noun} ("${what}") and everything in it${unconfirmed ? ', without asking' : '; its own prompt is a y/N that is easy to answer by habit'}. This cannot be undone.`,
    cmd.span,
    'infra.delete-whole',
  );
}

/** `yes | gcloud ...`, `echo y | ...`, `CLOUDSDK_CORE_DISABLE_PROMPTS=1 gcloud ...`. */
function promptsAnswered(cmd: SimpleCommand): boolean {
  const stdin = cmd.stdin;
  if (stdin?.kind === 'unknown' && stdin.tool === 'yes') return true;
  if (stdin?.kind === 'text' && /^\s*(y|yes)\s*$/i.test(stdin.text)) return true;
  const prefix = cmd.source ? cmd.source.slice(0, Math.max(0, cmd.source.indexOf(cmd.nameWord.value))) : '';
  return /\b\w*(DISABLE_PROMPTS|NONINTERACTIVE|NO_PROMPT|ASSUME_YES|_YES)=(1|true|yes)\b/i.test(prefix);
}

/** The words of the command that are not options or option values. */
function leadingWords(values: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === '--') break;
    if (v.startsWith('-')) continue;
    out.push(v.toLowerCase());
  }
  return out;
}

interface Found {
  noun: string;
  what: string;
  neverAsks?: boolean;
}

function wholeResourceDeleted(cmd: SimpleCommand, words: string[], lower: string[]): Found | undefined {
  const tool = cmd.name;
  const special = specialGrammar(cmd, words, lower);
  if (special !== undefined) return special || undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (isDynamic(w)) break;
    const before = words.slice(0, i);
    // aws: `delete-db-instance`, `delete-bucket`, `close-account`; cbt: `deleteinstance`.
    const compound = /^(delete|destroy|drop|remove|terminate|purge|close|cancel)[-_]?(.+)$/.exec(w);
    // ibmcloud/linode style: the noun first, `mysql-delete`, `db-destroy`.
    const nounFirst = /^(.+?)[-_](delete|destroy|drop|remove|rm|purge)$/.exec(w);
    if (nounFirst && wholeNoun(nounFirst[1], [tool, ...before])) return { noun: nounOf(nounFirst[1]), what: words[i + 1] ?? nounFirst[1] };
    if (compound && compound[2] !== 'batch' && wholeNoun(compound[2], [tool, ...before]) && (!CLOSES.test(compound[1]) || (CLOUD_ACCOUNTS.has(tool) && /^(accounts?|subscriptions?|organi[sz]ations?)$/.test(compound[2])))) {
      return { noun: nounOf(compound[2]), what: nameAfter(cmd, words, i) ?? compound[2] };
    }
    // az storage blob delete-batch: every blob in the container unless a pattern narrows it.
    if (w === 'delete-batch' && !lower.some((v) => /^--pattern/.test(v))) return { noun: 'storage container\'s contents', what: valueOf(lower, cmd, ['--source', '-s']) ?? 'container', neverAsks: true };
    // heroku `apps:destroy`, `pg:reset`, firebase `projects:delete`, `firestore:delete`.
    const colon = /^([a-z0-9-]+):([a-z-]+)$/.exec(w);
    if (colon && (DELETE.test(colon[2]) || EMPTIES.test(colon[2]))) {
      const noun = colon[1] === 'addons' && /postgres|mysql|redis|mongo|kafka|elastic|database/.test(words[i + 1] ?? '') ? 'database' : colon[1];
      if (wholeNoun(noun, [tool, ...before]) && (DELETE.test(colon[2]) || dataNoun(noun))) return { noun: nounOf(noun), what: words[i + 1] ?? noun };
      return undefined;
    }
    const deletes = DELETE.test(w);
    const empties = EMPTIES.test(w);
    const closes = CLOSES.test(w);
    if (!deletes && !empties && !closes) continue;
    // The noun nearest before the verb (`gcloud sql instances delete`), else right after it
    // (`eksctl delete cluster`, `az account subscription cancel`).
    const nounBefore = [...before].reverse().find((b) => !isDynamic(b));
    const nounAfter = words[i + 1];
    let noun: string | undefined;
    let context = [tool, ...before];
    if (nounBefore && nounBefore !== tool && wholeNoun(nounBefore, [tool, ...before.slice(0, -1)])) noun = nounBefore;
    else if (nounAfter && wholeNoun(nounAfter, [tool, ...before]) && (!nounBefore || !isNoun(nounBefore))) {
      noun = nounAfter;
      context = [tool, ...before];
    }
    if (!noun || noun === 'all') return undefined;
    if (empties && !deletes && !dataNoun(noun, context)) return undefined;
    // (Closing an account or cancelling a subscription of the cloud itself; a shop's customer
    // subscription cancelled through its API is an ordinary change.)
    if (closes && !deletes && !(CLOUD_ACCOUNTS.has(tool) && /^(accounts?|subscriptions?|organi[sz]ations?)$/.test(noun))) return undefined;
    const named = noun === nounAfter ? words[i + 2] : nounAfter;
    return { noun: nounOf(noun), what: named ?? valueOf(lower, cmd, ['--name', '-n', '--project', '--resource-group', '-g']) ?? noun };
  }
  return undefined;
}

/** The name after a compound verb, or the first `--...-name`/`--...-identifier` value. */
function nameAfter(cmd: SimpleCommand, words: string[], i: number): string | undefined {
  if (words[i + 1]) return words[i + 1];
  const k = cmd.args.findIndex((w) => /^--[a-z-]*(name|identifier|id|bucket|arn)$/i.test(w.value));
  return k >= 0 ? cmd.args[k + 1]?.value : undefined;
}

function valueOf(lower: string[], cmd: SimpleCommand, names: string[]): string | undefined {
  const k = lower.findIndex((v) => names.includes(v));
  if (k >= 0) return cmd.args[k + 1]?.value;
  const eq = cmd.args.find((w) => names.some((n) => w.value.startsWith(n + '=')));
  return eq ? eq.value.slice(eq.value.indexOf('=') + 1) : undefined;
}

function isNoun(word: string): boolean {
  return /^[a-z][a-z0-9-]*$/.test(word) && !DELETE.test(word);
}

function wholeNoun(noun: string, context: string[]): boolean {
  if (WHOLE.test(noun)) return true;
  // `autonomous-database`, `serverless-cluster`: the last part names the kind.
  const last = noun.split('-').pop()!;
  if (last !== noun && /^(databases?|dbs?|clusters?|buckets?|projects?|namespaces?|registr(y|ies)|repositor(y|ies)|vaults?|keyspaces?|datasets?|subscriptions?|workspaces?)$/.test(last)) return true;
  // `az group delete`: Azure's resource groups are plain "group".
  if (/^groups?$/.test(noun) && context.length === 1 && context[0] === 'az') return true;
  return WHOLE_IN_DATA_SERVICE.test(noun) && context.some((c) => DATA_SERVICE.test(c));
}

/** Nouns that are data stores, which `reset`/`flush`/`truncate` empty. */
function dataNoun(noun: string, context: string[] = []): boolean {
  return /^(databases?|dbs?|db-instances?|db-clusters?|schemas?|keyspaces?|datasets?|buckets?|pg|postgres|postgresql|mysql|mariadb|redis|mongo|mongodb|firestore|spanner|bigtable|cosmosdb|d1|caches?|indices|tables?|collections?)$/.test(noun) || (WHOLE_IN_DATA_SERVICE.test(noun) && context.some((c) => DATA_SERVICE.test(c)));
}

/** Tools with their own grammar. Returns null when the tool was read and nothing whole is deleted. */
function specialGrammar(cmd: SimpleCommand, words: string[], lower: string[]): Found | null | undefined {
  const tool = cmd.name;
  if (STACK_DESTROYERS.has(tool)) {
    // (`serverless remove`, `sst remove`: the whole deployed stage.)
    if (words.includes('destroy') || (/^(serverless|sls|sst)$/.test(tool) && words[0] === 'remove') || ((words[0] === 'apply' || words[0] === 'up') && lower.some((v) => /^--?destroy$/.test(v))) || ((tool === 'pulumi' || tool === 'terraform') && (words[0] === 'stack' || words[0] === 'workspace') && /^(rm|remove|delete)$/.test(words[1] ?? '') && lower.some((v) => /^(-f|--force)$/.test(v))) || (tool === 'amplify' && words[0] === 'delete') || (tool === 'sam' && words[0] === 'delete') || (tool === 'azd' && words[0] === 'down')) {
      // `-target=...` narrows a destroy to named resources.
      if (lower.some((v) => /^-{1,2}target(=|$)/.test(v))) return null;
      return { noun: 'stack of infrastructure', what: words.slice(1).filter((w) => w !== 'destroy').join(' ') || 'everything it manages' };
    }
    return null;
  }
  if (/^(kubectl|oc|kubecolor|k3s|microk8s)$/.test(tool)) {
    // (Global options come first: `kubectl --context prod delete ns x`; their values are words too.)
    const at = cmd.args.findIndex((w) => w.value === 'delete');
    // Only options and their values may come before the verb (`auth can-i delete` asks a question).
    if (at < 0 || cmd.args.slice(0, at).some((w, k, before) => !w.value.startsWith('-') && !(before[k - 1]?.value.startsWith('-') && !before[k - 1].value.includes('=')))) return null;
    const i = words.indexOf('delete');
    // `kubectl delete $(kubectl get ns -o name)`, a loop over that list: every resource it lists.
    const listed = isDynamic(words[i + 1] ?? '') ? /\bget\s+([a-z/.-]+)/.exec(displayText(words[i + 1]))?.[1] : undefined;
    const kinds = (listed ?? words[i + 1] ?? '').split(',').map((k) => k.split('/')[0]);
    const everywhere = lower.includes('-a') || lower.includes('--all-namespaces');
    const all = lower.includes('--all') || everywhere || listed !== undefined;
    // OpenShift's projects are namespaces.
    const namespaced = kinds.find((kind) => /^(ns|namespaces?|projects?|nodes?|pv|persistentvolumes?|crds?|customresourcedefinitions?)$/.test(kind));
    if (namespaced && (words[i + 2] || all || (words[i + 1] ?? '').includes('/'))) return { noun: /^(n|p)/.test(namespaced) && !namespaced.startsWith('pv') && !namespaced.startsWith('persistent') && !namespaced.startsWith('node') ? 'namespace' : 'cluster-wide resource', what: words[i + 2] ?? words[i + 1] };
    // Every resource of a kind that holds data or runs the workloads: volumes, databases' sets, secrets.
    if (all && kinds.some((kind) => kind === 'all' || everywhere || /^(pvc|persistentvolumeclaims?|statefulsets?|sts|secrets?|deployments?|deploy|services?|svc)$/.test(kind))) return { noun: 'set of cluster resources', what: `${kinds.join(',')} --all${everywhere ? ' in every namespace' : ''}` };
    return null;
  }
  if (tool === 'helm') {
    // `helm uninstall $(helm ls -q)`: every release in the cluster.
    if (/^(uninstall|delete|del|un)$/.test(words[0] ?? '') && cmd.args.some((w) => w.producedBy && /\b(ls|list)\b/.test(cmd.source?.slice(w.span.start - cmd.span.start, w.span.end - cmd.span.start) ?? ''))) return { noun: 'set of releases', what: 'every release' };
    return null;
  }
  if (/^(rails|rake)$/.test(tool) || cmd.nameWord.value.endsWith('bin/rails')) {
    const task = words.find((w) => /^db:(drop|reset|purge|schema:load|setup)(:all)?$/.test(w) && !/setup|schema:load/.test(w));
    return task ? { noun: 'database', what: task, neverAsks: true } : null;
  }
  if (tool === 'prisma') {
    if (words[0] === 'migrate' && words[1] === 'reset') return { noun: 'database', what: 'migrate reset' };
    if (words[0] === 'db' && words[1] === 'push' && lower.includes('--force-reset')) return { noun: 'database', what: 'db push --force-reset', neverAsks: true };
    return null;
  }
  if (tool === 'php' || tool === 'artisan') {
    const task = words.find((w) => /^(migrate:fresh|migrate:reset|db:wipe|migrate:refresh)$/.test(w));
    return task ? { noun: 'database', what: task } : null;
  }
  if (/^python\d*(\.\d+)?$|^django-admin$/.test(tool)) {
    if (words.includes('flush') || words.includes('reset_db')) return { noun: 'database', what: 'flush' };
    return null;
  }
  if (tool === 'mix') {
    const task = words.find((w) => /^ecto\.(drop|reset)$/.test(w));
    return task ? { noun: 'database', what: task, neverAsks: true } : null;
  }
  if (tool === 'sequelize' || tool === 'knex' || tool === 'typeorm' || tool === 'drizzle-kit' || tool === 'mikro-orm') {
    const task = words.find((w) => /^(db:drop|schema:drop|drop)$/.test(w));
    return task ? { noun: 'database', what: task, neverAsks: true } : null;
  }
  if (tool === 'supabase') {
    if (words[0] === 'db' && words[1] === 'reset') return lower.some((v) => /^--(linked|db-url)/.test(v)) ? { noun: 'database', what: 'the linked project\'s database' } : null;
    return undefined;
  }
  if (tool === 'vault') {
    // `vault secrets disable PATH` unmounts a secrets engine and deletes everything stored in it.
    if (words[0] === 'secrets' && words[1] === 'disable') return { noun: 'secrets engine', what: words[2] ?? 'secrets', neverAsks: true };
    return undefined;
  }
  if (tool === 'bq') {
    // `bq rm -d ds`, `bq rm -r ds` (recursive: a dataset with its tables); `ds.table` is one table.
    if ((words[0] === 'rm' || words[0] === 'delete') && (lower.some((v) => /^(-d|--dataset)$/.test(v) || (/^-[a-z]*[dr][a-z]*$/.test(v) && !v.includes('t')) || v === '--recursive') && !/\.[^.:]+$/.test(words[1] ?? ''))) return { noun: 'dataset', what: words[1] ?? 'dataset' };
    return null;
  }
  if (tool === 'consul' || tool === 'etcdctl') {
    // Every key: `consul kv delete -recurse /`, `etcdctl del "" --prefix`.
    const key = words.find((w, k) => k > 0 && !/^(kv|delete|del|rm)$/.test(w)) ?? '';
    if (words.some((w) => /^(delete|del|rm)$/.test(w)) && lower.some((v) => /^-{1,2}(recurse|prefix|from-key)$/.test(v)) && /^\/?$/.test(key)) return { noun: 'key-value store', what: 'every key', neverAsks: true };
    return undefined;
  }
  if (tool === 'aws' && words[0] === 's3') {
    if (words[1] === 'rb') return { noun: 'bucket', what: words[2] ?? 'bucket', neverAsks: true };
    if (words[1] === 'rm' && lower.includes('--recursive') && /^s3:\/\/[^/]+\/?$/.test(words[2] ?? '')) return { noun: 'bucket', what: words[2], neverAsks: true };
    return null;
  }
  if (tool === 'gsutil' || (tool === 'gcloud' && words[0] === 'storage')) {
    // `for b in $(gsutil ls)`: the loop runs over every bucket of the project.
    const everyBucket = cmd.args.some((w) => isDynamic(w.value) && /\b(gsutil|gcloud storage)\s+ls\s*\)?$/.test(displayText(w.value)));
    if (everyBucket && (words.includes('rb') || words.includes('rm'))) return { noun: 'set of buckets', what: 'every bucket', neverAsks: true };
    const url = words.find((w) => /^gs:\/\//.test(w));
    if (words.includes('rb') || (words[1] === 'buckets' && words[2] === 'delete')) return { noun: 'bucket', what: url ?? words[3] ?? 'bucket', neverAsks: true };
    if (words.includes('rm') && lower.some((v) => /^(-r|-R|--recursive|-[a-z]*r[a-z]*)$/i.test(v)) && url && /^gs:\/\/[^/]+\/?(\*\*?)?$/.test(url)) return { noun: 'bucket', what: url, neverAsks: true };
    return null;
  }
  if (tool === 'mc' || tool === 's3cmd') {
    const target = words.find((w, k) => k > 0 && /^(s3:\/\/)?[\w.-]+\/[\w.-]+\/?$|^s3:\/\/[\w.-]+\/?$/.test(w));
    if (words[0] === 'rb') return { noun: 'bucket', what: words[1] ?? 'bucket', neverAsks: true };
    if ((words[0] === 'rm' || words[0] === 'del') && lower.some((v) => /^(-r|--recursive)$/.test(v)) && target) return { noun: 'bucket', what: target, neverAsks: true };
    return null;
  }
  if (tool === 'rclone') {
    // `rclone purge remote:` / `remote:bucket`: a whole remote or bucket with everything in it.
    if (words[0] === 'purge' && /^[\w.-]+:[\w.-]*\/?$/.test(words[1] ?? '')) return { noun: 'bucket or remote', what: words[1], neverAsks: true };
    return null;
  }
  if (/^kafka-topics(\.sh)?$/.test(tool)) {
    const topic = valueOf(lower, cmd, ['--topic']);
    if (lower.includes('--delete') && topic && /[*?]|\.\*|\|/.test(topic)) return { noun: 'set of topics', what: topic, neverAsks: true };
    return null;
  }
  if (tool === 'gh' || tool === 'glab') {
    // `gh api -X DELETE repos/OWNER/REPO`: the REST call that deletes the repository.
    if (words[0] === 'api' && lower.some((v, k) => (/^(-x|--method)$/.test(v) && lower[k + 1] === 'delete') || /^(-xdelete|--method=delete)$/.test(v))) {
      const path = words.find((w, k) => k > 0 && w.includes('/')) ?? '';
      const noun = restWholeResource(path);
      return noun ? { noun: nounOf(noun), what: path } : null;
    }
    return undefined;
  }
  if (tool === 'influx') {
    // `influx delete --bucket b` without a predicate: every point in the time range.
    if (words[0] === 'delete' && lower.some((v) => /^(--bucket|-b|--bucket-id)$/.test(v)) && !lower.some((v) => /^(--predicate|-p)$/.test(v))) return { noun: 'bucket\'s data', what: valueOf(lower, cmd, ['--bucket', '-b', '--bucket-id']) ?? 'bucket', neverAsks: true };
    return undefined;
  }
  if (tool === 'velero' || tool === 'tmutil' || tool === 'restic' || tool === 'borg') {
    if (words.some((w) => DELETE.test(w)) && lower.includes('--all')) return { noun: 'set of backups', what: 'every backup' };
    return undefined;
  }
  return undefined;
}

function nounOf(word: string): string {
  const w = word.replace(/ies$/, 'y').replace(/s$/, '');
  if (/^(ns|namespace|kv-namespace)$/.test(w)) return 'namespace';
  if (/^(db|database|cosmosdb|cosmo|firestore|spanner|bigtable|docdb|documentdb|rds|db-cluster|dbcluster|db-instance|dbinstance|sql-server|server|flexible-server|single-server|managed-instance|instance|alloydb|redshift|neptune|elasticache|memorystore|postgres|postgresql|pg|mysql|mariadb|mongodb|mongo|redis|d1|table|global-table|cache|cache-cluster|replication-group|serverless-cache|keyspace|schema|pool|elastic-pool)$/.test(w)) return 'database';
  if (/^(ak|ek|gke|kubernete|k8|cluster)$/.test(w) || w === 'aks' || w === 'eks') return 'cluster';
  if (/^(org|organi[sz]ation)$/.test(w)) return 'organization';
  if (/^(resource-group|resourcegroup|group)$/.test(w)) return 'resource group';
  if (/^(repo|repository|registry|acr|ecr)$/.test(w)) return w.startsWith('re') && w !== 'registry' ? 'repository' : 'registry';
  if (/^(container|share|file-share|bucket)$/.test(w)) return w === 'bucket' ? 'bucket' : 'storage container';
  if (/^(app|application)$/.test(w)) return 'application';
  if (/zone$/.test(w)) return 'DNS zone';
  if (/vault$/.test(w)) return 'vault';
  return w;
}

/** Module prefixes of cloud cmdlets: Az (Azure), the AWS Tools' service prefixes, Google Cloud. */
const CMDLET_PREFIX = /^(az|s3|rds|ddb|eks|ecr|ecs|efs|es|cfn|ec2|kms|sqs|sns|lm|iam|cw|cwl|ssm|sec|r53|ec|ecc|emr|glu|gcs|gce|gke|gcd|gcp|gcsql|mg|ad|spo|pnp)(?=[A-Z])/i;

/** PowerShell cloud cmdlets named `Remove-<Prefix><Noun>`: `Remove-AzResourceGroup`,
 *  `Remove-S3Bucket`, `Remove-RDSDBInstance`. The noun is read with the same table as the CLIs. */
export function judgePwshRemoval(cmd: SimpleCommand, analysis: Analysis): void {
  const m = /^remove-(.+)$/i.exec(cmd.nameWord.value.replace(/^.*[\\/]/, ''));
  if (!m) return;
  const prefixed = CMDLET_PREFIX.exec(m[1]);
  if (!prefixed) return;
  const noun = m[1].slice(prefixed[0].length).replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2').toLowerCase();
  const parts = noun.split('-');
  const whole = [noun, parts.slice(-2).join('-'), parts[parts.length - 1]].find((n) => wholeNoun(n, [prefixed[0].toLowerCase(), ...parts]));
  if (cmd.args.some((w) => /^-whatif$/i.test(w.value))) return;
  if (whole) {
    analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: cmd.args.some((w) => /^-(force|confirm:\$false)$/i.test(w.value)), target: { type: 'resource', value: cmd.args.find((w) => !w.value.startsWith('-'))?.value ?? noun } }, `${cmd.nameWord.value} deletes a whole ${nounOf(whole)} and everything in it. This cannot be undone.`, cmd.span, 'infra.delete-whole');
    return;
  }
  analysis.report('service.destructive-verb', 'high', `${cmd.nameWord.value} permanently deletes a cloud resource.`, cmd.span);
}

/** A REST path that names one whole resource: `/repos/OWNER/REPO`, `/v1/projects/ID`,
 *  `/api/v1/namespaces/NAME`, `/databases/NAME`: a whole-resource noun followed by one or two
 *  identifiers and nothing else. Returns the noun. */
export function restWholeResource(path: string): string | undefined {
  const segments = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/[?#].*$/, '').split('/').filter(Boolean).map((p) => p.toLowerCase());
  for (let ids = 1; ids <= 2; ids++) {
    const noun = segments[segments.length - 1 - ids];
    const COLLECTIONS = /^(projects|clusters|namespaces|databases|dbs|buckets|subscriptions|organizations|orgs|resourcegroups|resource-groups|stacks|apps|applications|repos|repositories|registries|vaults|workspaces|environments|tenants|accounts|keyspaces|datasets|instances|indices|indexes|zones|domains|spaces|teams|sites)$/;
    // (An identifier is not itself a collection: `/projects/7/users` names users, not a project.)
    if (!noun || segments.slice(-ids).some((id) => COLLECTIONS.test(id))) continue;
    if (/^(projects|clusters|namespaces|databases|dbs|buckets|subscriptions|organizations|orgs|resourcegroups|resource-groups|stacks|apps|applications|repos|repositories|registries|vaults|workspaces|environments|tenants|accounts|keyspaces|datasets|instances|indices|indexes|zones|domains|spaces|teams|sites)$/.test(noun) && (ids === 1 || noun === 'repos' || noun === 'repositories')) return noun;
  }
  return undefined;
}
