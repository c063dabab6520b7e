// Deleting a whole database, cluster, namespace, bucket, project, account or stack at once, with
// nothing asking first, is critical; the same deletion behind a prompt is high. The knowledge here:
// which words name whole resources, which flags skip the prompt, which tools never ask.
import type { SimpleCommand } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { displayText } from '../markers';

/** Resources that hold everything below them. */
const WHOLE = /^(clusters?|namespaces?|ns|databases?|dbs?|db-clusters?|db-instances?|schemas?|keyspaces?|buckets?|projects?|accounts?|organizations?|orgs?|subscriptions?|resource-groups?|groups?|stacks?|apps?|repos?|repositor(y|ies)|environments?|tenants?|datasets?|workspaces?|cosmosdb|sql-servers?|servers?|aks|eks|gke|kubernetes|firestore|spanner|bigtable|redis-caches?|elasticache|docdb|documentdb|rds|vaults?|key-vaults?|zones?|domains?|all)$/;
/** Verbs that delete what they name. */
const DELETE = /^(delete|destroy|drop|rb|remove|rm|purge|wipe|nuke|terminate|erase|uninstall|deprovision)$/;
/** Options that skip the confirmation prompt. */
const NO_PROMPT = /^(--?force|-f|--yes|-y|--quiet|-q|-{1,2}auto-approve(=true)?|--confirm(=.*)?|--no-prompt|--non-interactive|--skip-confirm\w*|--assume-?yes|--no-confirm\w*|--noinput|--no-input|--force-delete\w*|--delete-\w+|--purge|--recursive)$/i;
/** Tools whose deletions never ask. */
const NEVER_ASK = new Set(['kubectl', 'oc', 'kubecolor', 'k3s', 'microk8s', 'eksctl', 'aws', 'kind', 'k3d', 'rails', 'rake', 'bq', 'cbt', 'mc', 's3cmd', 'gsutil', 'ibmcloud', 'linode-cli', 'hcloud', 'scw', 'velero', 'argocd', 'etcdctl', 'consul', 'nomad', 'influx', 'sequelize', 'knex', 'typeorm', 'doppler']);
/** Tools that delete infrastructure: terraform and friends destroy the whole stack. */
const STACK_DESTROYERS = new Set(['terraform', 'tofu', 'terragrunt', 'pulumi', 'cdk', 'cdktf', 'serverless', 'sls', 'sst', 'copilot']);

/** Platform CLIs whose deletions can take whole resources. */
const PLATFORM_CLIS = new Set(['aws', 'gcloud', 'gsutil', 'az', 'gh', 'glab', 'heroku', 'fly', 'flyctl', 'vercel', 'netlify', 'firebase', 'doctl', 'eksctl', 'kind', 'k3d', 'minikube', 'linode-cli', 'oci', 'ibmcloud', 'hcloud', 'scw', 'civo', 'supabase', 'railway', 'pscale', 'neonctl', 'turso', 'atlas', 'mongocli', 'confluent', 'databricks', 'openstack', 'aliyun', 'yc', 'bq', 'cbt', 'mc', 's3cmd', 'velero', 'argocd', 'rails', 'rake', 'prisma', 'php', 'artisan', 'django-admin', 'sequelize', 'knex', 'typeorm', 'wrangler', 'render', 'upstash', 'vultr-cli', 'exoscale', 'gcloud-storage', 'rclone', 'kubectl', 'oc', 'kubecolor', 'k3s', 'microk8s', ...STACK_DESTROYERS]);
/** CLIs that put the resource after the verb: `eksctl delete cluster prod`. */
const NOUN_AFTER_VERB = new Set(['eksctl', 'kind', 'k3d', 'minikube', 'doctl', 'linode-cli', 'vultr-cli', 'civo', 'scw', 'hcloud', 'supabase', 'fly', 'flyctl', 'railway', 'pscale', 'neonctl', 'turso', 'atlas', 'mongocli', 'confluent', 'exoscale', 'upstash', 'render', 'mc', 's3cmd', 'cbt']);

export function appliesTo(cmd: SimpleCommand, known: boolean): boolean {
  return PLATFORM_CLIS.has(cmd.name) || /^python\d*(\.\d+)?$/.test(cmd.name) || (!known && /(ctl|cli|adm|admin)$/.test(cmd.name));
}

export function judgeWholeDeletion(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => foldLookalikes(w.value));
  const lower = values.map((v) => v.toLowerCase());
  if (lower.some((v) => /^--?(dry-?run|dryrun|what-?if|plan)(=.*)?$/.test(v) || v === '--dry-run=client' || v === '--dry-run=server')) return;
  const words = lower.filter((v) => !v.startsWith('-')).slice(0, 6);
  const unconfirmed = lower.some((v) => NO_PROMPT.test(v)) || NEVER_ASK.has(cmd.name);
  const found = wholeResourceDeleted(cmd.name, words, lower);
  if (!found) return;
  const asks = !unconfirmed && !found.neverAsks;
  analysis.effect(
    { kind: 'infra-delete', whole: true, unconfirmed: !asks, target: { type: 'resource', value: displayText(found.what) } },
    asks
      ? `${cmd.name} deletes a whole ${found.noun} ("${displayText(found.what)}") and everything in it; it asks first, so read the prompt.`
      : `${cmd.name} deletes a whole ${found.noun} ("${displayText(found.what)}") and everything in it, without asking; this cannot be undone.`,
    cmd.span,
    'infra.delete-whole',
  );
}

