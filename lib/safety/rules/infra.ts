// Containers, clusters, infrastructure-as-code, cloud and service CLIs. Most of these tools share a
// grammar: `tool [group...] verb [args]`, so a verb table covers tools we have never heard of too.
import type { SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import type { RiskLevel } from '../types';
import { displayText } from '../markers';

/** Verbs that destroy or revoke something, as a whole word or the first part of a compound
 *  (`delete-bucket`, `delete_user`, `apps:destroy`, `doDelete`). */
const DESTRUCTIVE_VERBS = new Set([
  'delete', 'del', 'destroy', 'remove', 'rm', 'rmi', 'rb', 'rmdir', 'purge', 'prune', 'drop', 'truncate', 'wipe', 'erase',
  'terminate', 'disable', 'revoke', 'unregister', 'deregister', 'uninstall', 'forget', 'flush', 'flushall', 'flushdb',
  'nuke', 'obliterate', 'unsubscribe', 'deletefile', 'deletebyquery', 'reset', 'clear', 'evict', 'expunge', 'discard',
  'abandon', 'decommission', 'retire', 'deactivate', 'shred', 'zap', 'unpublish', 'yank', 'archive', 'undeploy', 'untag',
]);
/** Verbs that change state but are normally recoverable. */
const MUTATING_VERBS = new Set([
  'create', 'update', 'put', 'set', 'modify', 'apply', 'patch', 'replace', 'write', 'edit', 'import', 'restore', 'rollback',
  'start', 'stop', 'restart', 'reboot', 'scale', 'deploy', 'upgrade', 'install', 'attach', 'add', 'move', 'mv', 'rename',
  'sync', 'run', 'exec', 'push', 'enable', 'rotate', 'tag', 'copy', 'cp', 'upload', 'send', 'invoke',
  'execute', 'rerun', 'promote', 'failover', 'cordon', 'uncordon', 'drain', 'taint', 'untaint', 'label', 'annotate',
  'autoscale', 'expose', 'configure', 'login', 'logout', 'grant', 'assign', 'unassign', 'suspend', 'resume', 'lock', 'unlock',
  'cancel', 'kill', 'detach', 'unlink', 'unset', 'close', 'reopen', 'merge', 'approve', 'archive-restore',
]);
/** Tools that manage secrets: overwriting a secret breaks whatever uses it and the old value is gone. */
const SECRET_STORES = /^(secretsmanager|secrets?|keyvault|kv|vault|ssm|kms|key|keys|credential|credentials|item|document)$|(^|[-_])(keys?|secrets?|tokens?|credentials?|passwords?)([-_]|$)/;
/** Verbs that replace a key or secret with a new one; the old one stops working at once. */
const ROTATION_VERBS = /^(roll|rotate|regenerate|reissue|renew|revoke|reset|update|put|set|write|replace|patch|import|restore)$/;

/** Words that only modify the verb after them: `force_reset`, `hard-delete`, `bulk-delete`. */
const VERB_MODIFIERS = new Set(['do', 'force', 'hard', 'bulk', 'batch', 'mass', 'permanently', 'permanent', 'forced']);

export function verbOf(word: string): string | undefined {
  const v = foldLookalikes(word);
  // A file name (delete.txt, ./remove) is not a verb.
  if (!/^[A-Za-z][A-Za-z0-9_:-]*$/.test(v)) return undefined;
  const parts = v
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[-_: ]+/)
    .filter(Boolean);
  // `apps:destroy`, `firestore:delete`: the verb is the last colon part; otherwise the first part.
  // (`repo::archive` is a borg repository and archive name, not a verb.)
  if (v.includes('::')) return undefined;
  if (v.includes(':')) return parts[parts.length - 1];
  if (VERB_MODIFIERS.has(parts[0]) && parts.length > 1) return parts[1]; // Jenkins' doDelete, force_reset
  return parts[0];
}

function isDestructive(word: string): boolean {
  const v = foldLookalikes(word).toLowerCase();
  if (DESTRUCTIVE_VERBS.has(v.replace(/[-_]/g, ''))) return true;
  // Noun first, verb last: ibmcloud `service-instance-delete`, linode `mysql-delete`.
  if (/^[a-z][a-z0-9]*([-_][a-z0-9]+)*[-_](delete|destroy|remove|purge|drop|terminate)$/.test(v)) return true;
  const verb = verbOf(word);
  return verb !== undefined && DESTRUCTIVE_VERBS.has(verb);
}

