/**
 * The library as a team uses it: examples/service-check installs the packed tarball
 * and asserts its own service image with the vitest matchers. The good image passes;
 * the bad one (shell-form CMD) fails with the check's evidence in the message, asserted
 * on the image by name and on a testcontainers GenericContainer describing it; the
 * README's library example, copied into a new project as written, passes; and the
 * command from the installed package (`npx container-lifecycle-harness certify`)
 * passes the good image.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../harness/paths.js';

describe('a user-style project with the packed harness and its matchers', () => {
  it('passes on the good image and fails on the bad one, with the evidence', async () => {
    const r = await execa('node', [join(projectRoot(), 'scripts', 'example.mjs')], { reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    // The command installed from the package sets the project up from its Dockerfile and certifies the good image.
    expect(r.stdout).toMatch(
      /--- npx container-lifecycle-harness init: exit 0\nfound 1 Dockerfile\(s\): service \(service\/Dockerfile\)\nwrote harness\.config\.yaml\n/,
    );
    expect(r.stdout).toMatch(/--- npx container-lifecycle-harness certify example\/service:good: exit 0\n/);
    expect(r.stdout).toMatch(/--- good image: exit 0\n[\s\S]*4 tests[\s\S]*--- bad image: exit 1/);
    expect(r.stdout).toMatch(
      /expected example\/service:bad to stop gracefully within a 5 s grace period\n\s+graceful-stop: the stop signal was not acted on/,
    );
    expect(r.stdout).toMatch(/evidence: engine sent signal 15 then signal 9; engine exit code 137/);
    // The same service as a testcontainers GenericContainer: passes when good, fails with the evidence when bad.
    expect(r.stdout).toMatch(
      /--- good image: exit 0\n[\s\S]*test\/testcontainers\.test\.ts[^\n]*4 tests[\s\S]*--- bad image/,
    );
    expect(r.stdout).toMatch(
      /expected example\/service:bad \(a GenericContainer\) to stop gracefully within a 5 s grace period\n\s+graceful-stop: the stop signal was not acted on/,
    );
    // And on the container the suite started itself: the check acts on that very container.
    expect(r.stdout).toMatch(
      /expected container [0-9a-f]{12} to stop gracefully within a 5 s grace period\n\s+graceful-stop: the stop signal was not acted on/,
    );
    // The README's block, pasted into a project with no vitest configuration, passes.
    expect(r.stdout).toMatch(/--- README example in a new project: exit 0\n[\s\S]*1 passed/);
  });
});
