import type { Command } from 'commander';
import { InvalidInputError } from '../../models/errors.ts';

/** Every command path (`dags list-runs`...) with the words that may follow it: subcommands, then options. */
function commandTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (command: Command, path: string[]): void => {
    const words = [...command.commands.map((c) => c.name()), ...command.options.map((o) => o.long ?? o.short ?? '').filter(Boolean)];
    table.set(path.join(' '), words);
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return table;
}

/** Long and short flags, across all commands, that take a value (the word after them is not a command). */
function valueOptions(program: Command): string[] {
  const flags = new Set<string>();
  const walk = (command: Command): void => {
    for (const o of command.options) if (o.required || o.optional) for (const f of [o.long, o.short]) if (f) flags.add(f);
    command.commands.forEach(walk);
  };
  walk(program);
  return [...flags];
}

/**
 * A bash completion script generated from the commands themselves, so it never
 * drifts from them; zsh runs the same script through bashcompinit.
 */
function bashScript(program: Command, shell: 'bash' | 'zsh'): string {
  const cases = [...commandTable(program)].map(([path, words]) => `    "${path}") echo "${words.join(' ')}" ;;`).join('\n');
  const zshPrelude = shell === 'zsh' ? 'autoload -U +X bashcompinit && bashcompinit\n' : '';
  return `# updraft ${shell} completion: eval "$(updraft completion ${shell})" (e.g. in ~/.${shell}rc)
${zshPrelude}__updraft_words() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}
_updraft() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w skip="" candidates=""
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case " ${valueOptions(program).join(' ')} " in *" $w "*) skip=1; continue ;; esac
    case "$w" in -*) ;; *) path="\${path:+$path }$w" ;; esac
  done
  # Trailing positional arguments (DAG ids, run ids) are not commands: drop them until the path is one.
  until candidates=$(__updraft_words "$path"); do
    case "$path" in *" "*) path="\${path% *}" ;; *) path="" ;; esac
  done
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -F _updraft updraft
`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script (bash or zsh): eval "$(updraft completion bash)"')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new InvalidInputError(`completion: shell must be 'bash' or 'zsh', got '${shell}'`);
      process.stdout.write(bashScript(program, shell));
    });
}