function isMutating(word: string): boolean {
  const verb = verbOf(word);
  return verb !== undefined && MUTATING_VERBS.has(verb);
}

const DRY_RUN = /^--?(dry-?run|dryrun|plan|what-?if|check|noop|simulate|preview)(=.*)?$/i;
/** Build tools whose `deploy` uploads a release to a package repository. */
const ARTIFACT_PUBLISHERS = /^(mvn|mvnw|gradle|gradlew|sbt|lein|ant)$/;

/** The leading words of a service CLI that are not options: `aws s3api delete-bucket`. */
function subcommandWords(args: readonly Word[], limit = 4): Word[] {
  const out: Word[] = [];
  for (let i = 0; i < args.length && out.length < limit; i++) {
    const v = foldLookalikes(args[i].value);
    if (v === '--') break;
    if (v.startsWith('-')) {
      // An option value often follows (`-s http://host/`, `--profile prod`): skip it unless it looks like a verb.
      if (!v.includes('=') && i + 1 < args.length && !args[i + 1].value.startsWith('-') && !isDestructive(args[i + 1].value) && !isMutating(args[i + 1].value) && !/^[a-z][a-z0-9]*$/.test(args[i + 1].value)) i++;
      continue;
    }
    if (/[/=@\s]/.test(v) && !/^[a-z]/.test(v)) continue;
    out.push(args[i]);
  }
  return out;
}

/** The generic service-CLI rule: a destructive verb among the subcommand words, or a destructive flag.
 *  Tools we do not know get the same reading for destruction; only their other verbs go unreported. */
export function judgeServiceCli(cmd: SimpleCommand, analysis: Analysis, tool = cmd.name, unknownTool = false): void {
  const args = cmd.args;
  if (args.some((w) => DRY_RUN.test(foldLookalikes(w.value)))) return;
  if (args.length === 1 && /^(-h|--help|help|-v|--version|version)$/.test(args[0].value)) return;
  const level: RiskLevel = 'high';
  // (A PowerShell cmdlet is Verb-Noun: `Compress-Archive` archives, it deletes nothing.)
  if (cmd.dialect !== 'pwsh' && destructiveToolName(cmd.name)) {
    analysis.report('service.destructive-tool', 'high', `${cmd.name}: the program's name says it deletes or destroys data.`, cmd.nameWord.span);
    return;
  }
  const words = subcommandWords(args);
  const destructive = words.find((w) => isDestructive(w.value));
  if (destructive) {
    analysis.report('service.destructive-verb', level, `${tool} ${displayText(destructive.value)}: permanently deletes, purges or disables something it manages.`, destructive.span);
    return;
  }
  // (`release` alone is usually a noun: `glab release list`.)
  const publish = words.find((w) => /^(publish|release:perform|upload-archives)$/.test(w.value.toLowerCase()) || (ARTIFACT_PUBLISHERS.test(tool) && w.value.toLowerCase() === 'deploy'));
  if (publish) {
    analysis.report('service.publish', 'high', `${tool} ${displayText(publish.value)} publishes a release to a package registry; once others download it, it cannot be taken back.`, publish.span);
    return;
  }
  if (args.some((w) => /"Action"\s*:\s*"DELETE"/i.test(w.value))) {
    analysis.report('service.destructive-verb', level, `${tool}: the change it submits deletes records.`, cmd.span);
    return;
  }
  const flag = args.find((w) => /^--(delete|remove|purge|prune|drop|destroy|force-delete|delete-[a-z-]+|remove-[a-z-]+|del|reset-[a-z-]+|purge-[a-z-]+|wipe|truncate)$/.test(foldLookalikes(w.value).toLowerCase().split('=')[0]));
  if (flag) {
    analysis.report('service.destructive-flag', level, `${tool} ${flag.value}: deletes data it manages.`, flag.span);
    return;
  }
  // Mirroring commands (`gsutil rsync -d`) delete what the source lacks.
  if (words.some((w) => /^(rsync|sync|mirror)$/i.test(w.value)) && args.some((w) => /^-[a-zA-Z]*d[a-zA-Z]*$/.test(w.value) || /^--delete/.test(w.value))) {
    analysis.report('sync.delete', 'high', `${tool} mirrors with deletion: files missing from the source are deleted at the destination.`, cmd.span);
    return;
  }
  const secret = words.some((w) => SECRET_STORES.test(w.value.toLowerCase())) || /secret|vault|keychain|password|credential/.test(tool);
  const rotation = words.find((w) => ROTATION_VERBS.test(verbOf(w.value) ?? ''));
  if (secret && rotation && /^(roll|rotate|regenerate|reissue|revoke)$/.test(verbOf(rotation.value) ?? '')) {
    analysis.report('service.secret-rotate', 'high', `${tool} ${displayText(rotation.value)} replaces or revokes a key or secret; everything still using the old one stops working.`, rotation.span);
    return;
  }
  const mutating = words.find((w) => isMutating(w.value));
  if (mutating && !unknownTool) {
    if (secret && ROTATION_VERBS.test(verbOf(mutating.value) ?? '')) {
      analysis.report('service.secret-overwrite', 'high', `${tool} ${displayText(mutating.value)} overwrites a stored secret; the old value is lost and everything using it may break.`, mutating.span);
    } else {
      analysis.report('service.mutating-verb', 'moderate', `${tool} ${displayText(mutating.value)} changes state in a service.`, mutating.span);
    }
  }
}

