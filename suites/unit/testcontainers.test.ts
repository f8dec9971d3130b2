/**
 * A testcontainers GenericContainer as an image under test: the real class, built as a
 * team builds it (nothing is started), read into the image and run options the harness
 * runs fresh copies with. A started container is refused with what to pass instead.
 */
import { GenericContainer, Wait } from 'testcontainers';
import { describe, expect, it } from 'vitest';
import { imageUnderTest } from '../../harness/index.js';
import { fromGenericContainer, isGenericContainer, isStartedContainer } from '../../harness/testcontainers.js';
import { BadInputError } from '../../harness/errors.js';

describe('a GenericContainer as the image under test', () => {
  it('gives its image, environment, command, entrypoint, user and log wait as the ready line', () => {
    const c = new GenericContainer('my/api:1.4')
      .withEnvironment({ PORT: '8080', MODE: 'strict' })
      .withCommand(['serve', '--port', '8080'])
      .withEntrypoint(['/usr/bin/tini', '--'])
      .withUser('1000:1000')
      .withWaitStrategy(Wait.forLogMessage('listening on :8080 (ready)'));
    expect(isGenericContainer(c)).toBe(true);
    expect(fromGenericContainer(c)).toEqual({
      image: 'my/api:1.4',
      env: { PORT: '8080', MODE: 'strict' },
      cmd: ['serve', '--port', '8080'],
      entrypoint: ['/usr/bin/tini', '--'],
      user: '1000:1000',
      // The message is matched as text, as testcontainers does.
      readyLog: 'listening on :8080 \\(ready\\)',
      unused: [],
    });
    expect(fromGenericContainer(c.withWaitStrategy(Wait.forLogMessage(/ready$/))).readyLog).toBe('ready$');
  });

  it("takes its exposed port as the ready port under testcontainers' default wait", () => {
    expect(fromGenericContainer(new GenericContainer('my/api:1.4').withExposedPorts(8080))).toMatchObject({
      readyPort: 8080,
    });
    expect(
      fromGenericContainer(new GenericContainer('my/api:1.4').withExposedPorts({ container: 9090, host: 19090 })),
    ).toMatchObject({ readyPort: 9090 });
  });

  it('says what it does not apply: another wait strategy, a working folder', () => {
    const c = new GenericContainer('my/api:1.4').withWorkingDir('/srv').withWaitStrategy(Wait.forHttp('/health', 8080));
    const read = fromGenericContainer(c);
    expect(read.readyLog).toBeUndefined();
    expect(read.unused).toEqual([
      'its wait strategy (HttpWaitStrategy): readiness is read from the processes instead',
      'its working folder (/srv)',
    ]);
    expect(imageUnderTest(c)).toEqual({ image: 'my/api:1.4' });
  });

  it('a started container is no image to run: imageUnderTest says what takes it', () => {
    const started = { getId: () => 'abc', getHost: () => 'localhost', stop: async () => undefined };
    expect(isStartedContainer(started)).toBe(true);
    expect(() => imageUnderTest(started as never)).toThrow(BadInputError);
    expect(() => imageUnderTest(started as never)).toThrow(
      /is not an image to run: runCheck and the matchers act on it/,
    );
  });
});