function wholeResourceDeleted(tool: string, words: string[], lower: string[]): { noun: string; what: string; neverAsks?: boolean } | undefined {
  if (STACK_DESTROYERS.has(tool)) {
    if (words.includes('destroy') || (tool === 'pulumi' && words[0] === 'stack' && words[1] === 'rm')) return { noun: 'stack of infrastructure', what: words.slice(1).join(' ') || 'everything it manages' };
    return undefined;
  }
  // kubectl delete ns prod / kubectl delete all --all / kubectl delete pods --all -A
  if (/^(kubectl|oc|kubecolor|k3s|microk8s)$/.test(tool)) {
    const i = words[0] === 'delete' ? 0 : -1;
    if (i < 0) return undefined;
    const kind = words[i + 1] ?? '';
    const all = lower.includes('--all') || lower.includes('-a') || lower.includes('--all-namespaces');
    if (/^(ns|namespaces?|nodes?|pv|persistentvolumes?|crd|customresourcedefinitions?)$/.test(kind.split('/')[0]) && (words[i + 2] || all || kind.includes('/'))) return { noun: kind.startsWith('n') ? 'namespace' : 'cluster-wide resource', what: words[i + 2] ?? kind };
    if (all && (kind === 'all' || lower.includes('-a') || lower.includes('--all-namespaces'))) return { noun: 'set of cluster resources', what: `${kind} --all` };
    return undefined;
  }
  // Framework tasks that drop the application's database.
  if (/^(rails|rake|bin\/rails)$/.test(tool) && words.some((w) => /^db:(drop|reset|purge)(:all)?$/.test(w))) return { noun: 'database', what: words.find((w) => w.startsWith('db:'))!, neverAsks: true };
  if (tool === 'prisma' && words[0] === 'migrate' && words[1] === 'reset') return { noun: 'database', what: 'migrate reset' };
  if (tool === 'prisma' && words[0] === 'db' && words[1] === 'push' && lower.includes('--force-reset')) return { noun: 'database', what: 'db push --force-reset', neverAsks: true };
  if ((tool === 'php' || tool === 'artisan') && words.some((w) => /^(migrate:fresh|migrate:reset|db:wipe)$/.test(w))) return { noun: 'database', what: words.find((w) => /^(migrate|db):/.test(w))! };
  if (/^python\d*(\.\d+)?$|^django-admin$/.test(tool) && words.includes('flush')) return { noun: 'database', what: 'flush' };
  if ((tool === 'sequelize' || tool === 'knex' || tool === 'typeorm') && words.some((w) => /^(db:drop|schema:drop)$/.test(w))) return { noun: 'database', what: words.find((w) => /drop/.test(w))! };
  // aws s3 rb s3://bucket --force; aws s3 rm s3://bucket --recursive
  if (tool === 'aws' && words[0] === 's3' && (words[1] === 'rb' || (words[1] === 'rm' && lower.includes('--recursive') && /^s3:\/\/[^/]+\/?$/.test(words[2] ?? '')))) {
    return { noun: 'bucket', what: words[2] ?? 'bucket', neverAsks: words[1] === 'rm' || lower.includes('--force') };
  }
  if ((tool === 'gsutil' || tool === 'gcloud') && (words.includes('rb') || (words.includes('rm') && lower.some((v) => v === '-r' || v === '--recursive') && words.some((w) => /^gs:\/\/[^/]+\/?(\*\*?)?$/.test(w))))) {
    return { noun: 'bucket', what: words.find((w) => w.startsWith('gs://')) ?? 'bucket', neverAsks: tool === 'gsutil' || words[0] === 'storage' };
  }
  // Generic service CLIs: `gcloud projects delete X`, `az group delete -n X`, `eksctl delete cluster`,
  // `aws rds delete-db-cluster`, `heroku apps:destroy`, `gh repo delete`, `doctl kubernetes cluster delete`.
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const parts = w.split(/[:_]/);
    const compound = /^(delete|destroy|drop|remove|terminate|purge)-(.+)$/.exec(w);
    if (compound && WHOLE.test(compound[2])) {
      if (tool === 'aws' && /^(iam|ec2|ecr|logs)$/.test(words[0] ?? '')) return undefined;
      return { noun: nounOf(compound[2]), what: words[i + 1] ?? compound[2] };
    }
    if (parts.length === 2 && WHOLE.test(parts[0]) && DELETE.test(parts[1])) return { noun: nounOf(parts[0]), what: words[i + 1] ?? parts[0] };
    if (DELETE.test(w)) {
      const before = words.slice(0, i);
      const noun = [...before].reverse().find((b) => WHOLE.test(b)) ?? (NOUN_AFTER_VERB.has(tool) && WHOLE.test(words[i + 1] ?? '') ? words[i + 1] : undefined);
      if (noun && noun !== 'all' && !(tool === 'aws' && /^(iam|ec2|ecr|logs)$/.test(words[0] ?? ''))) return { noun: nounOf(noun), what: words[i + 1] === noun ? words[i + 2] ?? noun : words[i + 1] ?? noun };
      return undefined;
    }
  }
  return undefined;
}

function nounOf(word: string): string {
  const w = word.replace(/s$/, '');
  if (/^(ns|namespace)$/.test(w)) return 'namespace';
  if (/^(db|database|cosmosdb|firestore|spanner|bigtable|docdb|documentdb|rds|db-cluster|db-instance|sql-server|server)$/.test(w)) return 'database';
  if (/^(aks|eks|gke|kubernete|cluster)$/.test(w)) return 'cluster';
  if (/^(org|organization)$/.test(w)) return 'organization';
  if (/^(resource-group|group)$/.test(w)) return 'resource group';
  if (/^(repo|repository|repositorie)$/.test(w)) return 'repository';
  if (w === 'app') return 'application';
  return w;
}