export function judgeDocker(cmd: SimpleCommand, analysis: Analysis): void {
  const words = subcommandWords(cmd.args, 3).map((w) => w.value.toLowerCase());
  const has = (re: RegExp): boolean => cmd.args.some((w) => re.test(foldLookalikes(w.value)));
  const [first, second] = words;
  const pruneAll = has(/^(-a|--all|--volumes|-[a-z]*a[a-z]*)$/);
  // `podman system reset`: every container, image, volume and network, in use or not, and the settings.
  if (first === 'system' && second === 'reset') {
    analysis.effect({ kind: 'infra-delete', whole: true, unconfirmed: has(/^(-f|--force)$/), target: { type: 'resource', value: `${cmd.name} storage` } }, `${cmd.name} system reset deletes every container, image and volume (with the data in them) and resets the configuration.`, cmd.span, 'docker.system-reset');
    return;
  }
  if (cmd.name === 'buildah' && (first === 'rm' || first === 'rmi' || first === 'prune') && (has(/^(-a|--all|-f|--force)$/) || first === 'prune')) {
    analysis.report('docker.force-remove', 'high', `buildah ${first} removes ${has(/^(-a|--all)$/) || first === 'prune' ? 'every working container or image' : 'images in use'}; their contents are lost.`, cmd.span);
    return;
  }
  if (second === 'prune' || first === 'prune') {
    const what = has(/^--volumes$/) || first === 'volume' ? 'unused volumes and the data in them' : pruneAll ? 'every image and container not in use' : 'stopped containers (with their files), unused networks and dangling images';
    analysis.report('docker.prune', 'high', `${cmd.name} ${words.join(' ')} deletes ${what}; none of it can be recovered.`, cmd.span);
    return;
  }
  if ((first === 'volume' && (second === 'rm' || second === 'prune' || second === 'remove')) || (first === 'compose' && second === 'down' && has(/^(-v|--volumes)$/))) {
    analysis.report('docker.volume-delete', 'high', 'Deletes container volumes and the data in them.', cmd.span);
    return;
  }
  if ((first === 'swarm' && second === 'leave' && has(/^(-f|--force)$/)) || (first === 'stack' && (second === 'rm' || second === 'remove' || second === 'down'))) {
    analysis.report('docker.cluster-delete', 'high', `${cmd.name} ${first} ${second} removes services from the cluster.`, cmd.span);
    return;
  }
  if (first === 'run' || first === 'create' || (first === 'container' && (second === 'run' || second === 'create'))) {
    const privileged = has(/^--privileged(=true)?$/) || has(/^--pid=host$/) || has(/^--cap-add=?(all|sys_admin)$/i);
    if (privileged) {
      analysis.report('docker.privileged', 'high', 'Runs a container with full access to the host (privileged); anything in it can take over this machine.', cmd.span);
    }
    let hostRoot = false;
    const mounts: { src: string; dst: string }[] = [];
    for (let i = 0; i < cmd.args.length; i++) {
      const v = cmd.args[i].value;
      const mount = /^(-v|--volume|--mount)$/.test(v) ? cmd.args[i + 1]?.value : /^(-v|--volume=|--mount=)(.+)$/.exec(v)?.[2];
      if (!mount) continue;
      // `C:\:/host` and `C:\data:/data`: a drive letter's colon is not the separator.
      const parts = /^([a-zA-Z]:[\\/]?[^:]*):(.*)$/.exec(mount) ?? [mount, ...mount.split(':')];
      const given = mount.startsWith('type=') ? /(?:source|src)=([^,]+)/.exec(mount)?.[1] : parts[1];
      // `-v $(pwd):/app`, `-v "$PWD":/app`: the working directory.
      const source = given !== undefined && /^\$(\(pwd\)|\{?PWD\}?)/.test(displayText(given)) ? '.' + displayText(given).replace(/^\$(\(pwd\)|\{?PWD\}?)/, '') : given;
      const target = mount.startsWith('type=') ? /(?:target|destination|dst)=([^,]+)/.exec(mount)?.[1] : parts[2]?.split(':')[0];
      if (!source) continue;
      if (target && (/^[/~.]/.test(source) || /^[a-zA-Z]:[\\/]?$|^[a-zA-Z]:[\\/]/.test(source))) mounts.push({ src: source, dst: target });
      const where = analysis.classify(source);
      if (where.cls === 'root') hostRoot = true;
      if (where.cls === 'root' || where.cls === 'system-top' || /docker\.sock$/.test(source)) {
        analysis.report('docker.host-mount', 'high', `Mounts "${source}" from the host into the container, giving it control over the host.`, cmd.args[i].span);
      }
    }
    // Root in a privileged container, or one with the host's / mounted, is root on the host.
    if (privileged || hostRoot) analysis.runElevated(() => judgeContainerCommand(cmd, analysis, mounts));
    else judgeContainerCommand(cmd, analysis, mounts);
    return;
  }
  if (first === 'exec' || (first === 'container' && second === 'exec')) {
    // The container's mounts are not known here; its own files are what the command touches.
    judgeContainerCommand(cmd, analysis, [], 'exec');
    return;
  }
  const removing = first === 'rm' || first === 'rmi' || ((first === 'container' || first === 'image') && (second === 'rm' || second === 'remove'));
  const stopping = first === 'kill' || first === 'stop' || (first === 'container' && (second === 'kill' || second === 'stop'));
  const forced = has(/^(--force|-[a-zA-Z]*f[a-zA-Z]*)$/);
  // `docker stop $(docker ps -q)` and friends act on every container.
  const everything = cmd.args.some((w) => w.producedBy !== undefined || /^\uE000/.test(w.value));
  if (removing || stopping) {
    if ((removing && forced) || everything) {
      analysis.report('docker.force-remove', 'high', `${cmd.name} ${words.join(' ')}${forced ? ' --force' : ''} ${removing ? 'removes' : 'stops'} ${everything ? 'every container or image listed by another command' : 'running containers or images in use'}; their data is lost.`, cmd.span);
    } else {
      analysis.report('docker.remove', 'moderate', `${cmd.name} ${words.join(' ')} stops or removes containers or images.`, cmd.span);
    }
    return;
  }
  if (first === 'compose' && second === 'down') {
    analysis.report('docker.compose-down', 'moderate', 'Stops and removes the compose project\'s containers and networks.', cmd.span);
  }
}

