// Counting what a command would touch, within a time budget. Symbolic links are never followed
// (a link inside a tree is counted as the link, as rm and chmod -R treat it), each directory is
// entered once (bind mounts cannot make it loop), and an unreadable directory is a note, not an
// error. When the budget runs out the counts are what was seen so far: "at least".
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LargestFile {
  path: string;
  bytes: number;
}

/** Longest stretch of synchronous file system calls before yielding to the event loop. */
const SLICE_MS = 8;

/** How many of the largest files a preview lists. */
export const LARGEST_COUNT = 5;

export class ImpactCounter {
  files = 0;
  directories = 0;
  bytes = 0;
  readonly largest: LargestFile[] = [];
  /** Set when something was not counted: the budget ran out or a directory could not be read. */
  incomplete = false;
  private readonly seenDirs = new Set<string>();
  private readonly seenPaths = new Set<string>();
  private unreadable = 0;
  private firstUnreadable?: string;
  private readonly otherNotes: string[] = [];
  private budgetNoted = false;
  private sliceEnd = Date.now() + SLICE_MS;

  constructor(private readonly deadline: number) {}

  outOfTime(): boolean {
    if (Date.now() < this.deadline) return false;
    if (!this.budgetNoted) {
      this.budgetNoted = true;
      this.incomplete = true;
    }
    return true;
  }

  /** Counts one path; with `recursive`, everything below it too. Paths already counted are skipped. */
  async add(target: string, recursive: boolean): Promise<void> {
    if (this.seenPaths.has(target) || this.outOfTime()) return;
    await this.maybeYield();
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(target, { throwIfNoEntry: false });
    } catch {
      this.noteUnreadable(target);
      return;
    }
    if (!stat) return;
    this.seenPaths.add(target);
    if (!stat.isDirectory()) {
      this.countFile(target, stat);
      return;
    }
    this.directories++;
    if (recursive) await this.walk(target, stat);
  }

  /** Counts a file the caller already knows about (from `find`, `git`), with its size when it still exists. */
  async addKnownFile(target: string): Promise<void> {
    await this.add(target, false);
  }

  /** Something that would be touched was not counted; the note says what. */
  markIncomplete(message: string): void {
    this.incomplete = true;
    if (!this.otherNotes.includes(message)) this.otherNotes.push(message);
  }

  noteUnreadable(target: string): void {
    this.incomplete = true;
    this.unreadable++;
    this.firstUnreadable ??= target;
  }

  /** What was not counted, in words. */
  get notes(): string[] {
    const notes = this.budgetNoted ? ['the time budget ran out before everything was counted'] : [];
    if (this.unreadable > 0) {
      const n = this.unreadable;
      notes.push(`${n.toLocaleString('en-US')} ${n === 1 ? 'place' : 'places'} could not be read (permission denied), e.g. ${JSON.stringify(this.firstUnreadable)}`);
    }
    return [...notes, ...this.otherNotes];
  }

  private countFile(target: string, stat: fs.Stats): void {
    this.files++;
    // A link's own size, never its target's: the target is not touched.
    const bytes = stat.isFile() || stat.isSymbolicLink() ? stat.size : 0;
    this.bytes += bytes;
    if (stat.isFile()) this.keepLargest(target, bytes);
  }

  private keepLargest(file: string, bytes: number): void {
    if (this.largest.length === LARGEST_COUNT && bytes <= this.largest[LARGEST_COUNT - 1].bytes) return;
    this.largest.push({ path: file, bytes });
    this.largest.sort((a, b) => b.bytes - a.bytes);
    if (this.largest.length > LARGEST_COUNT) this.largest.pop();
  }

  /** Lets the event loop run (keys, timers) once the current slice of synchronous calls is used up. */
  private async maybeYield(): Promise<void> {
    if (Date.now() < this.sliceEnd) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.sliceEnd = Date.now() + SLICE_MS;
  }

  /**
   * Depth-first with an explicit stack (deep trees do not grow the JavaScript stack). The file
   * system calls are synchronous, which is several times faster than one promise per entry, in
   * slices of a few milliseconds with a yield between them, so a menu waiting for a key stays live.
   */
  private async walk(root: string, rootStat: fs.Stats): Promise<void> {
    const stack: Array<{ dir: string; stat: fs.Stats }> = [{ dir: root, stat: rootStat }];
    while (stack.length > 0) {
      if (this.outOfTime()) return;
      await this.maybeYield();
      const { dir, stat } = stack.pop()!;
      const id = `${stat.dev}:${stat.ino}`;
      if (this.seenDirs.has(id)) continue;
      this.seenDirs.add(id);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        this.noteUnreadable(dir);
        continue;
      }
      for (let i = 0; i < entries.length; i++) {
        if ((i & 255) === 255) {
          if (this.outOfTime()) return;
          await this.maybeYield();
        }
        const child = path.join(dir, entries[i].name);
        if (this.seenPaths.has(child)) continue;
        this.seenPaths.add(child);
        let childStat: fs.Stats | undefined;
        try {
          childStat = fs.lstatSync(child, { throwIfNoEntry: false });
        } catch {
          this.noteUnreadable(child);
          continue;
        }
        if (!childStat) continue; // removed while we looked
        if (childStat.isDirectory()) {
          this.directories++;
          stack.push({ dir: child, stat: childStat });
        } else {
          this.countFile(child, childStat);
        }
      }
    }
  }
}
