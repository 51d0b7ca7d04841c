/** The part of `healthchecks-io-client` (untyped CommonJS) that the compatibility tests drive. */
declare module 'healthchecks-io-client' {
  export class HealthChecksPingClient {
    /** `uuid` must be a UUID (checked by the client); requests go to `<baseUrl>/<uuid>[/start|/fail]`. */
    constructor(options: { uuid: string; baseUrl?: string; timeout?: number; returnResponse?: boolean });
    start(): Promise<string | undefined>;
    success(payload?: string): Promise<string | undefined>;
    fail(payload?: string): Promise<string | undefined>;
  }
}