/** Options of `docker run`/`exec` that take a value. */
const DOCKER_VALUE_OPTIONS = new Set(['-v', '--volume', '--mount', '-e', '--env', '--env-file', '-p', '--publish', '--name', '-w', '--workdir', '-u', '--user', '--network', '--net', '--entrypoint', '-l', '--label', '--platform', '--restart', '-h', '--hostname', '--cpus', '-m', '--memory', '--device', '--add-host', '--cap-add', '--cap-drop', '--security-opt', '--tmpfs', '--log-driver', '--log-opt', '--ulimit', '--gpus', '--pull', '--dns', '--ipc', '--pid', '--shm-size', '--stop-signal', '--runtime', '--cidfile', '--expose', '--health-cmd', '--label-file', '--link', '--volumes-from', '--memory-swap', '--cpu-shares', '-c', '--detach-keys', '--userns', '--uts', '--cgroupns', '--group-add', '--mac-address', '--ip', '--network-alias']);

/** The command after the image (run) or container name (exec), judged as if typed inside it. */
function judgeContainerCommand(cmd: SimpleCommand, analysis: Analysis, mounts: { src: string; dst: string }[], mode: 'run' | 'exec' = 'run'): void {
  const args = cmd.args;
  let i = args.findIndex((w) => /^(run|create|exec)$/i.test(w.value)) + 1;
  let workdir = '/';
  while (i < args.length) {
    const v = args[i].value;
    if (v === '--') {
      i++;
      break;
    }
    if (!v.startsWith('-')) break;
    const name = v.split('=')[0];
    if (name === '-w' || name === '--workdir') workdir = v.includes('=') ? v.slice(v.indexOf('=') + 1) : args[i + 1]?.value ?? '/';
    if (!v.includes('=') && (DOCKER_VALUE_OPTIONS.has(v) || /^-[a-zA-Z]*[vepwulhmc]$/.test(v) && !/^-(it|ti|d|i|t|dit|itd|rm|P)$/.test(v))) i += 2;
    else i += 1;
  }
  let rest = args.slice(i + 1); // after the image or the container
  if (rest[0]?.value === '--') rest = rest.slice(1); // `buildah run ctr -- cmd`
  if (!rest.length) return;
  const text = rest.map((w) => (/[\s'"$`;&|<>()]/.test(w.value) ? `'${w.value.replace(/'/g, `'\\''`)}'` : w.value)).join(' ');
  const carrier = { start: rest[0].span.start, end: rest[rest.length - 1].span.end };
  analysis.runInContainer(mounts, workdir, () => analysis.analyseNested(text, 'posix', carrier));
  if (mode === 'exec') return;
}

export function judgeKubectl(cmd: SimpleCommand, analysis: Analysis): void {
  const words = subcommandWords(cmd.args, 3).map((w) => w.value.toLowerCase());
  const verb = words[0];
  // `auth can-i delete pods` asks a question; `explain`, `api-resources` describe.
  if (/^(auth|explain|api-resources|api-versions|version|completion|config|get|describe|logs|top|events|diff|wait|cluster-info)$/.test(verb ?? '')) return;
  const has = (re: RegExp): boolean => cmd.args.some((w) => re.test(foldLookalikes(w.value)));
  if (has(/^--dry-run(=(client|server))?$/) && !has(/^--dry-run=none$/)) return;
  switch (verb) {
    case 'delete':
      analysis.report('k8s.delete', 'high', `${cmd.name} delete removes cluster resources${has(/^(--all|-A|--all-namespaces)$/) || words[1] === 'namespace' || words[1] === 'ns' ? ' (and everything they contain)' : ''}; pods, volumes and data can be lost.`, cmd.span);
      return;
    case 'drain':
      analysis.report('k8s.drain', 'high', 'Evicts every pod from the node.', cmd.span);
      return;
    case 'replace':
      if (has(/^--force$/)) analysis.report('k8s.replace-force', 'high', 'Deletes and re-creates resources.', cmd.span);
      else analysis.report('k8s.mutate', 'moderate', `${cmd.name} replace changes cluster resources.`, cmd.span);
      return;
    case 'create':
      if (/clusterrolebinding|rolebinding/.test(words[1] ?? '') && has(/cluster-admin|=admin$/)) {
        analysis.report('priv.k8s-admin', 'high', 'Grants cluster-admin rights.', cmd.span);
        return;
      }
      analysis.report('k8s.mutate', 'moderate', `${cmd.name} create changes cluster resources.`, cmd.span);
      return;
    case 'scale':
      analysis.report('k8s.scale', 'moderate', 'Changes the number of running replicas' + (has(/^--replicas=0$/) ? ' to zero (stops the workload)' : '') + '.', cmd.span);
      return;
    case 'exec': {
      // `kubectl exec POD -- cmd`: the command runs inside the pod, on the pod's own files.
      const dashes = cmd.args.findIndex((w) => w.value === '--');
      const rest = dashes >= 0 ? cmd.args.slice(dashes + 1) : [];
      if (rest.length) {
        const text = rest.map((w) => (/[\s'"$`;&|<>()]/.test(w.value) ? `'${w.value.replace(/'/g, `'\\''`)}'` : w.value)).join(' ');
        analysis.runInContainer([], '/', () => analysis.analyseNested(text, 'posix', { start: rest[0].span.start, end: rest[rest.length - 1].span.end }));
      }
      analysis.report('k8s.mutate', 'moderate', `${cmd.name} exec runs a command inside a running container.`, cmd.span);
      return;
    }
    case 'apply': case 'patch': case 'edit': case 'set': case 'label': case 'annotate': case 'rollout': case 'cordon':
    case 'uncordon': case 'taint': case 'expose': case 'run': case 'autoscale': case 'cp': case 'debug': case 'attach':
      analysis.report('k8s.mutate', 'moderate', `${cmd.name} ${verb} changes cluster state.`, cmd.span);
      return;
  }
  if (words.some((w) => isDestructive(w))) judgeServiceCli(cmd, analysis);
}

export function judgeHelm(cmd: SimpleCommand, analysis: Analysis): void {
  const verb = subcommandWords(cmd.args, 1)[0]?.value.toLowerCase();
  if (cmd.args.some((w) => w.value === '--dry-run')) return;
  if (verb === 'uninstall' || verb === 'delete' || verb === 'del' || verb === 'un') analysis.report('helm.uninstall', 'high', 'Uninstalls a release and deletes its cluster resources.', cmd.span);
  else if (verb === 'rollback' || verb === 'install' || verb === 'upgrade') analysis.report('helm.mutate', 'moderate', `helm ${verb} changes what runs in the cluster.`, cmd.span);
}

export function judgeTerraform(cmd: SimpleCommand, analysis: Analysis): void {
  const words = subcommandWords(cmd.args, 2).map((w) => w.value.toLowerCase());
  const has = (re: RegExp): boolean => cmd.args.some((w) => re.test(foldLookalikes(w.value)));
  const [verb, second] = words;
  const tool = cmd.name;
  if ((verb === 'state' && /^(list|show|pull)$/.test(second ?? '')) || (verb === 'workspace' && /^(list|show)$/.test(second ?? ''))) return;
  if (verb === 'destroy' || has(/^-?-destroy$/) && verb === 'apply') {
    analysis.report('iac.destroy', 'high', `${tool} destroy deletes all the infrastructure it manages.`, cmd.span);
  } else if ((verb === 'apply' || verb === 'up' || verb === 'deploy') && has(/^-?-(auto-approve|yes|y|require-approval=never|skip-preview|f)$/)) {
    analysis.report('iac.apply-unreviewed', 'high', `${tool} ${verb} changes real infrastructure without showing the plan for approval.`, cmd.span);
  } else if (verb === 'state' && (second === 'rm' || second === 'replace-provider' || second === 'push')) {
    analysis.report('iac.state-edit', 'high', `${tool} state ${second} edits the state file; resources can be orphaned or destroyed later.`, cmd.span);
  } else if (verb === 'force-unlock' || (verb === 'workspace' && second === 'delete') || (verb === 'stack' && (second === 'rm' || second === 'remove'))) {
    analysis.report('iac.state-edit', 'high', `${tool} ${words.join(' ')} can lose track of or corrupt managed infrastructure.`, cmd.span);
  } else if (['apply', 'up', 'deploy', 'import', 'taint', 'untaint', 'refresh', 'state'].includes(verb ?? '')) {
    analysis.report('iac.apply', 'moderate', `${tool} ${verb} changes real infrastructure (you will be asked to approve the plan).`, cmd.span);
  }
}

/** rsync and rclone: mirroring deletes whatever the destination has that the source lacks. */
export function judgeSync(cmd: SimpleCommand, analysis: Analysis): void {
  const values = cmd.args.map((w) => foldLookalikes(w.value));
  if (values.some((v) => /^(--dry-run|-n|--dryrun|--list-only)$/.test(v) || /^-[a-zA-Z]*n[a-zA-Z]*$/.test(v) && cmd.name === 'rsync')) return;
  const deleting = cmd.args.find((w) => /^--(del|delete|delete-[a-z]+|remove-source-files|remove-sent-files)$/.test(foldLookalikes(w.value)));
  // Mirroring onto a home, / or a system directory deletes whatever there is not in the source.
  const positional = cmd.args.filter((w, k) => !w.value.startsWith('-') && !/^(-e|--rsh|--exclude|--include|--filter|-f|--rsync-path|--temp-dir|--log-file|--chmod|--chown|--port)$/.test(cmd.args[k - 1]?.value ?? ''));
  const destination = positional.length >= 2 ? positional[positional.length - 1] : undefined;
  if (deleting && destination && !/^[^/]*:/.test(destination.value)) {
    const where = analysis.classify(destination.value.replace(/\/+$/, '') || '/');
    if (where.cls === 'root' || where.cls === 'home' || where.cls === 'system-top') {
      analysis.effect({ kind: 'delete', op: 'delete', scope: 'recursive', force: true, target: { type: 'path', value: analysis.resolve(destination.value), pathClass: where.cls } }, `${cmd.name} ${deleting.value} makes "${displayText(destination.value)}" (${where.cls === 'home' ? 'a home directory' : 'a system directory'}) match the source, deleting everything there that the source lacks.`, deleting.span, 'sync.delete-everything');
      return;
    }
  }
  if (deleting) {
    analysis.report('sync.delete', 'high', `${cmd.name} ${deleting.value} deletes files (at the destination, or the source after copying).`, deleting.span);
    return;
  }
  if (cmd.name === 'rsync') {
    (require('./filesystem') as typeof import('./filesystem')).judgeCopyDestination(cmd, analysis);
    (require('./shells') as typeof import('./shells')).judgeCommandOptions(cmd, analysis);
  }
  if (cmd.name === 'rclone') judgeToolVerbs(cmd, analysis);
  const verb = subcommandWords(cmd.args, 1)[0]?.value.toLowerCase();
  if (cmd.name === 'rclone' && (verb === 'sync' || verb === 'move' || verb === 'moveto' || verb === 'bisync')) {
    analysis.report('sync.mirror', 'high', `rclone ${verb} makes the destination match the source, deleting (or moving away) files that differ.`, cmd.span);
  }
}

/** Tools whose own vocabulary adds destructive verbs the generic table does not know. */
const EXTRA_VERBS: Record<string, RegExp> = {
  restic: /^(forget|prune)$/,
  borg: /^(delete|prune|compact|recreate|repo-delete|rdelete|break-lock)$/,
  rclone: /^(cleanup|dedupe|purge|delete|deletefile|rmdir|rmdirs)$/,
};

export function judgeToolVerbs(cmd: SimpleCommand, analysis: Analysis): void {
  const extra = EXTRA_VERBS[cmd.name];
  if (extra) {
    const hit = subcommandWords(cmd.args, 3).find((w) => extra.test(w.value.toLowerCase()));
    if (hit && !cmd.args.some((w) => DRY_RUN.test(w.value))) {
      analysis.report('service.destructive-verb', 'high', `${cmd.name} ${hit.value} permanently removes data it manages.`, hit.span);
      return;
    }
  }
  judgeServiceCli(cmd, analysis);
}

/** `java -jar some-cli.jar verb ...` behaves like the CLI inside the jar. */
export function judgeJava(cmd: SimpleCommand, analysis: Analysis): void {
  const jar = cmd.args.findIndex((w) => w.value === '-jar');
  if (jar < 0 || !cmd.args[jar + 1]) return;
  const name = cmd.args[jar + 1].value.split('/').pop()!.replace(/\.jar$/i, '');
  judgeServiceCli({ ...cmd, args: cmd.args.slice(jar + 2) }, analysis, name);
}

/** A program whose own name says it destroys something: `kafka-delete-records`, `aws-nuke`. */
export function destructiveToolName(name: string): boolean {
  const parts = name.replace(/\.[a-z]+$/, '').split(/[-_]/);
  return parts.length >= 2 && parts.slice(1).some((p) => DESTRUCTIVE_VERBS.has(p));
}
