import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, loadConfig } from '../../harness/config.js';
import { BadInputError } from '../../harness/errors.js';

function write(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-config-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(dir, 'harness.config.yaml'), text);
  return join(dir, 'harness.config.yaml');
}

describe('harness.config.yaml', () => {
  it('reads image and build subjects with their run options, ready condition, grace and expected rows', () => {
    const path = write(
      `grace: 3
checks: [graceful-stop, zombie-reaping]
subjects:
  - name: api
    image: my/api:1.4
    env: {PORT: 8080}
    envFile: api.env
    ready: {port: 8080, timeoutSeconds: 20}
    grace: 5
    expected:
      graceful-stop: {killed: false, exitCode: 0}
  - name: worker
    build: {context: worker, args: {VERSION: 2}}
    cmd: work --queue jobs
    user: "1000"
    ready: {log: "^started"}
`,
      { 'api.env': 'PORT=1\nLOG=debug\n', 'worker/Dockerfile': 'FROM base\n' },
    );
    const c = loadConfig(path);
    expect(c.graceSeconds).toBe(3);
    expect(c.checks).toEqual(['graceful-stop', 'zombie-reaping']);
    const [api, worker] = c.subjects;
    expect(api).toMatchObject({
      image: 'my/api:1.4',
      subject: {
        name: 'api',
        env: { PORT: '8080', LOG: 'debug' },
        readyPort: 8080,
        startupTimeoutMs: 20_000,
        graceSeconds: 5,
        expected: { 'graceful-stop': { killed: false, exitCode: 0 } },
      },
    });
    expect(worker?.build).toEqual({
      contextDir: join(path, '..', 'worker'),
      dockerfile: 'Dockerfile',
      args: { VERSION: '2' },
    });
    expect(worker?.subject.cmd).toEqual(['work', '--queue', 'jobs']);
    expect(worker?.subject.readyLog?.source).toBe('^started');
  });

  it.each([
    ['subjects: []\n', 'key "subjects" must NOT have fewer than 1 items'],
    ['subjects:\n  - {name: a, image: x, port: 80}\n', 'unknown key "subjects.0.port"'],
    ['subjects:\n  - {name: a}\n', 'key "subjects.0" needs exactly one of image or build'],
    ['subjects:\n  - {name: a, image: x}\n  - {name: a, image: y}\n', 'key "subjects.1.name" repeats the name "a"'],
    ['subjects:\n  - {name: a, image: x, expected: {uptime: {}}}\n', 'key "subjects.0.expected"'],
    [
      'subjects:\n  - {name: a, image: x, ready: {log: "(", port: 1}}\n',
      'key "subjects.0.ready" takes log or port, not both',
    ],
    ['subjects:\n  - {name: a, build: {context: nowhere}}\n', 'key "subjects.0.build.context": no folder'],
    ['checks: [graceful-stop, nap]\nsubjects:\n  - {name: a, image: x}\n', 'key "checks.1" must be one of'],
    ['subjects: [\n', 'is not valid YAML'],
  ])('rejects %j in one line naming the key', (text, message) => {
    const path = write(text);
    expect(() => loadConfig(path)).toThrow(BadInputError);
    expect(() => loadConfig(path)).toThrow(message);
  });

  it('is found in the working directory when no --config is given', () => {
    const path = write('subjects:\n  - {name: a, image: x}\n');
    expect(configPath(undefined, join(path, '..'))).toBe(path);
    expect(configPath(undefined, tmpdir())).toBeUndefined();
  });
});
