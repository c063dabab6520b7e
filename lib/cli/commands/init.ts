// `cmdai init <shell>`: a key binding (Ctrl-G) that replaces what you typed on the command line
// with the generated command, in the shell's own editor: you review, edit and run it natively,
// and it lands in your shell history like anything you typed.
import type { Argv, CommandModule } from 'yargs';

export const INIT_SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;
type InitShell = (typeof INIT_SHELLS)[number];

const SCRIPTS: Record<InitShell, string> = {
  bash: `# cmdai shell integration for bash. Add to ~/.bashrc:  eval "$(cmdai init bash)"
# Type a request on the command line, press Ctrl-G: it becomes a command you can edit and run.
__cmdai_widget() {
  local request="$READLINE_LINE" command
  [[ -z "\${request//[[:space:]]/}" ]] && return
  if command="$(cmdai --print --shell bash -- "$request" 2>/dev/tty)" && [[ -n "$command" ]]; then
    READLINE_LINE="$command"
    READLINE_POINT=\${#READLINE_LINE}
  fi
}
bind -x '"\\C-g": __cmdai_widget'
`,
  zsh: `# cmdai shell integration for zsh. Add to ~/.zshrc:  eval "$(cmdai init zsh)"
# Type a request on the command line, press Ctrl-G: it becomes a command you can edit and run.
__cmdai_widget() {
  local request=$BUFFER command
  [[ -z \${request//[[:space:]]/} ]] && return
  # zle -I: messages on the terminal stay, and the prompt is drawn again below them.
  zle -I
  if command=$(cmdai --print --shell zsh -- "$request" 2>/dev/tty </dev/tty) && [[ -n $command ]]; then
    BUFFER=$command
    CURSOR=\${#BUFFER}
  fi
}
zle -N __cmdai_widget
bindkey '^G' __cmdai_widget
`,
  fish: `# cmdai shell integration for fish. Add to ~/.config/fish/config.fish:  cmdai init fish | source
# Type a request on the command line, press Ctrl-G: it becomes a command you can edit and run.
function __cmdai_widget
    set -l request (commandline)
    if test -z (string trim -- "$request")
        return
    end
    set -l command (cmdai --print --shell fish -- "$request" 2>/dev/tty | string collect)
    and test -n "$command"
    and commandline --replace -- $command
    commandline --function repaint
end
bind \\cg __cmdai_widget
`,
  powershell: `# cmdai shell integration for PowerShell (PSReadLine). Add to $PROFILE:
#   Invoke-Expression (& cmdai init powershell | Out-String)
# Type a request on the command line, press Ctrl+G: it becomes a command you can edit and run.
Set-PSReadLineKeyHandler -Chord 'Ctrl+g' -BriefDescription 'cmdai' -Description 'Turn the request on the line into a command' -ScriptBlock {
    $line = $null
    $cursor = $null
    [Microsoft.PowerShell.PSConsoleReadLine]::GetBufferState([ref]$line, [ref]$cursor)
    if ([string]::IsNullOrWhiteSpace($line)) { return }
    $shellName = if ($PSVersionTable.PSEdition -eq 'Core') { 'pwsh' } else { 'powershell' }
    $command = (& cmdai --print --shell $shellName -- $line) -join [Environment]::NewLine
    if ($LASTEXITCODE -eq 0 -and $command) {
        [Microsoft.PowerShell.PSConsoleReadLine]::Replace(0, $line.Length, $command)
    }
}
`,
};

export function initScript(shell: InitShell): string {
  return SCRIPTS[shell];
}

interface InitArgs {
  [option: string]: unknown;
  shell?: InitShell;
}

const initCommandModule: CommandModule<object, InitArgs> = {
  command: 'init <shell>',
  describe: 'Print a shell integration (bash, zsh, fish, powershell)',
  builder: (yargs) =>
    (yargs as Argv<InitArgs>).positional('shell', { choices: INIT_SHELLS, describe: 'your shell' }) as unknown as Argv<InitArgs>,
  handler: (argv) => {
    process.stdout.write(initScript(argv.shell!));
  },
};

export default initCommandModule;
