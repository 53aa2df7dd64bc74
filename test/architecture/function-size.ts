/**
 * A brace-matching scan for long function bodies. Limits, on purpose kept simple: it finds bodies
 * that open on a line with `function name(` or ending in `=> {`; it blanks string, template and
 * comment text before counting braces, but a regex literal holding a brace, or `${` inside a
 * template, can shift the count (nothing in web/mesh does either today). Methods in object or
 * class bodies (`name() {`) are not matched on their own; their lines count towards the enclosing
 * closure.
 */
export interface LongBody { path: string; line: number; name: string; lines: number }

/** Blanks comments and quoted text so braces inside them are not counted. */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length))
    .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\[\s\S]|[^`\\])*`/g, (m) => m.replace(/[^\n]/g, ' '));
}

const OPENER = /function\s+([A-Za-z0-9_$]+)\s*[<(]|(?:const|let)\s+([A-Za-z0-9_$]+)\s*[:=][^\n]*=>\s*\{\s*$|=>\s*\{\s*$/;

export function longBodies(path: string, text: string, max: number): LongBody[] {
  const lines = code(text).split('\n');
  const found: LongBody[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = OPENER.exec(lines[i]!);
    if (!m) continue;
    const name = m[1] ?? m[2] ?? '(arrow)';
    // The body starts at the first `{` after the signature (possibly a later line for wrapped parameters).
    let depth = 0;
    let opened = false;
    let parens = 0;
    let end = -1;
    for (let j = i; j < lines.length && end < 0; j++) {
      const from = j === i ? m.index : 0;
      for (const ch of lines[j]!.slice(from)) {
        if (!opened) {
          if (ch === '(') parens++;
          else if (ch === ')') parens--;
          else if (ch === '{' && parens === 0) { opened = true; depth = 1; }
          else if (ch === ';' && parens === 0) break;
          continue;
        }
        if (ch === '{') depth++;
        else if (ch === '}' && --depth === 0) { end = j; break; }
      }
      if (!opened && j > i + 20) break;
    }
    if (end < 0) continue;
    const length = end - i + 1;
    if (length > max) found.push({ path, line: i + 1, name, lines: length });
  }
  return found;
}
