import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyFrom, policyPath } from '../../harness/certify/policy.js';
import {
  describeRunOptions,
  mergeRunOptions,
  normalizeRunOptions,
  parseCommand,
  parseEnvFile,
  parseEnvPair,
  parseNetwork,
  parsePort,
} from '../../harness/certify/run-options.js';
import { loadConfig } from '../../harness/config.js';
import { BadInputError } from '../../harness/errors.js';
import { listeningPorts } from '../../harness/observe/ps.js';

describe('run options, as docker run reads them', () => {
  it('reads --env NAME=VALUE, and NAME alone from this environment (left out when unset)', () => {
    expect(parseEnvPair('PORT=8080', 'x')).toEqual(['PORT', '8080']);
    expect(parseEnvPair('OPTS=a=b', 'x')).toEqual(['OPTS', 'a=b']);
    expect(parseEnvPair('EMPTY=', 'x')).toEqual(['EMPTY', '']);
    process.env.HARNESS_TEST_INHERITED = 'yes';
    expect(parseEnvPair('HARNESS_TEST_INHERITED', 'x')).toEqual(['HARNESS_TEST_INHERITED', 'yes']);
    expect(parseEnvPair('HARNESS_TEST_NEVER_SET', 'x')).toBeNull();
    expect(() => parseEnvPair('=1', 'certify: --env')).toThrow(
      'certify: --env: "" is not a variable name (NAME=VALUE or NAME; the value is not shown)',
    );
    expect(() => parseEnvPair('A B=1', 'x')).toThrow(BadInputError);
  });

  it('reads an env file: comments and blank lines skipped, the line named in an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-env-'));
    const file = join(dir, 'service.env');
    writeFileSync(file, '# settings\nPORT=8080\n\n  LOG_LEVEL=debug\nURL=http://x/?a=b\r\n');
    expect(parseEnvFile(file)).toEqual({ PORT: '8080', LOG_LEVEL: 'debug', URL: 'http://x/?a=b' });
    writeFileSync(file, 'PORT=1\nnot valid\n');
    expect(() => parseEnvFile(file)).toThrow(
      `env file ${file} line 2: not NAME=VALUE (or NAME); the line is not shown, it may hold a secret`,
    );
    expect(() => parseEnvFile(join(dir, 'missing.env'))).toThrow(/cannot read env file .*missing\.env: ENOENT/);
  });

  it('reads a command as a JSON array or as quoted words, never through a shell', () => {
    expect(parseCommand('["serve", "--port", "8080"]', 'x')).toEqual(['serve', '--port', '8080']);
    expect(parseCommand('serve --name "my service" \'$HOME\'', 'x')).toEqual([
      'serve',
      '--name',
      'my service',
      '$HOME',
    ]);
    expect(parseCommand('run ""', 'x')).toEqual(['run', '']);
    expect(() => parseCommand('[1, 2]', 'certify: --cmd')).toThrow(
      'certify: --cmd: a JSON array of strings is expected',
    );
    expect(() => parseCommand('[oops', 'certify: --cmd')).toThrow('certify: --cmd: not a valid JSON array: [oops');
  });

  it('accepts only ports and the two networks with no route off the machine', () => {
    expect(parsePort('8080', 'x')).toBe(8080);
    expect(() => parsePort('0', 'certify: --ready-port')).toThrow('a TCP port (1-65535) is expected, got "0"');
    expect(() => parsePort('http', 'x')).toThrow(BadInputError);
    expect(parseNetwork('internal', 'x')).toBe('internal');
    expect(() => parseNetwork('bridge', 'certify: --network')).toThrow(/must be none or internal, got "bridge"/);
  });

  it('lays the command line over the policy key by key, env merged', () => {
    const merged = mergeRunOptions(
      { env: { A: '1', B: '2' }, user: 'app', cmd: ['serve'] },
      { env: { B: '3' }, cmd: ['serve', '--debug'], user: undefined },
    );
    expect(merged).toEqual({ env: { A: '1', B: '3' }, user: 'app', cmd: ['serve', '--debug'] });
    expect(describeRunOptions({ ...merged, network: 'internal', readyPort: 8080 })).toBe(
      '--env A --env B --cmd ["serve","--debug"] --user app --network internal --ready-port 8080',
    );
  });

  it("a policy's run section: commands as words or arrays, the env file beside the policy, env over it", () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-policy-'));
    writeFileSync(join(dir, 'service.env'), 'PORT=1\nMODE=prod\n');
    const p = policyFrom(
      { run: { envFile: 'service.env', env: { PORT: 8080 }, entrypoint: '/bin/server --flag', cmd: ['a'] } },
      join(dir, 'policy.yaml'),
    );
    expect(p.run).toEqual({ env: { PORT: '8080', MODE: 'prod' }, entrypoint: ['/bin/server', '--flag'], cmd: ['a'] });
  });

  it('one normalization for every door: a policy file, a config file and the raw flags give the same options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-doors-'));
    writeFileSync(join(dir, 'service.env'), 'PORT=1\nMODE=prod\n');
    const given = { envFile: 'service.env', env: { PORT: '8080' }, entrypoint: '', cmd: 'serve --name "my service"' };
    const wanted = { env: { PORT: '8080', MODE: 'prod' }, entrypoint: [], cmd: ['serve', '--name', 'my service'] };
    expect(policyFrom({ run: given }, join(dir, 'policy.yaml')).run).toEqual(wanted);
    writeFileSync(
      join(dir, 'harness.config.yaml'),
      `subjects:\n  - name: svc\n    image: my/svc:1\n${Object.entries(given)
        .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
        .join('\n')}\n`,
    );
    expect(loadConfig(join(dir, 'harness.config.yaml')).subjects[0]?.subject).toMatchObject(wanted);
    // The command line's env file is taken as given (here: absolute), not beside a file.
    const flags = { ...given, envFile: join(dir, 'service.env'), readyPort: '8080', network: 'internal' };
    expect(normalizeRunOptions(flags, null, (k) => `certify: --${k}`)).toEqual({
      ...wanted,
      readyPort: 8080,
      network: 'internal',
    });
    // A policy's env file may not reach outside its folder; each door names its own key.
    expect(() => policyFrom({ run: { envFile: '../x.env' } }, join(dir, 'policy.yaml'))).toThrow(/run\.envFile/);
    expect(() => normalizeRunOptions({ readyPort: 'http' }, null, (k) => `certify: --${k}`)).toThrow(
      'certify: --readyPort: a TCP port (1-65535) is expected, got "http"',
    );
  });

  it('finds the project policy in .harness/policy.yaml, the one given first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'harness-project-'));
    expect(policyPath(undefined, dir)).toBeUndefined();
    mkdirSync(join(dir, '.harness'));
    writeFileSync(join(dir, '.harness', 'policy.yaml'), 'graceSeconds: 5\n');
    expect(policyPath(undefined, dir)).toBe(join(dir, '.harness', 'policy.yaml'));
    expect(policyPath('mine.yaml', dir)).toBe('mine.yaml');
  });
});

describe('listening ports', () => {
  it('reads LISTEN sockets (state 0A) from /proc/net/tcp and tcp6, not connected ones', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1',
      '   1: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000  1000        0 2 1',
      '   2: 0100007F:0035 00000000:0000 06 00000000:00000000 00:00000000 00000000     0        0 0 3',
      '  sl  local_address                         remote_address                        st',
      '   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0',
    ].join('\n');
    expect([...listeningPorts(text)].sort((a, b) => a - b)).toEqual([80, 8080]);
  });
});
