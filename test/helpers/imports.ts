/**
 * Reading a source tree's imports, shared by the structure tests (test/ops/import_direction.test.ts and
 * test/audit/rooms.test.ts) so both judge the same imports: a pattern added here is seen by both rules.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Relative module specifiers of a TypeScript source: static, re-export, dynamic and worker (`new URL`) imports. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bnew\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(m[1]!);
  return found.filter((s) => s.startsWith('./') || s.startsWith('../'));
}

/** Every `.ts` file under a folder, recursively. */
export function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listTs(full) : name.endsWith('.ts') ? [full] : [];
  });
}
