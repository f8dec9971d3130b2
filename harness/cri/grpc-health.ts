import { Client, credentials, status as Status, type ServiceError } from '@grpc/grpc-js';

/** A probe's answer, as net-probe prints it. */
interface NetAnswer {
  result: 'success' | 'failure';
  status: null;
  output: string;
}

/** HealthCheckResponse's status names, by number. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** A gRPC status code's name as grpc-go prints it ("DeadlineExceeded"). */
const codeName = (code: number): string =>
  (Status[code] ?? String(code)).toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/**
 * A gRPC health probe from the host (pkg/probe/grpc/grpc.go Probe), as the toolbox's
 * net-probe makes it inside the engine's helper, in the same words: connect within the
 * timeout, grpc.health.v1.Health/Check for `service` with User-Agent `agent`; success
 * only when the answer is SERVING. The request and answer are encoded by hand (field 1
 * of each), so no generated code is needed.
 */
export function grpcHealthProbe(
  host: string,
  port: string,
  service: string,
  timeoutS: number,
  agent: string,
): Promise<NetAnswer> {
  const addr = `${host}:${port}`;
  const client = new Client(addr, credentials.createInsecure(), { 'grpc.primary_user_agent': agent });
  const deadline = () => new Date(Date.now() + timeoutS * 1000);
  const answer = (result: NetAnswer['result'], output: string): NetAnswer => ({ result, status: null, output });
  return new Promise<NetAnswer>((resolve) => {
    client.waitForReady(deadline(), (err) => {
      if (err) {
        resolve(
          answer(
            'failure',
            `timeout: failed to connect service "${addr}" within ${timeoutS}s: context deadline exceeded`,
          ),
        );
        return;
      }
      const svc = Buffer.from(service);
      const request = svc.length ? Buffer.concat([Buffer.from([0x0a, svc.length]), svc]) : Buffer.alloc(0);
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        { deadline: deadline() },
        (e: ServiceError | null, res?: Buffer) => {
          if (e) {
            if (e.code === Status.UNIMPLEMENTED)
              resolve(
                answer(
                  'failure',
                  `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}`,
                ),
              );
            else if (e.code === Status.DEADLINE_EXCEEDED)
              resolve(answer('failure', `timeout: health rpc did not complete within ${timeoutS}s`));
            else
              resolve(
                answer(
                  'failure',
                  `error: health rpc probe failed: rpc error: code = ${codeName(e.code)} desc = ${e.details}`,
                ),
              );
            return;
          }
          const status = res && res.length >= 2 && res[0] === 0x08 ? (res[1] as number) : 0;
          resolve(
            status === 1
              ? answer('success', 'service healthy')
              : answer('failure', `service unhealthy (responded with "${SERVING_STATUS[status] ?? status}")`),
          );
        },
      );
    });
  }).finally(() => client.close());
}
