/** `crefgate docs openapi|config [--out FILE]`: the generated documents (npm run docs:openapi, docs:config). */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { configurationReference } from '../config/reference.ts';
import { currentOpenapi } from '../openapi/route.ts';

/** The committed text of docs/openapi.json: stable key order, two-space indent, final newline. */
export function openapiText(): string {
  return `${JSON.stringify(currentOpenapi(), null, 2)}\n`;
}

async function emit(text: string, out: string | undefined): Promise<void> {
  if (out === undefined) process.stdout.write(text);
  else await writeFile(out, text);
}

export function registerDocsCommands(program: Command): void {
  const docs = program.command('docs').description('generated documentation');
  docs
    .command('openapi')
    .description('the OpenAPI 3.1 document of the HTTP API')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (options: { out?: string }) => emit(openapiText(), options.out));
  docs
    .command('config')
    .description('the configuration reference (Markdown)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (options: { out?: string }) => emit(configurationReference(), options.out));
}
