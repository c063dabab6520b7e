// A cheap first look, free of imports: can this command touch local files at all? When not, the
// preview module is never loaded (`cmdai check "ls"` stays as fast as before).

const PROGRAMS = /(^|[\s;&|(`'"/])(rm|rmdir|unlink|mv|cp|chmod|chown|chgrp|truncate|sed|gsed|find|git|shred|dd|tee|install|rsync|Remove-Item|ri|del|erase|rd|move|Move-Item|Set-Content|Clear-Content)(?=$|[\s;&|)'"])/i;

export function mightTouchFiles(command: string): boolean {
  return PROGRAMS.test(command) || /[^<>&|0-9]?>/.test(command.replace(/\d?>&\d/g, ''));
}
