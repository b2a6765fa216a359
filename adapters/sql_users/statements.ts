/**
 * Operator-written creation and revocation statements, checked once at start-up. A statement is one SQL
 * statement with placeholders `{{name}}`, `{{password}}` and `{{expiration}}`; the adapter fills them with a
 * quoted identifier or a quoted literal, never with raw text. Several statements in one string, comments, and
 * unknown placeholders are refused, because each would let a config typo (or an attacker who can edit config)
 * run SQL that nobody reviewed as a unit.
 */
export type Placeholder = 'name' | 'password' | 'expiration';

const PLACEHOLDERS: ReadonlySet<string> = new Set(['name', 'password', 'expiration']);

/** One checked statement: literal text and placeholder names, alternating. */
export interface StatementTemplate {
  readonly parts: ReadonlyArray<string | { placeholder: Placeholder }>;
}

/** Text outside quoted strings and identifiers, where a `;` or a comment would start a new statement. */
function unquoted(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`/g, ' ');
}

/** Parses and checks one statement; throws a message fit for a config error (no secret is ever in it). */
export function parseStatement(sql: string): StatementTemplate {
  const text = sql.trim().replace(/;\s*$/, '');
  if (text === '') throw new Error('a statement is empty');
  const outside = unquoted(text);
  if (/[;]/.test(outside)) throw new Error('a statement holds more than one SQL statement (";")');
  if (/--|\/\*|#/.test(outside)) throw new Error('a statement holds a comment');
  if (/\$[A-Za-z_]*\$/.test(outside)) throw new Error('a statement holds dollar quoting, which cannot be checked');
  if (/'|"|`/.test(outside)) throw new Error('a statement has an unterminated quote');
  const parts: Array<string | { placeholder: Placeholder }> = [];
  let last = 0;
  for (const match of text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) {
    const name = match[1]!;
    if (!PLACEHOLDERS.has(name)) throw new Error(`unknown placeholder {{${name}}} (known: {{name}}, {{password}}, {{expiration}})`);
    parts.push(text.slice(last, match.index), { placeholder: name as Placeholder });
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  if (parts.some((p) => typeof p === 'string' && /\{\{|\}\}/.test(p))) throw new Error('a statement has an unbalanced {{ or }}');
  return { parts };
}

/** True if the template uses `placeholder`. */
export function uses(template: StatementTemplate, placeholder: Placeholder): boolean {
  return template.parts.some((p) => typeof p !== 'string' && p.placeholder === placeholder);
}

/** Fills a template; `quote` turns each placeholder's value into a quoted identifier or literal. */
export function render(template: StatementTemplate, quote: (placeholder: Placeholder) => string): string {
  return template.parts.map((p) => (typeof p === 'string' ? p : quote(p.placeholder))).join('');
}
