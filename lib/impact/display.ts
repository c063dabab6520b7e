// The impact preview on the interactive screen: the menu appears at once, and the preview line is
// put above it when the count is done (the menu line is redrawn below it).
import { describeImpact, formatBytes, previewImpact, type ImpactPreview, type PreviewOptions } from './index';

/** "Impact: would delete 1,204 files in 31 directories (88 MB); largest: build/app.bin (40 MB)". */
export function impactLine(preview: ImpactPreview, cwd?: string): string {
  const largest = preview.largest[0];
  const where = (file: string) => (cwd && file.startsWith(cwd + '/') ? file.slice(cwd.length + 1) : file);
  const biggest = largest && preview.files > 1 ? `; largest: ${JSON.stringify(where(largest.path)).slice(1, -1)} (${formatBytes(largest.bytes)})` : '';
  const notes = preview.notes.length > 0 ? ` [${preview.notes[0]}]` : '';
  return `Impact: ${describeImpact(preview)}${biggest}${notes}`;
}

/**
 * Starts the preview and writes its line when ready: the menu (already on screen, its last line
 * holding the cursor) is erased and drawn again below the preview line. Returns a function that
 * stops it from writing (call it when a key was pressed: the screen has moved on).
 */
export function fillInImpact(command: string, options: PreviewOptions, out: NodeJS.WriteStream, menu: string): () => void {
  let active = true;
  previewImpact(command, options)
    .then((preview) => {
      if (!active || !preview) return;
      const erase = '\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(menu.split('\n').length - 1);
      out.write(`${erase}  ${impactLine(preview, options.cwd)}\n${menu}`);
    })
    .catch(() => {
      /* a preview that fails says nothing; the command is still shown and assessed */
    });
  return () => {
    active = false;
  };
}
