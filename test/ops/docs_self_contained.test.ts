/**
 * The docs are self-contained (issue 17): no reference to the team's design notes outside the repository, and
 * every relative Markdown link of README.md and docs/ points at a file that exists in the repository.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const markdownFiles = async (): Promise<string[]> => {
  const found = ['README.md'];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.md')) found.push(full);
    }
  };
  await walk('docs');
  return found;
};

describe('docs are self-contained', () => {
  it('name no file outside the repository', async () => {
    for (const file of await markdownFiles()) {
      const text = await readFile(file, 'utf8');
      for (const outside of [/\bshared\//, /DESIGN\.md/, /WIRE-FACTS/, /STYLE\.md/, /\/work\//]) {
        assert.doesNotMatch(text, outside, `${file} refers outside the repository (${outside})`);
      }
    }
  });

  it('link only to files that exist, inside the repository', async () => {
    const root = process.cwd();
    for (const file of await markdownFiles()) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/.test(target)) continue; // in-page anchors, https:, mailto:
        const resolved = path.resolve(path.dirname(file), target);
        assert.ok(resolved.startsWith(root + path.sep), `${file}: link ${target} leaves the repository`);
        assert.ok(existsSync(resolved), `${file}: link ${target} does not exist`);
      }
    }
  });
});
