/** One instruction of a Dockerfile: the keyword upper-cased, its arguments as written (continuations joined). */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  from: string;
  instructions: Instruction[];
}

/**
 * A small Dockerfile reader for the checks of tests/deploy: instructions with their line, grouped
 * into stages at each FROM (instructions before the first FROM, i.e. ARG, are `preamble`).
 * Comments and parser directives are skipped; backslash continuations are joined.
 */
export function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const start = i;
    let current = lines[i];
    if (/^\s*(#|$)/.test(current)) continue;
    while (/\\\s*$/.test(current) && i + 1 < lines.length) {
      i += 1;
      // Comment lines inside a continuation are dropped, as Docker does.
      if (/^\s*#/.test(lines[i])) {
        current = `${current.replace(/\\\s*$/, '')}\\`;
        continue;
      }
      current = `${current.replace(/\\\s*$/, ' ')}${lines[i].trim()}`;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(current);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: not an instruction: ${current}`);
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2].trim(), line: start + 1 });
  }
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`Dockerfile line ${instruction.line}: FROM ${instruction.args}`);
      stages.push({ from: match[1], name: match[2], instructions: [] });
    } else if (stages.length === 0) {
      preamble.push(instruction);
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { preamble, stages };
}

/** The sources and destination of a COPY (shell form), and its --from stage if any. */
export function copyArguments(instruction: Instruction): { from: string | undefined; sources: string[]; destination: string } {
  const words = instruction.args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const word of words) {
    const flag = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (flag) {
      if (flag[1] === 'from') from = flag[2];
      continue;
    }
    rest.push(word);
  }
  if (rest.length < 2) throw new Error(`Dockerfile line ${instruction.line}: COPY needs a source and a destination`);
  return { from, sources: rest.slice(0, -1), destination: rest[rest.length - 1] };
}
