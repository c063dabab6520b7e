// git verbs that throw away work: uncommitted changes, untracked files, stashes, remote history.
import type { SimpleCommand, Word } from '../command';
import { foldLookalikes } from '../command';
import type { Analysis } from '../judging';
import { isDynamic } from '../markers';

/** git's own options that come before the subcommand and take a value. */
const GLOBAL_WITH_VALUE = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env', '--super-prefix', '--list-cmds']);

export function judgeGit(cmd: SimpleCommand, analysis: Analysis): void {
  let i = 0;
  while (i < cmd.args.length) {
    const v = foldLookalikes(cmd.args[i].value);
    if (GLOBAL_WITH_VALUE.has(v)) i += 2;
    else if (v.startsWith('-')) {
      if (/^--?(version|help|v|h)$/.test(v) || v === '--exec-path') return;
      i += 1;
    } else break;
  }
  if (i >= cmd.args.length) return;
  const sub = foldLookalikes(cmd.args[i].value).toLowerCase();
  const args = cmd.args.slice(i + 1);
  const values = args.map((w) => foldLookalikes(w.value));
  const lower = values.map((v) => (v.startsWith('--') ? v.toLowerCase() : v));
  const has = (...opts: string[]): boolean => lower.some((v) => opts.includes(v.split('=')[0]));
  const shortHas = (letter: string): boolean => values.some((v) => /^-[a-zA-Z]+$/.test(v) && v.includes(letter));
  const at = (w: Word | undefined): Word['span'] => (w ?? cmd.args[i]).span;
  const report = (rule: string, level: 'moderate' | 'high', message: string, word?: Word): void => analysis.report(rule, level, message, at(word) === cmd.args[i].span ? cmd.span : at(word));
  const doubleDash = values.indexOf('--');

  switch (sub) {
    case 'reset':
      if (has('--hard', '--merge')) report('git.reset-hard', 'high', 'git reset --hard/--merge discards uncommitted changes in tracked files; they cannot be recovered.');
      else if (has('--keep')) report('git.reset-keep', 'moderate', 'git reset --keep moves the branch and updates files (it stops if local changes would be lost).');
      return;
    case 'clean': {
      const dryRun = has('--dry-run') || shortHas('n');
      const force = has('--force') || shortHas('f');
      if (force && !dryRun) report('git.clean-force', 'high', `git clean deletes untracked files${shortHas('x') ? ', including ignored ones' : ''}; they were never committed and cannot be recovered.`);
      else if (has('--interactive') || shortHas('i')) report('git.clean-interactive', 'moderate', 'git clean -i deletes the untracked files you pick.');
      return;
    }
    case 'push': {
      const forceLong = lower.find((v) => v.startsWith('--force') && !/^--force-with-lease(=.*)?$/.test(v) && v !== '--force-if-includes');
      if (forceLong || shortHas('f') || has('--mirror') || values.some((v) => /^\+[^+]/.test(v))) {
        report('git.push-force', 'high', 'Force-pushing overwrites the remote branch; commits others pushed are lost from it.');
      } else if (has('--delete') || shortHas('d') || values.some((v) => /^:[^:]/.test(v))) {
        report('git.push-delete', 'high', 'Deletes a branch or tag on the remote.');
      } else if (has('--force-with-lease')) {
        report('git.push-force-with-lease', 'moderate', 'Force-pushes, but only if the remote branch is still where you last saw it.');
      } else if (has('--prune')) {
        report('git.push-prune', 'high', 'git push --prune deletes remote branches that do not exist locally.');
      }
      return;
    }
    case 'branch':
      if (values.some((v) => /^-[a-zA-Z]*D/.test(v)) || ((has('--delete') || shortHas('d')) && (has('--force') || shortHas('f')))) {
        report('git.branch-force-delete', 'high', 'git branch -D deletes a branch even if its commits are not merged anywhere.');
      } else if (values.some((v) => /^-[a-zA-Z]*f/.test(v)) || has('--force')) {
        report('git.branch-force', 'high', 'git branch --force moves an existing branch to another commit; commits only it pointed to become unreachable.');
      } else if (values.some((v) => /^-[a-zA-Z]*[MC]/.test(v))) {
        report('git.branch-force-move', 'moderate', 'git branch -M/-C overwrites an existing branch name.');
      }
      return;
    case 'stash': {
      const verb = values.find((v) => !v.startsWith('-'));
      if (verb === 'drop' || verb === 'clear') report('git.stash-drop', 'high', `git stash ${verb} deletes stashed changes.`);
      return;
    }
    case 'checkout': {
      const paths = doubleDash >= 0 ? values.slice(doubleDash + 1) : [];
      if (has('--force') || shortHas('f')) report('git.checkout-force', 'high', 'git checkout --force throws away local changes.');
      else if (doubleDash >= 0 && (paths.length > 0 || doubleDash > 0)) report('git.checkout-paths', 'high', 'git checkout -- <paths> overwrites uncommitted changes in those files.');
      else if (values.some((v) => v === '.' || v === '*' || v === ':/')) report('git.checkout-paths', 'high', 'git checkout . overwrites uncommitted changes in the working tree.');
      else if (values.some((v) => /^-[a-zA-Z]*B$/.test(v))) report('git.checkout-reset-branch', 'moderate', 'git checkout -B resets an existing branch.');
      return;
    }
    case 'restore': {
      const staged = has('--staged') || shortHas('S');
      const worktree = has('--worktree') || shortHas('W');
      if (!staged || worktree) report('git.restore-worktree', 'high', 'git restore overwrites uncommitted changes in the working tree.');
      return;
    }
    case 'switch':
      if (has('--discard-changes', '--force') || shortHas('f')) report('git.switch-discard', 'high', 'git switch --discard-changes throws away local changes.');
      else if (values.some((v) => /^-[a-zA-Z]*C$/.test(v)) || has('--force-create')) report('git.switch-reset-branch', 'moderate', 'git switch -C resets an existing branch.');
      return;
    case 'rm':
      if (!has('--cached')) report('git.rm', 'moderate', 'git rm deletes files from the working tree (committed versions stay in history).');
      return;
    case 'filter-branch':
    case 'filter-repo':
      report('git.rewrite-history', 'high', `git ${sub} rewrites the whole history; every clone must be re-synchronised.`);
      return;
    case 'reflog':
      if (values.includes('expire') || values.includes('delete')) report('git.reflog-expire', 'high', 'Expiring the reflog removes the safety net for recovering lost commits.');
      return;
    case 'gc':
      if (lower.some((v) => /^--prune=(now|all)/.test(v))) report('git.gc-prune-now', 'high', 'git gc --prune=now deletes unreachable commits immediately; they cannot be recovered.');
      return;
    case 'update-ref':
      if (has('-d') || shortHas('d')) report('git.update-ref-delete', 'high', 'Deletes a ref directly, bypassing git\'s safety checks.');
      return;
    case 'worktree':
      if (values.includes('remove') && (has('--force') || shortHas('f'))) report('git.worktree-force-remove', 'high', 'Removes a worktree even with uncommitted changes.');
      return;
    case 'submodule':
      if (values.includes('deinit') && (has('--force', '--all') || shortHas('f'))) report('git.submodule-deinit', 'moderate', 'Removes submodule working trees, including local changes.');
      return;
    case 'tag':
      if (shortHas('d') || has('--delete')) report('git.tag-delete', 'moderate', 'Deletes a tag.');
      return;
    case 'config': {
      // An alias starting with ! is a shell command.
      const alias = values.findIndex((v) => /^alias\./.test(v));
      const value = alias >= 0 ? args[alias + 1] : undefined;
      if (value && value.value.startsWith('!') && !isDynamic(value.value)) analysis.analyseNested(value.value.slice(1), 'posix', value.span);
      return;
    }
  }
}
