// Just what the query benchmark uses of autocannon 8 (the package ships no types).
declare module "autocannon" {
  interface Request {
    readonly method?: string;
    readonly path: string;
    readonly headers?: Record<string, string>;
  }
  interface Options {
    readonly url: string;
    readonly connections: number;
    readonly duration: number;
    readonly headers?: Record<string, string>;
    readonly requests?: readonly Request[];
  }
  interface Histogram {
    readonly average: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  }
  interface Result {
    readonly latency: Histogram;
    readonly requests: Histogram & { readonly total: number };
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly duration: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
