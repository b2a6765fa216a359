/**
 * Routes translate a cref into a mount and a backend path by template, first match wins:
 * `cref://{tenant}/ci/{name}` → mount `vault`, path `kv/tenants/{tenant}/ci/{name}`. `{x}` matches exactly one
 * segment, `{x*}` (last only) one or more. Templates are checked at start-up; a cref with no route is refused.
 */
import type { JsonValue } from '../json/value.ts';
import type { RouteBindingRule } from '../envelope/bindings.ts';
import type { Cref } from '../envelope/cref.ts';
import type { RouteProxy } from '../proxy/config.ts';

export interface RouteSpec extends RouteBindingRule {
  cref: string;
  mount: string;
  path: string;
  field?: string | undefined;
  version?: string | undefined;
  dynamic: boolean;
  options?: Record<string, unknown> | undefined;
  /** Set when the route's crefs may be delivered through the proxy (src/proxy/). */
  proxy?: RouteProxy | undefined;
}

export interface ResolvedRoute extends RouteBindingRule {
  mount: string;
  path: string;
  field?: string | undefined;
  version?: string | undefined;
  dynamic: boolean;
  options?: Record<string, JsonValue> | undefined;
  proxy?: RouteProxy | undefined;
}

type Part = { literal: string } | { variable: string; rest: boolean };

interface CompiledRoute {
  spec: RouteSpec;
  tenant: Part;
  parts: Part[];
}

const VARIABLE = /^\{([a-z][a-z0-9_]*)(\*)?\}$/;

function compilePart(text: string): Part {
  const m = VARIABLE.exec(text);
  return m === null ? { literal: text } : { variable: m[1]!, rest: m[2] === '*' };
}

function fill(template: string, vars: Map<string, string>): string {
  return template.replace(/\{([a-z][a-z0-9_]*)\*?\}/g, (_, name: string) => vars.get(name) ?? '');
}

/** Compiles and checks route templates; throws naming the route index on a bad one. */
export class CrefRouter {
  private readonly routes: CompiledRoute[];

  constructor(specs: RouteSpec[]) {
    this.routes = specs.map((spec, index) => {
      if (!spec.cref.startsWith('cref://')) throw new Error(`routes.${index}.cref: must start with cref://`);
      const [tenant, ...parts] = spec.cref.slice('cref://'.length).split('/').map(compilePart);
      if (tenant === undefined || parts.length === 0) throw new Error(`routes.${index}.cref: needs a tenant and a name`);
      if ('rest' in tenant && tenant.rest) throw new Error(`routes.${index}.cref: the tenant is one segment`);
      const restAt = parts.findIndex((p) => 'rest' in p && p.rest);
      if (restAt >= 0 && restAt !== parts.length - 1) throw new Error(`routes.${index}.cref: {x*} must be last`);
      const names = new Set([tenant, ...parts].flatMap((p) => ('variable' in p ? [p.variable] : [])));
      for (const field of [spec.path, spec.field ?? '', spec.version ?? '']) {
        for (const [, name] of field.matchAll(/\{([a-z][a-z0-9_]*)\*?\}/g)) {
          if (!names.has(name!)) throw new Error(`routes.${index}: template uses {${name}} which the cref does not define`);
        }
      }
      return { spec, tenant, parts };
    });
  }

  /** The first route matching `cref`, with templates filled in; undefined when none matches. */
  route(cref: Cref): ResolvedRoute | undefined {
    for (const { spec, tenant, parts } of this.routes) {
      const vars = new Map<string, string>();
      if (!this.bind(tenant, [cref.tenant], vars)) continue;
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const part = parts[i]!;
        const rest = 'rest' in part && part.rest;
        const taken = rest ? cref.segments.slice(i) : cref.segments.slice(i, i + 1);
        ok = this.bind(part, taken, vars);
      }
      const lastIsRest = parts.length > 0 && 'rest' in parts[parts.length - 1]! && (parts[parts.length - 1] as { rest: boolean }).rest;
      if (!ok || (!lastIsRest && cref.segments.length !== parts.length) || cref.segments.length < parts.length) continue;
      return {
        mount: spec.mount,
        path: fill(spec.path, vars),
        field: spec.field === undefined ? undefined : fill(spec.field, vars),
        version: spec.version === undefined ? undefined : fill(spec.version, vars),
        dynamic: spec.dynamic,
        options: spec.options as Record<string, JsonValue> | undefined,
        require_bindings: spec.require_bindings,
        binding_patterns: spec.binding_patterns,
        proxy: spec.proxy,
      };
    }
    return undefined;
  }

  /** Mount names the routes use (checked against configured mounts at start-up). */
  mounts(): string[] {
    return [...new Set(this.routes.map((r) => r.spec.mount))];
  }

  private bind(part: Part, values: string[], vars: Map<string, string>): boolean {
    if (values.length === 0) return false;
    if ('literal' in part) return values.length === 1 && values[0] === part.literal;
    vars.set(part.variable, values.join('/'));
    return true;
  }
}
