import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../src/config/load.ts';
import { devConfig } from '../../src/dev/dev_config.ts';
import { CrefRouter } from '../../src/routing/router.ts';
import { parseCref } from '../../src/envelope/cref.ts';
import { tempFolder } from '../helpers/kit.ts';

describe('config loading', () => {
  const tmp = tempFolder('crefgate-config-');

  async function load(doc: unknown, env: NodeJS.ProcessEnv = {}, name = 'c.yaml') {
    const file = path.join(tmp.path, name);
    await writeFile(file, typeof doc === 'string' ? doc : stringify(doc));
    return await loadConfig(file, env);
  }

  it('accepts the embedded default and fills defaults', async () => {
    const { config } = await load(devConfig(8443));
    assert.equal(config.state.kind, 'memory');
    assert.equal(config.gateway.token_ttl_seconds, 300);
    assert.equal(config.executors[0]!.grace_seconds, 300);
  });

  const bad: Array<[string, (doc: ReturnType<typeof devConfig>) => unknown, RegExp]> = [
    ['an unknown key', (d) => ({ ...d, gatway: {} }), /\(top level\): Unrecognized key/],
    ['a wrong type', (d) => ({ ...d, gateway: { ...d.gateway, port: 'x' } }), /gateway\.port/],
    ['a bad executor id', (d) => ({ ...d, executors: [{ ...d.executors[0], id: 'Bad Id' }] }), /executors\.0\.id/],
    ['a bad cref pattern', (d) => ({ ...d, executors: [{ ...d.executors[0], allowed_crefs: ['cref://*/x'] }] }), /executors\.0\.allowed_crefs\.0/],
    ['two current token keys', (d) => ({ ...d, tokens: { keys: [{ file: 'a' }, { file: 'b' }] } }), /tokens.*exactly one key must be current/],
    ['a missing audit section', (d) => ({ ...d, audit: undefined }), /audit/],
    ['an unknown state kind', (d) => ({ ...d, state: { kind: 'etcd' } }), /state\.kind/],
  ];
  for (const [name, mutate, message] of bad) {
    it(`stops on ${name}, naming the key path`, async () => {
      await assert.rejects(load(mutate(devConfig(8443))), (err: Error) => err instanceof ConfigError && message.test(err.message));
    });
  }

  it('refuses duplicate YAML keys and invalid YAML', async () => {
    await assert.rejects(load('gateway: {}\ngateway: {}\n'), ConfigError);
    await assert.rejects(load('a: [\n'), ConfigError);
  });

  it('lets the environment override the listener and the base folder', async () => {
    const { config } = await load(devConfig(8443), { CREFGATE_HOST: '::1', CREFGATE_PORT: '9999', CREFGATE_STATE_DIR: '/srv/crefgate' });
    assert.equal(config.gateway.host, '::1');
    assert.equal(config.gateway.port, 9999);
    assert.equal(config.state_dir, '/srv/crefgate');
    await assert.rejects(load(devConfig(8443), { CREFGATE_PORT: 'eighty' }), /CREFGATE_PORT/);
  });

  it('gives every listener its own port override, so two instances can share a host', async () => {
    const withBootstrap = { ...devConfig(8443), bootstrap: { ca_cert_file: 'pki/ca.crt', ca_key_file: 'pki/ca.key' } };
    const { config } = await load(withBootstrap, { CREFGATE_PORT: '8543', CREFGATE_OPS_PORT: '9564', CREFGATE_BOOTSTRAP_PORT: '8544' });
    assert.deepEqual([config.gateway.port, config.ops.port, config.bootstrap?.port], [8543, 9564, 8544]);
    const { config: noOps } = await load({ ...devConfig(8443), ops: undefined }, { CREFGATE_OPS_PORT: '0' });
    assert.equal(noOps.ops.port, 0);
    await assert.rejects(load(devConfig(8443), { CREFGATE_OPS_PORT: '70000' }), /CREFGATE_OPS_PORT \(ops\.port\): not a port: 70000/);
    // Setting the bootstrap port must not switch the listener on.
    await assert.rejects(load(devConfig(8443), { CREFGATE_BOOTSTRAP_PORT: '8544' }), /CREFGATE_BOOTSTRAP_PORT \(bootstrap\.port\): the config has no bootstrap section/);
  });
});

describe('cref routes', () => {
  const router = new CrefRouter([
    { cref: 'cref://{tenant}/db/{role}', mount: 'vault', path: 'database/creds/{role}', dynamic: true },
    { cref: 'cref://tenant_abc/kv/{name}', mount: 'vault', path: 'kv/abc/{name}', field: '{name}', dynamic: false },
    { cref: 'cref://{tenant}/{name*}', mount: 'local', path: 'tenants/{tenant}/{name}', dynamic: false },
  ]);
  const route = (raw: string) => router.route(parseCref(raw)!);

  it('takes the first matching template and fills the path', () => {
    // Compared without its absent members: routes grow optional members (proxy, bindings) that are not this case's.
    const defined = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
    assert.deepEqual(defined(route('cref://t1/db/readonly')), { mount: 'vault', path: 'database/creds/readonly', dynamic: true });
    assert.equal(route('cref://tenant_abc/kv/token')!.field, 'token');
    assert.equal(route('cref://t1/a/b/c')!.path, 'tenants/t1/a/b/c');
    assert.equal(route('cref://t1/db/x/y')!.mount, 'local', '{role} matches exactly one segment');
  });

  it('refuses bad templates at start-up', () => {
    assert.throws(() => new CrefRouter([{ cref: 'cref://{tenant}/{a*}/x', mount: 'm', path: 'p', dynamic: false }]), /must be last/);
    assert.throws(() => new CrefRouter([{ cref: 'cref://{tenant}/{a}', mount: 'm', path: '{b}', dynamic: false }]), /\{b\}/);
    assert.throws(() => new CrefRouter([{ cref: 'vault://x/y', mount: 'm', path: 'p', dynamic: false }]), /cref:\/\//);
  });

  it('has no route for crefs nothing matches', () => {
    const narrow = new CrefRouter([{ cref: 'cref://tenant_abc/{name}', mount: 'm', path: '{name}', dynamic: false }]);
    assert.equal(narrow.route(parseCref('cref://other/x')!), undefined);
    assert.equal(narrow.route(parseCref('cref://tenant_abc/x/y')!), undefined);
  });
});
