/**
 * Everything the image under test (or its manifest, policy or config) controls is
 * bounded: output kept, numbers taken.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LIMITS, positiveNumber } from '../../harness/cli/args.js';
import { policyFrom } from '../../harness/certify/policy.js';
import { CERTIFY_CHECKS } from '../../harness/checks/battery.js';
import { collect } from '../../harness/engine/exec.js';
import { MAX_SECONDS, parsePod } from '../../harness/pod/manifest.js';
import { sandboxAdvisories } from '../../harness/engine/advisories.js';

describe('exec output', () => {
  it('keeps at most the bound of each stream, reads the rest and says how much was cut', async () => {
    const s = new PassThrough();
    const c = collect(s, 10);
    s.write(Buffer.from('12345678'));
    s.write(Buffer.from('abcdefgh'));
    s.end(Buffer.from('xyz'));
    await new Promise((r) => s.on('end', r).resume());
    expect(c.text()).toBe('12345678ab\n[9 more bytes cut by the harness]');
  });
  it('keeps all of an output within the bound, unmarked', async () => {
    const s = new PassThrough();
    const c = collect(s, 10);
    s.end(Buffer.from('short'));
    await new Promise((r) => s.on('end', r).resume());
    expect(c.text()).toBe('short');
  });
});

describe('numbers', () => {
  const pod = (probe: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: img\n      livenessProbe:\n        exec:\n          command: ["true"]\n        ${probe}\n`;

  it('a probe period past what a timer can wait is refused, not a probe every millisecond', () => {
    expect(() => parsePod(pod(`periodSeconds: ${MAX_SECONDS + 1}`), 'p.yaml')).toThrow(
      `spec.containers[0].livenessProbe.periodSeconds: Invalid value: ${MAX_SECONDS + 1}: must be at most ${MAX_SECONDS}`,
    );
    expect(() => parsePod(pod(`periodSeconds: ${MAX_SECONDS}`), 'p.yaml')).not.toThrow();
    // 2^31 ms as a Node timer would fire after 1 ms.
    expect(MAX_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('a policy caps its durations', () => {
    expect(() => policyFrom({ startup: { timeoutSeconds: 1e9 } }, 'p.yaml')).toThrow(
      /startup\.timeoutSeconds|timeoutSeconds/,
    );
    expect(() => policyFrom({ graceSeconds: 5000 }, 'p.yaml')).toThrow(/graceSeconds/);
  });

  it('command-line numbers have upper bounds', () => {
    expect(() => positiveNumber('certify', 'grace', '1e12', 10, LIMITS.graceSeconds)).toThrow(
      'certify: --grace must be at most 3600, got "1e12"',
    );
    expect(() => positiveNumber('pod run', 'for', '1e12', 30)).toThrow(`must be at most ${LIMITS.seconds}`);
    expect(positiveNumber('matrix', 'concurrency', '8', 1, LIMITS.concurrency)).toBe(8);
  });
});

describe('engine versions with known sandbox escapes or leaks', () => {
  it('names each by the component, its version and the upstream fix', () => {
    const lines = sandboxAdvisories([
      { Name: 'Engine', Version: '20.10.24+dfsg1' },
      { Name: 'runc', Version: '1.1.5+ds1' },
      { Name: 'containerd', Version: '1.7.0' },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^Engine 20\.10\.24\+dfsg1 may be affected by CVE-2024-29018 \(fixed upstream in 26\.0\.0\)/,
    );
    expect(lines[1]).toMatch(/^runc 1\.1\.5\+ds1 may be affected by CVE-2024-21626/);
    expect(
      sandboxAdvisories([
        { Name: 'Engine', Version: '27.1.0' },
        { Name: 'runc', Version: '1.2.0' },
      ]),
    ).toEqual([]);
    expect(sandboxAdvisories([{ Name: 'runc', Version: 'unknown' }])).toEqual([]);
  });
});

describe('validation errors', () => {
  it('names every problem at once, each with its path and the value it got', () => {
    expect(() =>
      policyFrom({ graceSeconds: 'ten', required: ['pid1', 'nap'], startup: { readyPort: 0 } }, 'p.yaml'),
    ).toThrow(
      `invalid policy p.yaml: key "graceSeconds" must be number (got "ten"); key "required.1" must be one of ${CERTIFY_CHECKS.map((c) => c.name).join(', ')} (got "nap"); key "startup.readyPort" must be >= 1 (got 0)`,
    );
  });
});
