// The impact preview on the interactive screen: the menu appears at once, and the preview line is
// put above it when the count is done (the menu line is redrawn below it).
import { describeImpact, formatBytes, previewImpact, type ImpactPreview, type PreviewOptions } from './index';

/** "Impact: would delete 1,204 files in 31 directories (88 MB); largest: build/app.bin (40 MB)". */
export function impactLine(preview: ImpactPreview, cwd?: string): string {
  const largest = preview.largest[0];
  // Relative to where the user is; a long path is shortened to its last parts so the line wraps well.
  const where = (file: string) => {
    const shown = cwd && file.startsWith(cwd + '/') ? file.slice(cwd.length + 1) : file;
    return shown.length <= 40 ? shown : `.../${shown.split('/').slice(-2).join('/')}`.slice(-40);
  };
  const biggest = largest && preview.files > 1 ? `; largest: ${JSON.stringify(where(largest.path)).slice(1, -1)} (${formatBytes(largest.bytes)})` : '';
  const notes = preview.notes.length > 0 ? ` [${preview.notes[0]}]` : '';
  return `Impact: ${describeImpact(preview)}${biggest}${notes}`;
}

/**
 * Starts the preview and, when it is ready, writes its line below the menu already on screen (the
 * menu is not drawn again, so what is on screen stays what it was, plus one line). `format` lays
 * the line out for the terminal (indent, wrapping). Returns a function that stops it from writing:
 * call it when a key was pressed, because the screen has moved on.
 */
export function fillInImpact(command: string, options: PreviewOptions, out: NodeJS.WriteStream, format: (line: string) => string): () => void {
  let active = true;
  previewImpact(command, options)
    .then((preview) => {
      if (active && preview) out.write(`\n${format(impactLine(preview, options.cwd))}`);
    })
    .catch(() => {
      /* a preview that fails says nothing; the command is still shown and assessed */
    });
  return () => {
    active = false;
  };
}
